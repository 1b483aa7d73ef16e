// How weir-control stops on SIGTERM/SIGINT: /readyz turns 503, the HTTP servers stop taking
// connections and finish the requests they have (up to a bound, then they are cut), then the
// store is closed (its WAL checkpointed by SQLite on close). SIGHUP has nothing to re-read:
// every setting lives in the database and applies at once; it is logged and ignored (without
// a handler SIGHUP would end the process).
import type { Logger } from '../shared/logger.ts';

export const CONTROL_STOP_TIMEOUT_MS = 3000;

type StoppableServer = { stop(closeActiveConnections?: boolean): Promise<void> | void };

export async function stopControlPlane(
  parts: Readonly<{ servers: readonly StoppableServer[]; closeStore: () => void; beforeStop?: () => void; logger: Logger; timeoutMs?: number }>,
): Promise<boolean> {
  parts.beforeStop?.();
  const timeoutMs = parts.timeoutMs ?? CONTROL_STOP_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    Promise.all(parts.servers.map((s) => Promise.resolve(s.stop(false)))).then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (!finished) parts.logger.warn('requests still open after the stop bound: closing them', { timeoutMs });
  for (const s of parts.servers) void s.stop(true);
  try {
    parts.closeStore();
  } catch (err) {
    parts.logger.error('closing the store failed', { reason: (err as Error).message });
  }
  parts.logger.info('stopped', { drained: finished });
  return finished;
}

export function logSighup(logger: Logger): void {
  logger.info('SIGHUP: nothing to reload (settings live in the database and apply at once)');
}
