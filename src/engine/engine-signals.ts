// What the engine process does on signals. SIGTERM/SIGINT: drain (engine/graceful-shutdown.ts)
// within WEIR_DRAIN_TIMEOUT_MS (default 5000), then exit 0; a backstop timer exits anyway if
// the drain itself hangs. SIGHUP: fetch the configuration again from the config server (the
// same as POST /v1/reload on the engine API); without a config server there is nothing to
// reload, which is logged.
import type { Logger } from '../shared/logger.ts';
import type { DrainReport } from './graceful-shutdown.ts';
import { DEFAULT_DRAIN_TIMEOUT_MS } from './graceful-shutdown.ts';

export interface SignalTarget {
  readonly configClient: { refresh(): void } | null;
  drain(timeoutMs?: number): Promise<DrainReport | null>;
  stop(): void;
}

/** Slack after the drain bound for the last events and the listeners to close. */
const BACKSTOP_EXTRA_MS = 2000;

export function drainTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env.WEIR_DRAIN_TIMEOUT_MS;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_DRAIN_TIMEOUT_MS;
}

export async function gracefulExit(target: SignalTarget, logger: Logger, exit: (code: number) => void = (c) => process.exit(c)): Promise<void> {
  const timeoutMs = drainTimeoutMs();
  const backstop = setTimeout(() => {
    logger.error('drain did not finish: exiting', { timeoutMs });
    target.stop();
    exit(0);
  }, timeoutMs + BACKSTOP_EXTRA_MS);
  try {
    const report = await target.drain(timeoutMs);
    logger.info('stopped', { drained: report?.drained ?? true, elapsedMs: report?.elapsedMs });
  } catch (err) {
    logger.error('drain failed', { reason: (err as Error).message });
    target.stop();
  }
  clearTimeout(backstop);
  exit(0);
}

export function reloadOnSignal(target: SignalTarget, logger: Logger): void {
  if (!target.configClient) {
    logger.info('SIGHUP: no config server (--config-url): nothing to reload');
    return;
  }
  logger.info('SIGHUP: fetching the configuration again');
  target.configClient.refresh();
}
