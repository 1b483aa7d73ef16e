// The slow-viewer policy must leave a real browser on a good link alone: Chromium's REMB on loopback starts near
// what it receives and climbs, and its viewer keeps full video (never degraded) while it plays for a while.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import type { WhepViewer } from '../../src/server/webrtc/webrtc-viewer.ts';
import { killAll, publishPattern, startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { launchWebRtcBrowser, openWhepPage, startWhep, stopWhep, whepState } from './whep-page.ts';

let engine: TestEngine;
let browser: Browser;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const path = 'live/wheplink';

beforeAll(async () => {
  engine = startTestEngine({ webrtc: {} });
  await engine.ready;
  publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 120, bFrames: 0, gop: 25 });
  browser = await launchWebRtcBrowser();
  expect(await waitFor(() => engine.context.streams.list().some((s) => s.path === path && s.videoHeader !== null), 20_000)).toBe(true);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await publisher?.stop();
  await killAll();
  engine?.stop();
});

describe('WHEP link policy with Chromium', () => {
  test('a browser on loopback keeps full video: its REMB is read and it is never degraded', async () => {
    const { page, close } = await openWhepPage(browser);
    try {
      await startWhep(page, engine.httpUrl(`${path}/whep`));
      let state = await whepState(page);
      for (let i = 0; i < 120 && state.frames < 25; i++) {
        await Bun.sleep(250);
        state = await whepState(page);
      }
      expect(state.frames).toBeGreaterThanOrEqual(25);
      const session = engine.webrtc!.sessions.byResourceId(state.location!.split('/').pop()!) as WhepViewer;
      const rembs: number[] = [];
      const startFrames = state.frames;
      // 15 s: past the REMB warm-up (its first comes seconds in), the measuring window and the degrade hold
      for (let i = 0; i < 60; i++) {
        await Bun.sleep(250);
        rembs.push(session.stats.rembBps);
        expect(session.degraded).toBe(false);
      }
      state = await whepState(page);
      // the REMB was read all along, and climbed from its first value
      const read = rembs.filter((r) => r > 0);
      expect(read.length).toBeGreaterThan(0);
      expect(read[read.length - 1]!).toBeGreaterThanOrEqual(read[0]!);
      expect(session.stats.degradations).toBe(0);
      expect(session.stats.framesSkipped).toBe(0);
      // 15 s at 25 fps, decoded
      expect(state.frames - startFrames).toBeGreaterThan(250);
      expect(await stopWhep(page, engine.httpUrl(''))).toBe(200);
    } finally {
      await close();
    }
  }, 60_000);
});
