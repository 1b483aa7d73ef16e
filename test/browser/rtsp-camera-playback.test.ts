// A camera pulled over RTSP, played in real headless Chromium with hls.js: GStreamer's RTSP server (Digest auth, H.264
// and AAC as MP4A-LATM) is the camera, Weir pulls it into live/cam, and hls.js plays the HLS playlist with picture.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { killAll, waitFor } from '../e2e/harness.ts';
import { startGstCamera, type GstCamera } from '../relay/gst-camera.ts';
import { startRelayEngine, type RelayTestEngine } from '../relay/relay-harness.ts';
import { launchBrowser, openPlayerPage, type Browser } from './browser.ts';

let camera: GstCamera;
let engine: RelayTestEngine;
let browser: Browser;

beforeAll(async () => {
  camera = await startGstCamera();
  engine = startRelayEngine({ pulls: [{ id: 'cam1', app: 'live', stream: 'cam', url: camera.url(), enabled: true }] });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  engine?.stop();
  await camera?.stop();
  await killAll();
});

test('hls.js plays the pulled camera: at least 3 s of media advance, 320x240 picture, no fatal error', async () => {
  expect(await waitFor(() => engine.relay('cam1')?.state === 'live', 30_000)).toBe(true);
  expect(await waitFor(() => (engine.context.hls.find('live/cam')?.ts?.segments.length ?? 0) >= 3, 30_000)).toBe(true);
  const player = await openPlayerPage(browser, { kind: 'hls', url: engine.httpUrl('live/cam/index.m3u8') });
  try {
    const progress = await player.waitForProgress(3, 30_000);
    expect(progress.advanced).toBeGreaterThanOrEqual(3);
    const state = await player.state();
    expect([state.videoWidth, state.videoHeight]).toEqual([320, 240]);
    expect(await player.fatalErrors()).toEqual([]);
    await player.screenshot('rtsp-camera-hls.png');
  } finally {
    await player.close();
  }
}, 90_000);
