// An engine as `weir-engine` runs it (startManagedEngine: engine API, secret, optional config
// server) on loopback port 0, logging into an array: what the engine API, metrics and RTSP
// server tests start from.
import { startManagedEngine, type ManagedEngine, type ManagedEngineOptions } from '../../src/engine/engine-managed.ts';
import type { RunningEngine } from '../../src/engine/engine-runtime.ts';
import { secretFromValue } from '../../src/engine/control-link/engine-secret.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';

export type StartedManagedEngine = { managed: ManagedEngine; engine: RunningEngine; api: string };

/** Starts it with `secret` and the engine API on 127.0.0.1:0; `options` overrides the rest (no config server, no data dir by default). */
export async function startLoopbackManagedEngine(
  secret: string,
  logs: string[],
  options: Partial<ManagedEngineOptions> = {},
): Promise<StartedManagedEngine> {
  const managed = startManagedEngine({
    baseConfig: DEFAULT_ENGINE_CONFIG,
    configUrl: null,
    secret: secretFromValue(secret),
    dataDir: null,
    api: { host: '127.0.0.1', port: 0 },
    version: '0.0.0-test',
    logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
    ...options,
  });
  const engine = await managed.ready;
  return { managed, engine, api: `http://127.0.0.1:${managed.api!.port}` };
}
