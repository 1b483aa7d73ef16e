// What every resource plugin gets: the services (rules), the engine client (live state) and a clock.
import type { Logger } from '../../shared/logger.ts';
import type { EngineClient } from '../engine-client.ts';
import type { Services } from '../services/types.ts';

export type ApiDeps = Readonly<{
  services: Services;
  engine: EngineClient;
  /** milliseconds since the epoch */
  now: () => number;
  logger: Logger;
  /**
   * The caller's IP address, for the per-client login rate limit. `app.handle(request)` does
   * not know the socket, so whoever serves the app passes `(req) => server.requestIP(req)?.address`.
   */
  clientAddress: (request: Request) => string | null;
}>;
