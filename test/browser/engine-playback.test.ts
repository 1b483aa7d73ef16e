// Weir's outputs played in real headless Chromium: hls.js on the HLS and LL-HLS playlists,
// mpegts.js on HTTP-FLV and WebSocket-FLV, all fed by ffmpeg publishing RTMP.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { killAll, publishPattern, startTestEngine, waitFor, type TestEngine } from '../e2e/harness.ts';
import { launchBrowser, openPlayerPage, type Browser, type PlayerPage } from './browser.ts';

let engine: TestEngine;
let browser: Browser;
let publishers: Array<Awaited<ReturnType<typeof publishPattern>>> = [];
/** 25 fps with a 1 s GOP */
const path = 'live/browser';
/** the same with a 2 s GOP */
const path2sGop = 'live/browser-2s-gop';

beforeAll(async () => {
  // the engine's defaults: HLS muxed on demand, from the first playlist request on
  engine = startTestEngine();
  publishers = await Promise.all([
    publishPattern(engine.rtmpUrl(path), { seconds: 150, bFrames: 0, gop: 25 }),
    publishPattern(engine.rtmpUrl(path2sGop), { seconds: 150, bFrames: 0, gop: 50 }),
  ]);
  browser = await launchBrowser();
  // Viewers join streams that have been live a while (a few GOPs): nobody asked for them as HLS
  // yet, so the first playlist request starts each one's muxer from its current GOP.
  const live = (p: string) => engine.context.streams.list().some((s) => s.path === p && s.videoHeader !== null);
  expect(await waitFor(() => live(path) && live(path2sGop), 30_000)).toBe(true);
  await Bun.sleep(5000);
  expect(engine.context.hls.find(path)).toBeUndefined();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const publisher of publishers) await publisher.stop();
  await killAll();
  engine.stop();
});

async function play(options: Parameters<typeof openPlayerPage>[1], seconds: number): Promise<PlayerPage> {
  const player = await openPlayerPage(browser, options);
  const progress = await player.waitForProgress(seconds, 30_000);
  expect(progress.advanced).toBeGreaterThanOrEqual(seconds);
  expect(await player.fatalErrors()).toEqual([]);
  return player;
}

describe('hls.js in Chromium', () => {
  test('plays classic HLS (MPEG-TS)', async () => {
    const player = await play({ kind: 'hls', url: engine.httpUrl(`${path}/index.m3u8`) }, 3);
    await player.screenshot('engine-hls.png');
    await player.close();
  }, 60_000);

  // hls.js with its default settings (lowLatencyMode) on Weir's default LL-HLS settings: a 150 ms
  // part target, so 4-frame (160 ms) parts at 25 fps and PART-HOLD-BACK 0.48 s. hls.js starts PART-HOLD-BACK behind the live edge; its latency
  // (the last listed part's end plus the playlist's age, minus the playhead) is that plus how long
  // it took to start. A stall on a loaded machine adds to it for good (hls.js only plays faster
  // to catch up with more than a second buffered), so the lowest latency over a few seconds of
  // playing is the one that says what LL-HLS gives.
  for (const [gop, streamPath, bound, screenshot] of [['1 s', path, '1.0', 'engine-ll-hls.png'], ['2 s', path2sGop, '1.5', null]] as const) {
    test(`plays LL-HLS under ${bound} s behind live with a ${gop} GOP`, async () => {
      const url = engine.httpUrl(`${streamPath}/ll.m3u8`);
      let { player, startSec } = await playTimed(url);
      let lowest = await lowestLatency(player, 5);
      if (lowest >= Number(bound) && startSec >= SLOW_START_SEC) {
        // hls.js keeps the position it chose when it loaded its first playlist: a player whose
        // start the machine held up (in CI runs of the whole suite, now and then, 4-5 s) plays
        // that much behind for good (by default it neither seeks back to live nor plays faster),
        // and once it is further behind than the listed parts reach it loads whole segments,
        // HOLD-BACK (6 s) behind. Reproduced by delaying every response 700 ms for the first 5 s:
        // a 6 s start and 4.8 s latency, held. Such a start says nothing of the server, so it is
        // printed and a second player is measured; a slow player that started on time fails.
        console.log(`LL-HLS ${gop} GOP: first player started in ${startSec.toFixed(1)} s, lowest latency ${lowest} s`, JSON.stringify({ errors: await player.errors(), state: await player.state(), log: player.logs().slice(-40) }));
        await player.close();
        ({ player, startSec } = await playTimed(url));
        lowest = await lowestLatency(player, 5);
      }
      expect(lowest).toBeLessThan(Number(bound));
      expect((await player.waitForProgress(1, 15_000)).advanced).toBeGreaterThanOrEqual(1);
      expect(await player.fatalErrors()).toEqual([]);
      if (screenshot) await player.screenshot(screenshot);
      await player.close();
    }, 90_000);
  }
});

/**
 * A start slower than this is the machine's: on an idle one hls.js plays its first second of
 * LL-HLS 0.2-0.3 s after the page opens (its wait for that second, less the second).
 */
const SLOW_START_SEC = 2;

/** An LL-HLS player and how long it took to start: the wait for its first second of play, less that second. */
async function playTimed(url: string): Promise<{ player: PlayerPage; startSec: number }> {
  const player = await openPlayerPage(browser, { kind: 'hls', url, lowLatency: true });
  const progress = await player.waitForProgress(1, 30_000);
  expect(progress.advanced).toBeGreaterThanOrEqual(1);
  expect(await player.fatalErrors()).toEqual([]);
  return { player, startSec: progress.elapsedMs / 1000 - progress.advanced };
}

/** The lowest hls.js latency seen while playing for `seconds` (hls.js reads 0 until it has one). */
async function lowestLatency(player: PlayerPage, seconds: number): Promise<number> {
  let lowest = Infinity;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const latency = await player.latency();
    if (latency !== null && latency > 0) lowest = Math.min(lowest, latency);
    await Bun.sleep(200);
  }
  return lowest;
}

describe('mpegts.js in Chromium', () => {
  test('plays HTTP-FLV', async () => {
    const player = await play({ kind: 'mpegts', type: 'flv', url: engine.httpUrl(`${path}.flv`) }, 3);
    await player.close();
  }, 60_000);

  test('plays WebSocket-FLV', async () => {
    const player = await play({ kind: 'mpegts', type: 'flv', url: `ws://127.0.0.1:${engine.httpPort}/${path}.flv` }, 3);
    await player.close();
  }, 60_000);
});
