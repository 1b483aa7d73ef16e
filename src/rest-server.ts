// The control plane's HTTP API: /api/v1 resources, the OpenAPI document at /api/openapi.json,
// its interactive UI at /api/docs, and /healthz. Wiring only: rules live in control/services,
// routes in control/api (one file per resource), errors become problem+json in one place.
import { Elysia, t, type AnyElysia } from 'elysia';
import { appsRoutes } from './control/api/apps.ts';
import { clientRoutes } from './control/api/clients.ts';
import { consoleRoutes } from './control/console/routes.ts';
import type { ApiDeps } from './control/api/deps.ts';
import { docsRoutes } from './control/api/docs.ts';
import { engineNotify } from './control/api/engine-notify.ts';
import { engineRoutes } from './control/api/engine.ts';
import { errorHandler } from './control/api/error-handler.ts';
import { forwardRoutes } from './control/api/forwards.ts';
import { openApiRoute } from './control/api/openapi-document.ts';
import { pullRoutes } from './control/api/pulls.ts';
import { recordingRoutes } from './control/api/recordings.ts';
import { sessionRoutes } from './control/api/session.ts';
import { settingsRoutes } from './control/api/settings.ts';
import { signedUrlRoutes } from './control/api/signed-urls.ts';
import { streamKeyRoutes } from './control/api/stream-keys.ts';
import { streamRoutes } from './control/api/streams.ts';
import { tokenRoutes } from './control/api/tokens.ts';
import { userRoutes } from './control/api/users.ts';
import type { EngineClient } from './control/engine-client.ts';
import type { Services } from './control/services/types.ts';
import { createLogger, type Logger } from './shared/logger.ts';

export const API_PREFIX = '/api/v1';
const INFO = {
  title: 'Weir control plane API',
  version: '1',
  description:
    'Manage Weir: apps and their publish/play policies, stream keys, signed URLs, live streams and clients, ' +
    'pull sources and forward targets, engine settings, users and API tokens. Authenticate with ' +
    '`Authorization: Bearer weir_...` or the console session cookie (plus X-CSRF-Token on changes). ' +
    'Errors are RFC 9457 application/problem+json with a stable `code`.',
} as const;

export type RestDeps = Readonly<{
  services: Services;
  engine: EngineClient;
  now?: () => number;
  logger?: Logger;
  /**
   * The caller's IP address (for the per-client login rate limit): app.handle(request) cannot
   * know it. With Bun.serve: `(req) => server.requestIP(req)?.address ?? null`. Without it,
   * failed logins are limited per username only.
   */
  clientAddress?: (request: Request) => string | null;
  /** POST /v1/reload to the engine on every configuration change (default true) */
  notifyEngine?: boolean;
}>;

/** An Elysia app: serve it with `app.listen(...)` or `Bun.serve({ fetch: app.fetch })`, test it with `app.handle(request)`. */
export function createRestApp(input: RestDeps) {
  const deps: ApiDeps = {
    services: input.services,
    engine: input.engine,
    now: input.now ?? Date.now,
    logger: input.logger ?? createLogger().child({ component: 'rest-api' }),
    clientAddress: input.clientAddress ?? (() => null),
  };
  if (input.notifyEngine !== false) engineNotify(deps);
  let root: AnyElysia | null = null;
  const app = new Elysia()
    .use(errorHandler(deps))
    .use(openApiRoute((): AnyElysia => {
      if (root === null) throw new Error('the OpenAPI document was asked for before the app was built');
      return root;
    }, INFO))
    .use(docsRoutes(INFO.title))
    .get('/healthz', () => ({ status: 'ok' as const }), {
      response: t.Object({ status: t.Literal('ok') }),
      detail: { tags: ['health'], summary: 'Liveness (no auth)', security: [] },
    })
    // one .use per route module, chained rather than looped over a list so RestApp keeps every route's types
    .group(API_PREFIX, (api) =>
      api
        .use(sessionRoutes(deps))
        .use(appsRoutes(deps))
        .use(streamKeyRoutes(deps))
        .use(signedUrlRoutes(deps))
        .use(streamRoutes(deps))
        .use(clientRoutes(deps))
        .use(pullRoutes(deps))
        .use(forwardRoutes(deps))
        .use(settingsRoutes(deps))
        .use(userRoutes(deps))
        .use(tokenRoutes(deps))
        .use(recordingRoutes(deps))
        .use(engineRoutes(deps)),
    )
    .use(consoleRoutes(deps));
  root = app;
  return app;
}

export type RestApp = ReturnType<typeof createRestApp>;
