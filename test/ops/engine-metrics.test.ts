// The engine's /metrics (engine API) and /healthz (engine API and public HTTP port) on a
// managed engine under a fake config server, with real ffmpeg publishing and an HTTP-FLV viewer.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startManagedEngine, type ManagedEngineOptions } from '../../src/engine/engine-managed.ts';
import { startUnderFakeConfigServer, type EngineUnderFake } from '../e2e/managed-engine.ts';
import type { RunningEngine } from '../../src/engine/engine-runtime.ts';
import { secretFromValue } from '../../src/engine/control-link/engine-secret.ts';
import type { AdmissionQuery } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { makeSnapshot, startFakeConfigServer, type FakeConfigServer } from '../engine/fake-config-server.ts';
import { freePort, killAll, publishPattern, waitFor } from '../e2e/harness.ts';
import { joinHls } from '../e2e/hls-session.ts';
import { parsePrometheusText, sampleValue, type Family } from './prom-text-parser.ts';

const SECRET = 'ops-metrics-secret';
let fake: FakeConfigServer;
let engine: RunningEngine;
let api: string;
const logs: string[] = [];

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${api}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await res.text());
}

/** a second engine under the config server at `configUrl`, API on port 0, no data dir, logging errors nowhere */
function startQuietManagedEngine(configUrl: string, options: Partial<ManagedEngineOptions> = {}) {
  return startManagedEngine({
    baseConfig: DEFAULT_ENGINE_CONFIG,
    configUrl,
    secret: secretFromValue(SECRET),
    dataDir: null,
    api: { host: '127.0.0.1', port: 0 },
    version: '0',
    logger: createLogger({ level: 'error', sink: () => {} }),
    ...options,
  });
}

let under: EngineUnderFake;

beforeAll(async () => {
  const admit = (q: AdmissionQuery) => (q.stream === 'forbidden' ? { allow: false, reason: 'no', cacheTtlMs: 1000 } : { allow: true, cacheTtlMs: 5000 });
  under = await startUnderFakeConfigServer(SECRET, logs, { snapshot: makeSnapshot({ revision: 1 }), admit, admissionDelayMs: 5 }, { version: '9.8.7-test' });
  ({ fake, engine, api } = under);
});

afterAll(async () => {
  await killAll();
  under?.stop();
});

describe('engine health', () => {
  test('GET /healthz answers 200 {"ready":true} on the engine API and on the public HTTP port', async () => {
    const a = await fetch(`${api}/healthz`);
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({ ready: true });
    const b = await fetch(`http://127.0.0.1:${engine.httpPort}/healthz`);
    expect(b.status).toBe(200);
    expect(await b.json()).toEqual({ ready: true });
  });

  test('the engine API answers 503 {"ready":false} before the engine has its configuration', async () => {
    const down = startFakeConfigServer({ secret: SECRET, snapshot: makeSnapshot({ revision: 1 }) });
    down.stop(); // nothing answers: the engine waits for a configuration
    const waiting = startQuietManagedEngine(down.url, { configClient: { initialBackoffMs: 50, maxBackoffMs: 100, startGraceMs: 60_000 } });
    waiting.ready.catch(() => {});
    try {
      const res = await fetch(`http://127.0.0.1:${waiting.api!.port}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ready: false });
      const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${waiting.api!.port}/metrics`)).text());
      expect(sampleValue(metrics, 'weir_ready')).toBe(0);
      expect(sampleValue(metrics, 'weir_streams')).toBe(0);
    } finally {
      waiting.stop();
    }
  });
});

