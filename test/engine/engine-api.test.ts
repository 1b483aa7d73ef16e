// The engine API on port 0: auth, live state from a real ffmpeg publisher, and kicks that
// disconnect a publisher or a viewer within a second.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ManagedEngine } from '../../src/engine/engine-managed.ts';
import { startLoopbackManagedEngine } from '../e2e/managed-engine.ts';
import type { RunningEngine } from '../../src/engine/engine-runtime.ts';
import type { ClientState, EngineStatus, LiveStreamState } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { killAll, publishPattern, waitFor } from '../e2e/harness.ts';

const SECRET = 'engine-api-test-secret';
let managed: ManagedEngine;
let engine: RunningEngine;
let api: string;
const logs: string[] = [];

beforeAll(async () => {
  ({ managed, engine, api } = await startLoopbackManagedEngine(SECRET, logs, {
    baseConfig: {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
    },
  }));
});

afterAll(async () => {
  await killAll();
  managed.stop();
});

const auth = { Authorization: `Bearer ${SECRET}` };

async function get<T>(path: string): Promise<T> {
  const res = await fetch(api + path, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe('auth', () => {
  test('/healthz needs nothing; every /v1 route needs the Bearer secret', async () => {
    const health = await fetch(`${api}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ready: true });
    for (const [method, path] of [['GET', '/v1/status'], ['GET', '/v1/streams'], ['GET', '/v1/clients'], ['DELETE', '/v1/clients/c1'], ['POST', '/v1/reload']] as const) {
      expect((await fetch(api + path, { method })).status).toBe(401);
      expect((await fetch(api + path, { method, headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(api + path, { method, headers: { Authorization: `Bearer ${SECRET}x` } })).status).toBe(401);
      expect((await fetch(api + path, { method, headers: { Authorization: SECRET } })).status).toBe(401);
    }
    const status = await get<EngineStatus>('/v1/status');
    expect(status).toMatchObject({ version: '0.0.0-test', ready: true, configRevision: 0, streams: 0 });
  });

  test('unknown clients are 404; reload without a config server is 409', async () => {
    expect((await fetch(`${api}/v1/clients/nobody`, { method: 'DELETE', headers: auth })).status).toBe(404);
    expect((await fetch(`${api}/v1/reload`, { method: 'POST', headers: auth })).status).toBe(409);
    expect((await fetch(`${api}/v1/nothing`, { headers: auth })).status).toBe(404);
  });
});

describe('live state and kicks', () => {
  test('streams show codecs, resolution, bitrates and viewers; clients show every connection', async () => {
    const url = `rtmp://127.0.0.1:${engine.rtmpPort}/live/state`;
    const publisher = await publishPattern(url, { seconds: 20, bFrames: 0 });
    expect(await waitFor(() => engine.context.streams.find('live', 'state')?.started === true, 8000)).toBe(true);
    const abort = new AbortController();
    const viewer = await fetch(`http://127.0.0.1:${engine.httpPort}/live/state.flv`, { signal: abort.signal });
    expect(viewer.status).toBe(200);
    const reader = viewer.body!.getReader();
    const reading = (async () => {
      try {
        for (;;) if ((await reader.read()).done) return 'ended';
      } catch {
        return 'ended';
      }
    })();
    await Bun.sleep(2500);

    const streams = await get<LiveStreamState[]>('/v1/streams');
    const state = streams.find((s) => s.stream === 'state')!;
    expect(state).toBeDefined();
    expect(state.app).toBe('live');
    expect(state.publisherAddress).toBe('127.0.0.1');
    expect(state.tracks).toEqual([
      { kind: 'video', codec: 'h264', width: 320, height: 240, fps: expect.any(Number) },
      { kind: 'audio', codec: 'aac', sampleRateHz: 44100, channels: 1 },
    ]);
    expect(state.bitrateInBps).toBeGreaterThan(100_000);
    expect(state.bitrateOutBps).toBeGreaterThan(100_000);
    expect(state.viewers['http-flv']).toBe(1);

    const clients = await get<ClientState[]>('/v1/clients');
    const pub = clients.find((c) => c.role === 'publisher')!;
    const view = clients.find((c) => c.role === 'viewer')!;
    expect(pub).toMatchObject({ protocol: 'rtmp', app: 'live', stream: 'state', address: '127.0.0.1' });
    expect(pub.id).toBe(state.publisherId!);
    expect(pub.bytesIn).toBeGreaterThan(50_000);
    expect(view).toMatchObject({ protocol: 'http-flv', app: 'live', stream: 'state' });
    expect(view.bytesOut).toBeGreaterThan(50_000);
    const status = await get<EngineStatus>('/v1/status');
    expect(status.streams).toBe(1);
    expect(status.clients).toBe(2);
    expect(status.bytesIn).toBeGreaterThan(50_000);

    // Kick the viewer: its response ends at once. The bound has room for a loaded machine and
    // still proves the kick: unkicked, the viewer of a 20 s publish would read for 15 s more.
    const KICK_BOUND_MS = 5000;
    let t0 = Date.now();
    expect((await fetch(`${api}/v1/clients/${view.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect(await Promise.race([reading, Bun.sleep(KICK_BOUND_MS).then(() => 'still reading')])).toBe('ended');
    expect(Date.now() - t0).toBeLessThan(KICK_BOUND_MS);

    // Kick the publisher: ffmpeg loses its connection and exits (it had 15 s of pattern left).
    t0 = Date.now();
    expect((await fetch(`${api}/v1/clients/${pub.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    const exited = await Promise.race([publisher.proc.exited.then(() => true), Bun.sleep(KICK_BOUND_MS).then(() => false)]);
    expect(exited).toBe(true);
    expect(Date.now() - t0).toBeLessThan(KICK_BOUND_MS);
    expect(publisher.proc.exitCode).not.toBe(0);
    expect(engine.context.streams.find('live', 'state')?.publisher ?? null).toBeNull();
    expect((await get<ClientState[]>('/v1/clients')).length).toBe(0);
    abort.abort();
    await publisher.stop();
  }, 30_000);
});
