// Snapshots (issue 13 item 5), end to end: ffmpeg publishes 640x360 H.264 over RTMP to an app with
// snapshots on; /{app}/{stream}/snapshot.jpg appears and is a JPEG ffprobe decodes at the stream's
// size; older ones are kept up to `keep`; an app with snapshots off, a stream with none yet and a
// refused viewer get 404/403 with the reason. Without ffmpeg: an in-process engine given no decoder
// answers 503 with the reason and logs one warning; an engine process whose PATH has no ffmpeg
// reports snapshotDecoder null in its API status.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { freePort, killAll, probe, spawnBackground, startProcess, tempDir, testPatternArgs, waitFor, waitForListening } from './harness.ts';

const dir = tempDir();
let engine: RunningEngine;
let publisher: ReturnType<typeof spawnBackground>;

function config(): EngineConfig {
  return {
    ...DEFAULT_ENGINE_CONFIG,
    rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
    http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
    apps: [{ name: 'live', snapshot: { enabled: true, intervalSec: 1, keep: 3 } }, { name: 'plain' }],
  };
}

const url = (e: RunningEngine, path: string): string => `http://127.0.0.1:${e.httpPort}/${path}`;

async function poll(target: string, until: (status: number) => boolean, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(target);
    if (until(res.status) || Date.now() > deadline) return res;
    await res.arrayBuffer();
    await Bun.sleep(200);
  }
}

beforeAll(() => {
  engine = startEngine(config(), { logger: createLogger({ level: 'error', sink: () => {} }) });
});

afterAll(async () => {
  await publisher?.stop();
  await killAll();
  engine?.stop();
  dir.remove();
});

describe('with ffmpeg', () => {
  test('before any publisher: 404 saying there is none yet; an app with snapshots off says so', async () => {
    expect(engine.snapshots.decoder).not.toBeNull();
    const none = await fetch(url(engine, 'live/cam/snapshot.jpg'));
    expect(none.status).toBe(404);
    expect(await none.text()).toContain("no snapshot of 'live/cam' yet");
    const off = await fetch(url(engine, 'plain/cam/snapshot.jpg'));
    expect(off.status).toBe(404);
    expect(await off.text()).toContain("snapshots are off for app 'plain'");
    const unknown = await fetch(url(engine, 'nope/cam/snapshot.jpg'));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("unknown app 'nope'");
  });

  test('a published stream gets a JPEG at its size, and the newest ones are kept', async () => {
    publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 60, bFrames: 2, gop: 25, size: '640x360' }), '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmpPort}/live/cam`]);
    const res = await poll(url(engine, 'live/cam/snapshot.jpg'), (s) => s === 200, 30_000);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = new Uint8Array(await res.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    const file = join(dir.path, 'snapshot.jpg');
    writeFileSync(file, jpeg);
    const probed = await probe(file);
    expect(probed.exitCode).toBe(0);
    expect(probed.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 640, height: 360 });
    // a new keyframe every second and a turn every second: older snapshots pile up to keep (3)
    const older = await poll(url(engine, 'live/cam/snapshot.jpg?n=2'), (s) => s === 200, 30_000);
    expect(older.status).toBe(200);
    const latest = await fetch(url(engine, 'live/cam/snapshot.jpg'));
    expect(Number(older.headers.get('x-snapshot-time-ms'))).toBeLessThan(Number(latest.headers.get('x-snapshot-time-ms')));
    const past = await fetch(url(engine, 'live/cam/snapshot.jpg?n=3'));
    expect(past.status).toBe(404);
    expect((await fetch(url(engine, 'live/cam/snapshot.jpg?n=x'))).status).toBe(400);
    const status = engine.snapshots.status();
    expect(status.counters.completed).toBeGreaterThanOrEqual(3);
    expect(status.counters.failed).toBe(0);
  }, 90_000);
});

describe('without ffmpeg', () => {
  test('an engine without a decoder answers 503 with the reason and warns once', async () => {
    const logs: string[] = [];
    const blind = startEngine(config(), { snapshotDecoder: null, logger: createLogger({ level: 'warn', sink: (l) => logs.push(l) }) });
    const feed = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 20, bFrames: 0, gop: 25 }), '-f', 'flv', `rtmp://127.0.0.1:${blind.rtmpPort}/live/dark`]);
    try {
      expect(await waitFor(() => blind.context.streams.find('live', 'dark')?.gop.length !== undefined && (blind.context.streams.find('live', 'dark')?.gop.length ?? 0) > 0, 20_000)).toBe(true);
      expect(await waitFor(() => logs.some((l) => l.includes('ffmpeg is not on the engine PATH')), 10_000)).toBe(true);
      await Bun.sleep(1500); // more turns go by: still one warning
      expect(logs.filter((l) => l.includes('ffmpeg is not on the engine PATH'))).toHaveLength(1);
      const res = await fetch(url(blind, 'live/dark/snapshot.jpg'));
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('ffmpeg is not installed on the engine host');
    } finally {
      await feed.stop();
      blind.stop();
    }
  }, 60_000);

  test("an engine process whose PATH has no ffmpeg reports snapshotDecoder null; with it, ffmpeg's path", async () => {
    const secret = 'snapshot-e2e-secret-0123456789';
    for (const [path, expected] of [['/nonexistent', null], [process.env.PATH ?? '', 'ffmpeg']] as const) {
      const [rtmp, http, api] = [freePort(), freePort(), freePort()];
      const proc = startProcess(['src/engine.ts', '--rtmp-host', '127.0.0.1', '--rtmp-port', String(rtmp), '--http-host', '127.0.0.1', '--http-port', String(http), '--api-port', String(api), '--srt-port', '0', '--no-rtsp'], { WEIR_ENGINE_SECRET: secret, PATH: path });
      try {
        expect(await waitForListening(api, 20_000)).toBe(true);
        const status = (await (await fetch(`http://127.0.0.1:${api}/v1/status`, { headers: { Authorization: `Bearer ${secret}` } })).json()) as { snapshotDecoder: string | null };
        if (expected === null) expect(status.snapshotDecoder).toBeNull();
        else expect(status.snapshotDecoder).toEndWith('/ffmpeg');
      } finally {
        await proc.stop();
      }
    }
  }, 60_000);
});
