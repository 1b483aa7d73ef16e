// Weir's outputs played in real headless Chromium: hls.js on the HLS and LL-HLS playlists,
// mpegts.js on HTTP-FLV and WebSocket-FLV, all fed by ffmpeg publishing RTMP.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { killAll, publishPattern, startTestEngine, waitFor, type TestEngine } from '../e2e/harness.ts';
import { launchBrowser, openPlayerPage, type Browser, type PlayerPage } from './browser.ts';

let engine: TestEngine;
let browser: Browser;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const path = 'live/browser';

beforeAll(async () => {
  engine = startTestEngine();
  // 1 s GOP, as the LL-HLS latency target assumes
  publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 120, bFrames: 0, gop: 25 });
  browser = await launchBrowser();
  expect(await waitFor(() => (engine.context.hls.find(path)?.ts?.segments.length ?? 0) >= 3, 20_000)).toBe(true);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await publisher?.stop();
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

  test('plays LL-HLS with low latency (well under the 6 s of classic HLS)', async () => {
    // maxLiveSyncPlaybackRate: hls.js plays a little faster to get back to its target latency
    // after a stall, as a low-latency deployment configures it
    const player = await play({ kind: 'hls', url: engine.httpUrl(`${path}/ll.m3u8`), lowLatency: true, config: { maxLiveSyncPlaybackRate: 1.5 } }, 4);
    // PART-HOLD-BACK is 1 s; classic HLS holds back three 2 s segments. A stall on a loaded
    // machine makes the latency jump for a moment: hls.js then catches up, so the lowest latency
    // seen over a few seconds of playback is the one that says what LL-HLS gives.
    let lowest = Infinity;
    for (let i = 0; i < 20 && lowest >= 4.5; i++) {
      const latency = await player.latency();
      if (latency !== null) lowest = Math.min(lowest, latency);
      if (lowest >= 4.5) await Bun.sleep(500);
    }
    expect(lowest).toBeLessThan(4.5);
    await player.screenshot('engine-ll-hls.png');
    await player.close();
  }, 60_000);
});

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
