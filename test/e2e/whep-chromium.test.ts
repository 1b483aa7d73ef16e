// WHEP playback in real headless Chromium: ffmpeg publishes H.264 (+AAC) over RTMP, the browser POSTs its offer to
// /{app}/{stream}/whep, completes ICE-lite, DTLS and SRTP against the engine's one UDP port, and decodes video:
// requestVideoFrameCallback keeps firing. The engine lists the viewer as a webrtc client while it plays and
// forgets it after DELETE.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { killAll, publishPattern, startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { launchWebRtcBrowser, openWhepPage, startWhep, stopWhep, whepState } from './whep-page.ts';
import type { Browser } from 'playwright-core';

let engine: TestEngine;
let browser: Browser;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const path = 'live/whep';

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

const webrtcViewers = () => engine.context.clients.list().filter((c) => c.protocol === 'webrtc' && c.role === 'viewer');

describe('WHEP in Chromium', () => {
  test('decodes H.264 video frames from an RTMP publish; AAC audio is declared not sent', async () => {
    const { page, close } = await openWhepPage(browser);
    try {
      await startWhep(page, engine.httpUrl(`${path}/whep`));
      let state = await whepState(page);
      expect(state.errors).toEqual([]);
      expect(state.status).toBe(201);
      expect(state.location).toMatch(/^\/live\/whep\/whep\/[0-9a-f]{32}$/);
      expect(state.audioNote).toContain('aac');
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && state.frames < 30) {
        await Bun.sleep(250);
        state = await whepState(page);
      }
      if (state.frames < 30) throw new Error(`only ${state.frames} frames decoded: ${JSON.stringify({ ...state, answer: undefined })}\n${engine.logs.slice(-30).join('\n')}`);
      expect(state.state).toBe('connected');
      expect(state.tracks).toContain('video');
      expect(webrtcViewers()).toHaveLength(1);
      const stopped = await stopWhep(page, engine.httpUrl(''));
      expect(stopped).toBe(200);
      expect(await waitFor(() => webrtcViewers().length === 0, 5000)).toBe(true);
    } finally {
      await close();
    }
  }, 90_000);
});
