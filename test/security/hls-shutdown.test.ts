// Issue 10 item 13, against a real weir-engine process with ffmpeg publishing:
// - HLS viewer counts are playback sessions, not addresses: N players on 127.0.0.1 count N
//   (before: 20 players behind one address counted 1), and a real player (ffmpeg) counts once.
// - On SIGTERM the engine exited within ~30 ms, so a polling HLS player got "connection refused"
//   instead of the end. Now its next poll is answered with EXT-X-ENDLIST, new FLV viewers get 503,
//   and the process still exits 0 within the drain bound (early, once every player saw the end).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { killAll, publishPattern, spawnBackground, tempDir } from '../e2e/harness.ts';
import { makeSnapshot, startFakeConfigServer, type FakeConfigServer } from '../engine/fake-config-server.ts';
import { hlsSessionId, newHlsSessionId, viewerQuery } from '../../src/server/http/hls-http.ts';
import { HlsViewerTracker } from '../../src/server/http/hls-viewers.ts';
import { startEngineProcess, type EngineProcess } from './hls-upstream-harness.ts';

const SECRET = 'hls-shutdown-secret';
const DRAIN_MS = 8000;
const TARGET_MS = 1000;
let fake: FakeConfigServer;
let dir: { path: string; remove(): void };
const engines: EngineProcess[] = [];

beforeAll(() => {
  dir = tempDir();
  fake = startFakeConfigServer({
    secret: SECRET,
    snapshot: makeSnapshot({ revision: 1, hls: { targetDurationMs: TARGET_MS, partTargetMs: 250, windowSegments: 6, alwaysRemux: false, muxerCloseAfterMs: 60_000 } }),
  });
});

afterAll(async () => {
  for (const e of engines) await e.kill();
  await killAll();
  fake?.stop();
  dir?.remove();
});

async function liveEngine(stream: string): Promise<EngineProcess> {
  const engine = await startEngineProcess({ configUrl: fake.url, secret: SECRET, dir: dir.path, env: { WEIR_DRAIN_TIMEOUT_MS: String(DRAIN_MS) } });
  engines.push(engine);
  await publishPattern(`rtmp://127.0.0.1:${engine.rtmpPort}/live/${stream}`, { seconds: 60, bFrames: 0 });
  await engine.log.waitFor(/publish started/);
  return engine;
}

/** A player's first request: the playlist URL it was given. Returns the media playlist URL it then polls. */
async function join(entryUrl: string): Promise<string> {
  // the playlist answers once it has a segment (it waits up to three target durations for one)
  const res = await fetch(entryUrl);
  const text = await res.text();
  expect(res.status).toBe(200);
  expect(text.startsWith('#EXTM3U')).toBe(true);
  if (!text.includes('#EXT-X-STREAM-INF')) return entryUrl; // old engines answer the media playlist itself
  const uri = text.split('\n').find((line) => line.length > 0 && !line.startsWith('#'))!;
  return new URL(uri, entryUrl).href;
}

async function viewers(engine: EngineProcess, stream: string): Promise<Record<string, number>> {
  return (await engine.streams()).find((s) => s.app === 'live' && s.stream === stream)?.viewers ?? {};
}

