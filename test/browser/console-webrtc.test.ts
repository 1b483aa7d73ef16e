// The console's WebRTC (WHEP) preview in real headless Chromium against both processes: an app
// that plays only signed URLs (so the page's signed query must reach the engine as the bearer
// token), ffmpeg publishing H.264 + AAC over RTMP to an engine without ffmpeg of its own, the
// stream page's WebRTC option decoding frames (requestVideoFrameCallback advances) with a latency
// figure and the video-only note, and
// the session DELETEd on the engine when the preview switches to HLS and when the page is left.
import { expect, test } from 'bun:test';
import { freePort, spawnBackground, testPatternArgs, waitFor } from '../e2e/harness.ts';
import { ADMIN_PASSWORD, useWeir } from '../e2e/weir-processes.ts';
import { saveScreenshot, useBrowser, type Page } from './browser.ts';
import { openConsole } from './console-page.ts';

const webrtcPort = freePort();
const running = useWeir({
  engineArgs: ['--webrtc-host', '127.0.0.1', '--webrtc-port', String(webrtcPort)],
  // the engine finds no ffmpeg on its PATH, so the AAC stream plays video-only and the page says so (with ffmpeg
  // the audio is transcoded to Opus: test/e2e/whep-chromium.test.ts)
  engineEnv: { PATH: '/nonexistent' },
  timeoutMs: 60_000,
  setup: async (weir) => {
    expect((await weir.api('POST', '/apps', { name: 'studio', playPolicy: 'signed-url' })).status).toBe(201);
    expect(await weir.engineCurrent()).toBe(true);
    expect(await waitFor(() => weir.engine!.logs.some((l) => l.includes('WebRTC listening') && l.includes(`port=${webrtcPort}`)), 15_000)).toBe(true);
  },
});
const chromium = useBrowser({ webrtc: true });
const engineLogs = () => running.weir.engine!.logs;

/** counts the preview's decoded frames from now on (requestVideoFrameCallback) */
const countFrames = (page: Page) =>
  page.evaluate(`(() => { const v = document.getElementById('preview'); window.__frames = 0;
    const tick = () => { window.__frames++; v.requestVideoFrameCallback(tick); }; v.requestVideoFrameCallback(tick); })()`);
const frames = (page: Page) => page.evaluate('window.__frames || 0') as Promise<number>;
/** waits (bounded) for `n` decoded frames; the count then */
async function framesReach(page: Page, n: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await frames(page)) < n) await Bun.sleep(250);
  return frames(page);
}
const closed = (reason: RegExp) => engineLogs().filter((l) => l.includes('WebRTC viewer closed') && reason.test(l)).length;

test("the stream page's WebRTC option plays over WHEP with a signed token, shows its latency, and ends its session", async () => {
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 120, bFrames: 0, gop: 25 }), '-f', 'flv', `rtmp://127.0.0.1:${running.weir.ports.rtmp}/studio/show`]);
  expect(await waitFor(() => engineLogs().some((l) => l.includes('studio/show') && /publish/i.test(l) && !/refused/.test(l)), 15_000)).toBe(true);

  const pageErrors: string[] = [];
  const consoleLines: string[] = [];
  const { page, context, url: consoleUrl } = await openConsole(chromium.browser, {
    port: running.weir.ports.control,
    password: ADMIN_PASSWORD,
    viewport: { width: 1280, height: 900 },
    watch: (page) => {
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      page.on('console', (m) => consoleLines.push(m.text()));
      page.on('requestfailed', (r) => consoleLines.push(`failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
      page.on('response', (r) => { if (r.status() >= 400) consoleLines.push(`${r.status()}: ${r.request().method()} ${r.url()}`); });
    },
  });

  await page.goto(consoleUrl('/streams/studio/show'));
  const url = await page.getAttribute('[data-testid=proto-webrtc]', 'data-url');
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${running.weir.ports.http}/studio/show/whep\\?expires=\\d+&sign=[0-9a-f]{64}$`));
  // without the signed query the engine refuses: the page's token is what admits it
  expect((await fetch(url!.split('?')[0]!, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' })).status).toBeGreaterThanOrEqual(400);

  await page.click('[data-testid=proto-webrtc]');
  await countFrames(page);
  const decoded = await framesReach(page, 30);
  if (decoded < 30) throw new Error(`WebRTC preview decoded ${decoded} frames; player: ${await page.textContent('#player-state')}\n${engineLogs().slice(-20).join('\n')}`);

  // a latency figure from the receiver's statistics, in seconds with milliseconds, under a second on loopback
  await page.waitForFunction(`/^\\d+\\.\\d{3} s$/.test(document.getElementById('latency').textContent)`, null, { timeout: 15_000 });
  const latency = Number.parseFloat((await page.textContent('[data-testid=latency]'))!);
  console.log(`console WebRTC preview latency (jitter buffer + RTT/2): ${latency} s`);
  expect(latency).toBeGreaterThanOrEqual(0);
  expect(latency).toBeLessThan(1);
  // AAC is not sent over WebRTC without ffmpeg: the page says so, with the engine's reason
  await page.waitForSelector('[data-testid=webrtc-note]:not([hidden])', { timeout: 5000 });
  expect(await page.textContent('[data-testid=webrtc-note]')).toContain('WebRTC plays this stream without sound: aac');
  await saveScreenshot(page, 'console-webrtc.png');

  // switching to HLS DELETEs the WHEP session on the engine
  await page.click('[data-testid=proto-hls]');
  if (!(await waitFor(() => closed(/\(DELETE\)/) === 1, 10_000))) throw new Error(`no DELETE: ${JSON.stringify(consoleLines)}\n${engineLogs().filter((l) => /webrtc|whep/i.test(l)).join('\n')}`);
  expect(await page.isHidden('[data-testid=webrtc-note]')).toBe(true);

  // leaving the page while WebRTC plays ends the session at once too (not after the ICE timeout): by
  // the keepalive DELETE, or by the DTLS close_notify of the connection the browser closes
  await page.click('[data-testid=proto-webrtc]');
  await countFrames(page);
  expect(await framesReach(page, 5)).toBeGreaterThanOrEqual(5);
  await page.goto(consoleUrl('/'));
  expect(await waitFor(() => closed(/\(DELETE\)|the client closed DTLS/) === 2, 10_000)).toBe(true);
  expect(closed(/ICE timeout/)).toBe(0);
  expect(pageErrors).toEqual([]);
  await context.close();
  await publisher.stop();
}, 120_000);
