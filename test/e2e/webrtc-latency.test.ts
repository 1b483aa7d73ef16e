// Glass-to-glass latency through the engine, browser to browser: one Chromium page draws the clock (20 bits of
// milliseconds as black/white bars) on a canvas and publishes it over WHIP; another plays the stream over WHEP,
// reads the bars back from each decoded frame (requestVideoFrameCallback) and subtracts from its own clock (the
// same machine clock). The figure includes both browsers' capture, encode, jitter buffer and decode.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { killAll, startTestEngine, type TestEngine } from './harness.ts';
import { openWhepPage, startWhep } from './whep-page.ts';
import { useBrowser } from '../browser/browser.ts';

const chromium = useBrowser({ webrtc: true });
let engine: TestEngine;
const path = 'live/latency';
const BITS = 20;

beforeAll(async () => {
  engine = startTestEngine({ webrtc: {} });
  await engine.ready;
}, 60_000);

afterAll(async () => {
  await killAll();
  engine?.stop();
});

type Globals = { __lat?: number[]; __pubErr?: string[] };

async function publishClock(page: Page, url: string): Promise<void> {
  await page.evaluate(
    async ([u, bits]) => {
      const g = globalThis as unknown as Record<string, any>;
      const doc = g.document;
      const canvas = doc.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      doc.body.appendChild(canvas);
      const ctx = canvas.getContext('2d');
      const draw = () => {
        const now = Date.now() % 2 ** bits;
        ctx.fillStyle = '#808080';
        ctx.fillRect(0, 0, 320, 240);
        for (let i = 0; i < bits; i++) {
          ctx.fillStyle = (now >> (bits - 1 - i)) & 1 ? '#ffffff' : '#000000';
          ctx.fillRect(i * 16, 0, 16, 240);
        }
      };
      g.setInterval(draw, 5);
      const stream = canvas.captureStream(30);
      const pc = new g.RTCPeerConnection();
      g.__pub = pc;
      pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly' });
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const res = await g.fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer.sdp });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`WHIP POST ${res.status}: ${text}`);
      await pc.setRemoteDescription({ type: 'answer', sdp: text });
    },
    [url, BITS] as const,
  );
}

async function measure(page: Page): Promise<void> {
  await page.evaluate((bits) => {
    const g = globalThis as unknown as Record<string, any>;
    const video = g.document.getElementById('video');
    const canvas = g.document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const samples: number[] = [];
    g.__lat = samples;
    const onFrame = () => {
      ctx.drawImage(video, 0, 0, 320, 240);
      const row = ctx.getImageData(0, 120, 320, 1).data;
      let value = 0;
      for (let i = 0; i < bits; i++) value = (value << 1) | (row[(i * 16 + 8) * 4] > 128 ? 1 : 0);
      const modulus = 2 ** bits;
      samples.push((((Date.now() % modulus) - value) % modulus + modulus) % modulus);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }, BITS);
}

describe('glass-to-glass over WHIP then WHEP', () => {
  test('one browser sees the clock of another well under a second late', async () => {
    const publisher = await openWhepPage(chromium.browser);
    const viewer = await openWhepPage(chromium.browser);
    try {
      await publishClock(publisher.page, engine.httpUrl(`${path}/whip`));
      const live = () => engine.context.streams.list().find((s) => s.path === path);
      for (let i = 0; i < 80 && !live()?.started; i++) await Bun.sleep(250);
      await startWhep(viewer.page, engine.httpUrl(`${path}/whep`));
      await measure(viewer.page);
      let samples: number[] = [];
      for (let i = 0; i < 80 && samples.length < 150; i++) {
        await Bun.sleep(250);
        samples = await viewer.page.evaluate(() => (globalThis as unknown as Globals).__lat ?? []);
      }
      // the first frames out of the jitter buffer are the oldest; the steady state is what a viewer lives with
      const steady = samples.slice(30).sort((a, b) => a - b);
      expect(steady.length).toBeGreaterThan(60);
      const median = steady[Math.floor(steady.length / 2)]!;
      const p90 = steady[Math.floor(steady.length * 0.9)]!;
      console.log(`glass-to-glass WHIP->WHEP in Chromium on loopback: median ${median} ms, p90 ${p90} ms, min ${steady[0]} ms over ${steady.length} frames`);
      // loose bound for a loaded 2-core machine; the figure itself is what bench/RESULTS.md reports
      expect(median).toBeLessThan(1000);
    } finally {
      await viewer.close();
      await publisher.close();
    }
  }, 90_000);
});
