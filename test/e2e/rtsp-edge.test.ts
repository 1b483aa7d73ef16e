// An RTSP viewer on an edge keeps the on-demand pull from the origin alive, as HTTP-FLV and RTMP viewers do: the
// edge stops a pull only when no viewer of any protocol is left.
import { afterAll, expect, test } from 'bun:test';
import { DEFAULT_RELAY_SETTINGS } from '../../src/relay/relay-manager.ts';
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RTSP_SETTINGS } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { killAll, publishPattern, waitFor } from './harness.ts';
import { connectRtsp, playInterleaved } from './rtsp-test-client.ts';

const engines: RunningEngine[] = [];
afterAll(async () => {
  for (const engine of engines) engine.stop();
  await killAll();
});

function start(edgeOrigin: string | null): RunningEngine {
  const engine = startEngine(
    {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
      hls: { ...DEFAULT_ENGINE_CONFIG.hls, enabled: false, lowLatencyEnabled: false },
      relay: { ...DEFAULT_RELAY_SETTINGS, edgeOriginTemplate: edgeOrigin, edgeIdleMs: 1000, backoffInitialMs: 200, backoffMaxMs: 1000 },
      rtsp: { ...DEFAULT_RTSP_SETTINGS, host: '127.0.0.1', port: 0 },
    },
    { logger: createLogger({ level: 'error' }) },
  );
  engines.push(engine);
  return engine;
}

test('an RTSP viewer of an edge-pulled stream keeps the pull running past the idle time', async () => {
  const origin = start(null);
  const edge = start(`rtmp://127.0.0.1:${origin.rtmpPort}/{app}/{stream}`);
  const publisher = await publishPattern(`rtmp://127.0.0.1:${origin.rtmpPort}/live/show`, { seconds: 30, bFrames: 0 });
  expect(await waitFor(() => origin.context.streams.find('live', 'show')?.started === true, 10_000)).toBe(true);

  const viewer = await connectRtsp(edge.rtspPort!);
  await playInterleaved(viewer, `rtsp://127.0.0.1:${edge.rtspPort}/live/show`);
  expect(await waitFor(() => viewer.interleavedCount() > 0, 5000)).toBe(true);
  expect(edge.relays.status().some((r) => r.kind === 'edge')).toBe(true);
  await Bun.sleep(3000); // three idle times
  expect(edge.relays.status().some((r) => r.kind === 'edge')).toBe(true);
  const before = viewer.interleavedCount();
  expect(await waitFor(() => viewer.interleavedCount() > before + 20, 3000)).toBe(true);

  viewer.close();
  expect(await waitFor(() => !edge.relays.status().some((r) => r.kind === 'edge'), 6000)).toBe(true);
  await publisher.stop();
}, 60_000);