describe('engine /metrics', () => {
  test('with ffmpeg publishing and an HTTP-FLV viewer: streams, viewers, bytes, admission', async () => {
    const idle = await scrape();
    expect(sampleValue(idle, 'weir_build_info', { version: '9.8.7-test' })).toBe(1);
    expect(sampleValue(idle, 'weir_ready')).toBe(1);
    expect(sampleValue(idle, 'weir_streams')).toBe(0);
    for (const protocol of ['rtmp', 'http-flv', 'ws-flv', 'hls', 'll-hls']) expect(sampleValue(idle, 'weir_viewers', { protocol })).toBe(0);
    expect(sampleValue(idle, 'weir_dropped_frames_total')).toBe(0);
    expect(sampleValue(idle, 'weir_slow_viewer_disconnects_total')).toBe(0);
    for (const protocol of ['rtmp-flv', 'webrtc']) expect(sampleValue(idle, 'weir_slow_viewer_degradations_total', { protocol })).toBe(0);
    expect(sampleValue(idle, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(idle.get('weir_relay_status')?.type).toBe('gauge');
    expect(idle.get('weir_admission_latency_seconds')?.type).toBe('histogram');
    // HLS on demand: nothing is muxed before a player asks
    expect(sampleValue(idle, 'weir_hls_outputs')).toBe(0);
    const demandStartsBefore = sampleValue(idle, 'weir_hls_demand_starts_total') ?? 0;
    expect(idle.get('weir_hls_idle_stops_total')?.type).toBe('counter');
    const publishAllowedBefore = sampleValue(idle, 'weir_admission_decisions_total', { action: 'publish', result: 'allow' }) ?? 0;

    const publisher = await publishPattern(`rtmp://127.0.0.1:${engine.rtmpPort}/live/cam`, { seconds: 30, bFrames: 0 });
    expect(await waitFor(() => engine.context.streams.find('live', 'cam')?.started === true, 10_000)).toBe(true);
    const viewer = await fetch(`http://127.0.0.1:${engine.httpPort}/live/cam.flv`);
    expect(viewer.status).toBe(200);
    const reader = viewer.body!.getReader();
    let received = 0;
    while (received < 50_000) received += (await reader.read()).value?.byteLength ?? 0;
    // a refused play and an HLS playlist poll
    expect((await fetch(`http://127.0.0.1:${engine.httpPort}/live/forbidden.flv`)).status).toBe(403);
    // (a player: the multivariant playlist first, then a poll of its media playlist)
    expect((await fetch(await joinHls(`http://127.0.0.1:${engine.httpPort}/live/cam/index.m3u8`))).status).toBe(200);

    const live = await scrape();
    expect(sampleValue(live, 'weir_streams')).toBe(1);
    expect(sampleValue(live, 'weir_hls_outputs')).toBe(1);
    expect(sampleValue(live, 'weir_hls_demand_starts_total')).toBe(demandStartsBefore + 1);
    expect(sampleValue(live, 'weir_viewers', { protocol: 'http-flv' })).toBe(1);
    expect(sampleValue(live, 'weir_viewers', { protocol: 'hls' })).toBe(1);
    expect(sampleValue(live, 'weir_viewers', { protocol: 'rtmp' })).toBe(0);
    expect(sampleValue(live, 'weir_stream_bytes_in_total', { app: 'live', stream: 'cam' })).toBeGreaterThan(10_000);
    expect(sampleValue(live, 'weir_stream_bytes_out_total', { app: 'live', stream: 'cam' })).toBeGreaterThan(10_000);
    // only live streams have per-stream series: the refused one has none
    expect(live.get('weir_stream_bytes_in_total')?.samples.length).toBe(1);
    expect(sampleValue(live, 'weir_bytes_in_total')).toBeGreaterThan(10_000);
    expect(sampleValue(live, 'weir_admission_decisions_total', { action: 'publish', result: 'allow' })).toBe(publishAllowedBefore + 1);
    expect(sampleValue(live, 'weir_admission_decisions_total', { action: 'play', result: 'allow' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(live, 'weir_admission_decisions_total', { action: 'play', result: 'deny' })).toBe(1);
    const latencyCount = sampleValue(live, 'weir_admission_latency_seconds_count', { action: 'play' })!;
    expect(latencyCount).toBeGreaterThanOrEqual(3);
    // the fake answers after 5 ms: the first (uncached) play decision is in a bucket above 5 ms
    expect(sampleValue(live, 'weir_admission_latency_seconds_bucket', { action: 'play', le: '0.0025' })!).toBeLessThan(latencyCount);

    await reader.cancel();
    await publisher.stop();
    expect(await waitFor(() => engine.context.streams.list().every((s) => s.publisher === null), 5000)).toBe(true);
    const after = await scrape();
    expect(sampleValue(after, 'weir_streams')).toBe(0);
    expect(after.get('weir_stream_bytes_in_total')?.samples.length).toBe(0);
  }, 40_000);

  test('weir_relay_status reports the live relays: a pull that moves media is 1, a forward to a dead target is 0', async () => {
    const deadPort = freePort();
    const before = fake.admit;
    fake.admit = (q: AdmissionQuery) =>
      q.action === 'publish' && q.stream === 'src' ? { allow: true, cacheTtlMs: 5000, forwardTargets: [`rtmp://127.0.0.1:${deadPort}/live/secret-key`] } : before(q);
    const puller = startFakeConfigServer({
      secret: SECRET,
      snapshot: makeSnapshot({
        revision: 1,
        pulls: [{ id: 'p1', app: 'live', stream: 'in', url: `rtmp://127.0.0.1:${engine.rtmpPort}/live/src`, enabled: true }],
      }),
    });
    const second = startQuietManagedEngine(puller.url);
    const publisher = await publishPattern(`rtmp://127.0.0.1:${engine.rtmpPort}/live/src`, { seconds: 30, bFrames: 0 });
    try {
      await second.ready;
      const scrapeSecond = async () => parsePrometheusText(await (await fetch(`http://127.0.0.1:${second.api!.port}/metrics`)).text());
      const pullUp = { kind: 'pull', app: 'live', stream: 'in', target: `rtmp://127.0.0.1:${engine.rtmpPort}/live/src` };
      let pulled: Map<string, Family> | null = null;
      expect(
        await waitFor(() => {
          // a scrape that fails (engine busy) is retried on the next poll, never left unhandled
          scrapeSecond().then((m) => (pulled = m), () => {});
          return pulled !== null && sampleValue(pulled, 'weir_relay_status', pullUp) === 1;
        }, 20_000, 250),
      ).toBe(true);
      const forwardDown = (await scrape()).get('weir_relay_status')?.samples.filter((s) => s.labels.kind === 'forward') ?? [];
      expect(forwardDown.length).toBe(1);
      expect(forwardDown[0]!.labels).toMatchObject({ app: 'live', stream: 'src' });
      expect(forwardDown[0]!.labels.target).toStartWith(`rtmp://127.0.0.1:${deadPort}/`);
      expect(forwardDown[0]!.value).toBe(0);
    } finally {
      fake.admit = before;
      await publisher.stop();
      second.stop();
      puller.stop();
    }
    // the forward ends with its stream: the series goes away
    expect(await waitFor(() => engine.relays.status().every((r) => r.kind !== 'forward'), 10_000)).toBe(true);
    expect((await scrape()).get('weir_relay_status')?.samples.length ?? 0).toBe(0);
  }, 60_000);
});
