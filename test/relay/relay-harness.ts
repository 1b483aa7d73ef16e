// Engines for the relay tests: like test/e2e/harness.ts's startTestEngine, plus pulls, relay
// knobs and an admission that names forward targets.
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import { DEFAULT_RELAY_SETTINGS } from '../../src/relay/relay-manager.ts';
import type { Admission } from '../../src/server/admission.ts';
import type { ForwardTarget, PullSource, RelayStatus } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig, type RelaySettings } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { afterAll, expect } from 'bun:test';
import { freePort, killAll, probe, tempDir, waitFor } from '../e2e/harness.ts';
export { freePort };

export type RelayTestEngine = RunningEngine & {
  logs: string[];
  config: EngineConfig;
  rtmpUrl(path: string): string;
  httpUrl(path: string): string;
  relay(id: string): RelayStatus | undefined;
};

export function startRelayEngine(
  options: {
    pulls?: PullSource[];
    forwards?: ForwardTarget[];
    relay?: Partial<RelaySettings>;
    forwardTargets?: (stream: string) => string[];
    waitForPublisherMs?: number;
    hls?: Partial<EngineConfig['hls']>;
  } = {},
): RelayTestEngine {
  const logs: string[] = [];
  const config: EngineConfig = {
    ...DEFAULT_ENGINE_CONFIG,
    rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
    http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
    streams: { ...DEFAULT_ENGINE_CONFIG.streams, waitForPublisherMs: options.waitForPublisherMs ?? 8000 },
    // relayed streams are checked by their HLS output without a player asking for it first
    hls: { ...DEFAULT_ENGINE_CONFIG.hls, targetDurationMs: 1000, alwaysRemux: true, ...options.hls },
    pulls: options.pulls ?? [],
    forwards: options.forwards ?? [],
    relay: { ...DEFAULT_RELAY_SETTINGS, backoffInitialMs: 200, backoffMaxMs: 1000, ...options.relay },
  };
  const forwardTargets = options.forwardTargets;
  const admission: Admission | undefined = forwardTargets
    ? {
        decide: async (request) => {
          if (request.action !== 'publish') return { allow: true };
          return { allow: true, forwardTargets: forwardTargets(request.stream) };
        },
      }
    : undefined;
  const engine = startEngine(config, {
    logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
    ...(admission ? { admission } : {}),
  });
  return Object.assign(engine, {
    logs,
    config,
    rtmpUrl: (path: string) => `rtmp://127.0.0.1:${engine.rtmpPort}/${path}`,
    httpUrl: (path: string) => `http://127.0.0.1:${engine.httpPort}/${path}`,
    relay: (id: string) => engine.relays.status().find((r) => r.id === id),
  });
}

/** A TCP port that was free a moment ago (for peers that cannot listen on port 0 and tell us). */

/**
 * Registers an afterAll that stops the engines put in `engines` (start() puts the ones it starts there), ends the
 * processes the file spawned and removes `dir`.
 */
export function relayTestScope(): {
  engines: RelayTestEngine[];
  dir: { path: string; remove(): void };
  start(options?: Parameters<typeof startRelayEngine>[0]): RelayTestEngine;
} {
  const engines: RelayTestEngine[] = [];
  const dir = tempDir();
  afterAll(async () => {
    for (const engine of engines) engine.stop();
    await killAll();
    dir.remove();
  });
  const start = (options: Parameters<typeof startRelayEngine>[0] = {}) => {
    const engine = startRelayEngine(options);
    engines.push(engine);
    return engine;
  };
  return { engines, dir, start };
}

/**
 * Starts (with `start`, a scope's) an engine that pulls `url` into live/mirrored as relay `id`, and expects the pull
 * to go live and the mirrored stream to carry H.264 and AAC over HTTP-FLV.
 */
export async function expectMirrored(start: (options: Parameters<typeof startRelayEngine>[0]) => RelayTestEngine, id: string, url: string): Promise<void> {
  const mirror = start({ pulls: [{ id, app: 'live', stream: 'mirrored', url, enabled: true }] });
  expect(await waitFor(() => mirror.relay(id)?.state === 'live', 15_000)).toBe(true);
  expect(await waitFor(() => mirror.context.streams.find('live', 'mirrored')?.started === true, 15_000)).toBe(true);
  const probed = await probe(mirror.httpUrl('live/mirrored.flv'));
  expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
}
