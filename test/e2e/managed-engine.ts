// An engine as `weir-engine` runs it (startManagedEngine: engine API, secret, optional config
// server) on loopback port 0, logging into an array: what the engine API, metrics and RTSP
// server tests start from. Or the engine API alone in front of an engine a test started.
import { startManagedEngine, type ManagedEngine, type ManagedEngineOptions } from '../../src/engine/engine-managed.ts';
import { EngineApi } from '../../src/engine/engine-api.ts';
import type { RunningEngine } from '../../src/engine/engine-runtime.ts';
import { secretFromValue } from '../../src/engine/control-link/engine-secret.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import type { ConfigSnapshot } from '../../src/shared/config-protocol.ts';
import { startFakeConfigServer, type FakeConfigServer } from '../engine/fake-config-server.ts';
import { tempDir } from './harness.ts';

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

export type EngineUnderFake = StartedManagedEngine & {
  fake: FakeConfigServer;
  /** the engine's data dir */
  dir: string;
  /** stops the engine and the fake, removes the data dir */
  stop(): void;
};

/**
 * A fake config server with `fake`'s snapshot (and admission answers and delay, set before the engine starts),
 * and the engine under it with a data dir of its own, events flushed every 100 ms and a debug logger into `logs`
 * that drops nothing; `options` overrides the rest.
 */
export async function startUnderFakeConfigServer(
  secret: string,
  logs: string[],
  fake: { snapshot: ConfigSnapshot } & Partial<Pick<FakeConfigServer, 'admit' | 'admissionDelayMs'>>,
  options: Partial<ManagedEngineOptions> = {},
): Promise<EngineUnderFake> {
  const dir = tempDir();
  const server = startFakeConfigServer({ secret, snapshot: fake.snapshot });
  if (fake.admit) server.admit = fake.admit;
  if (fake.admissionDelayMs !== undefined) server.admissionDelayMs = fake.admissionDelayMs;
  const started = await startLoopbackManagedEngine(secret, logs, {
    configUrl: server.url,
    dataDir: dir.path,
    logger: createLogger({ level: 'debug', sink: (line) => logs.push(line), burstPerWindow: 10_000 }),
    eventFlushIntervalMs: 100,
    ...options,
  }).catch((error: unknown) => {
    server.stop();
    dir.remove();
    throw error;
  });
  return {
    ...started,
    fake: server,
    dir: dir.path,
    stop: () => {
      started.managed.stop();
      server.stop();
      dir.remove();
    },
  };
}

/** The engine API for `engine` on 127.0.0.1:0 with `secret` as its bearer token, no config server behind it; stop() it. */
export function startEngineApi(engine: RunningEngine, secret: string): EngineApi {
  const api = new EngineApi({
    secret: secretFromValue(secret),
    version: 't',
    startedAtMs: 0,
    engine: () => engine,
    configRevision: () => 0,
    reload: null,
    logger: createLogger({ sink: () => undefined }),
  });
  api.start('127.0.0.1', 0);
  return api;
}