describe('HLS session ids and the viewer tracker', () => {
  test('the session id is not part of what admission sees or what media URIs carry', () => {
    expect(viewerQuery(new URLSearchParams('token=ok&weir_sid=abcdefghijklmnop&_HLS_msn=3'))).toBe('token=ok');
  });

  test('only well-formed session ids count; new ones are 16 random base64url characters', () => {
    expect(hlsSessionId(new URLSearchParams('weir_sid=abcdefghijklmnop'))).toBe('abcdefghijklmnop');
    for (const bad of ['weir_sid=short', 'weir_sid=' + 'x'.repeat(65), 'weir_sid=abcdefghijklmno%0A', 'weir_sid=abcdefgh%22jklmnop', 'other=abcdefghijklmnop']) {
      expect(hlsSessionId(new URLSearchParams(bad))).toBeUndefined();
    }
    const ids = new Set(Array.from({ length: 100 }, () => newHlsSessionId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  test('waitingSince counts players seen in the window before a moment and not since', () => {
    let now = 100_000;
    const tracker = new HlsViewerTracker(10_000, () => now);
    tracker.record('live/a', 'hls', 'old');
    now += 9_000;
    tracker.record('live/a', 'hls', 's1');
    tracker.record('live/a', 'll-hls', 's2');
    tracker.record('live/b', 'hls', 's3');
    const endedAtMs = now + 1;
    expect(tracker.waitingSince(endedAtMs)).toBe(4);
    expect(tracker.waitingSince(endedAtMs, ['live/b'])).toBe(1); // only the streams that ended
    now += 2_000; // 'old' leaves the window
    tracker.record('live/a', 'hls', 's1');
    expect(tracker.waitingSince(endedAtMs)).toBe(3); // s2, s3, and old (seen 11 s before now, within 10 s of the end)
    tracker.record('live/a', 'll-hls', 's2');
    tracker.record('live/b', 'hls', 's3');
    expect(tracker.waitingSince(endedAtMs)).toBe(1);
    expect(tracker.count('live/a')).toEqual({ hls: 1, 'll-hls': 1 });
  });
});

describe('HLS viewer counts', () => {
  test('N players from one address count N (classic and LL-HLS); a real player counts once', async () => {
    const engine = await liveEngine('many');
    const base = `http://127.0.0.1:${engine.httpPort}/live/many`;
    const N = 6;
    const M = 3;
    const classic = await Promise.all(Array.from({ length: N }, () => join(`${base}/index.m3u8`)));
    const low = await Promise.all(Array.from({ length: M }, () => join(`${base}/ll.m3u8`)));
    // each player got its own session URL, carrying the same (empty) token
    expect(new Set(classic).size).toBe(N);
    for (const url of classic) expect(url).toMatch(/\/index\.m3u8\?weir_sid=[A-Za-z0-9_-]{16}$/);
    // every player polls its media playlist twice, as players do
    for (let round = 0; round < 2; round++) {
      for (const url of [...classic, ...low]) {
        const res = await fetch(url);
        const text = await res.text();
        expect(res.status).toBe(200);
        expect(text).toContain('#EXTINF');
        expect(text).not.toContain('weir_sid'); // segments stay one URL for everyone (cacheable)
      }
    }
    expect(await viewers(engine, 'many')).toEqual({ hls: N, 'll-hls': M });

    // ffmpeg as a real player: loads the multivariant playlist once, then reloads its media playlist
    const player = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-i', `${base}/index.m3u8`, '-t', '6', '-c', 'copy', '-f', 'null', '-']);
    const counts: number[] = [];
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline && player.proc.exitCode === null) {
      counts.push((await viewers(engine, 'many')).hls ?? 0);
      await Bun.sleep(250);
    }
    expect(await player.proc.exited).toBe(0);
    // the scripted players stay in the 10 s window for a while: ffmpeg adds exactly one, never more
    expect(Math.max(...counts)).toBe(N + 1);
  }, 60_000);
});

describe('HLS on shutdown', () => {
  test('after SIGTERM a polling player gets EXT-X-ENDLIST, not connection refused; the engine exits 0 in time', async () => {
    const engine = await liveEngine('end');
    const base = `http://127.0.0.1:${engine.httpPort}/live/end`;
    const players = await Promise.all([join(`${base}/index.m3u8`), join(`${base}/index.m3u8`), join(`${base}/ll.m3u8`)]);
    for (const url of players) expect((await fetch(url)).status).toBe(200);
    const exited = engine.proc.exited;

    const startedMs = performance.now();
    engine.proc.kill('SIGTERM');
    await engine.log.waitFor(/INFO  draining/);
    // the players' next polls: the final playlist
    for (const url of players) {
      const res = await fetch(url);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).toContain('#EXT-X-ENDLIST');
    }
    const exitCode = await Promise.race([exited, Bun.sleep(DRAIN_MS + 3000).then(() => 'timeout' as const)]);
    const elapsedMs = performance.now() - startedMs;
    expect(exitCode).toBe(0);
    expect(elapsedMs).toBeLessThan(DRAIN_MS);
    await engine.log.ended;
    // every player was served the end: the grace ended before its bound of two target durations
    const graceMs = Number(/HLS grace over elapsedMs=(\d+) stillPolling=0/.exec(engine.log.text)?.[1]);
    expect(graceMs).toBeLessThan(2 * TARGET_MS);
    expect(engine.log.text).toMatch(/INFO  drained streams=1/);
  }, 60_000);

  test('during the grace only HLS is answered; a player that never polls again does not hold the engine past the bound', async () => {
    const engine = await liveEngine('grace');
    const base = `http://127.0.0.1:${engine.httpPort}/live/grace`;
    const player = await join(`${base}/index.m3u8`);
    expect((await fetch(player)).status).toBe(200);
    const exited = engine.proc.exited;
    const startedMs = performance.now();
    engine.proc.kill('SIGTERM');
    await engine.log.waitFor(/INFO  draining/);
    const flv = await fetch(`${base}.flv`);
    expect(flv.status).toBe(503);
    expect(await flv.text()).toBe('shutting down\n');
    const health = await fetch(`http://127.0.0.1:${engine.httpPort}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ ready: false });
    // a new player arriving now still gets a session and the final playlist
    const late = await join(`${base}/index.m3u8`);
    expect(await (await fetch(late)).text()).toContain('#EXT-X-ENDLIST');
    // the first player never polls again: the grace runs to its bound (2 target durations), then the engine exits
    const exitCode = await Promise.race([exited, Bun.sleep(DRAIN_MS + 3000).then(() => 'timeout' as const)]);
    const elapsedMs = performance.now() - startedMs;
    expect(exitCode).toBe(0);
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * TARGET_MS - 100);
    expect(elapsedMs).toBeLessThan(DRAIN_MS);
    await engine.log.ended;
    expect(engine.log.text).toMatch(/HLS grace over elapsedMs=\d+ stillPolling=1/);
  }, 60_000);
});
