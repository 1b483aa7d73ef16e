// hls.js in Chromium joining a stream nobody played as HLS before (the engine's default, HLS on
// demand): its first playlist starts the muxer from the stream's current GOP, and the player
// plays from there at once. How far behind live it plays depends on where in the GOP it
// joined; both figures are printed, and the bound is the GOP plus PART-HOLD-BACK.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { killAll, publishPatternUntilVideo, startTestEngine, type TestEngine } from '../e2e/harness.ts';
import { launchBrowser, openPlayerPage, type Browser } from './browser.ts';

let engine: TestEngine;
let browser: Browser;
let publishers: Array<Awaited<ReturnType<typeof publishPatternUntilVideo>>> = [];

beforeAll(async () => {
  engine = startTestEngine();
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const publisher of publishers) await publisher.stop();
  await killAll();
  engine.stop();
});

describe('hls.js joins a stream muxed on demand', () => {
  for (const [name, file, lowLatency] of [['LL-HLS', 'll.m3u8', true], ['classic HLS', 'index.m3u8', false]] as const) {
    test(`${name}: the first player starts the muxer and plays within seconds`, async () => {
      const path = `live/cold-${lowLatency ? 'll' : 'ts'}`;
      publishers.push(await publishPatternUntilVideo(engine, path, { seconds: 60, bFrames: 0, gop: 25 }));
      // live a while, never asked for as HLS
      await Bun.sleep(3000);
      expect(engine.context.hls.find(path)).toBeUndefined();
      const player = await openPlayerPage(browser, { kind: 'hls', url: engine.httpUrl(`${path}/${file}`), lowLatency });
      const progress = await player.waitForProgress(2, 30_000);
      expect(progress.advanced).toBeGreaterThanOrEqual(2);
      expect(await player.fatalErrors()).toEqual([]);
      expect(engine.context.hls.find(path)).toBeDefined();
      let lowest = Infinity;
      if (lowLatency) {
        const deadline = Date.now() + 4000;
        while (Date.now() < deadline) {
          const latency = await player.latency();
          if (latency !== null && latency > 0) lowest = Math.min(lowest, latency);
          await Bun.sleep(200);
        }
        // a 1 s GOP, PART-HOLD-BACK about 0.5 s: the player starts PART-HOLD-BACK from the live
        // edge of parts caught up from the GOP (0.6 s on an idle machine); at worst, at the
        // GOP's keyframe
        expect(lowest).toBeLessThan(1.5);
      }
      console.log(`${name} on demand: playing ${(progress.elapsedMs / 1000 - progress.advanced).toFixed(2)} s after the page opened` +
        (lowLatency ? `, lowest latency ${lowest.toFixed(2)} s` : ''));
      await player.close();
    }, 60_000);
  }
});
