// The console's WebRTC (WHEP) preview in real headless Chromium against both processes: an app
// that plays only signed URLs (so the page's signed query must reach the engine as the bearer
// token), ffmpeg publishing H.264 + AAC over RTMP to an engine without ffmpeg of its own, the
// stream page's WebRTC option decoding frames (requestVideoFrameCallback advances) with a latency
// figure and the video-only note, and
// the session DELETEd on the engine when the preview switches to HLS and when the page is left.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { freePort, killAll, spawnBackground, startProcess, tempDir, testPatternArgs, waitFor, type Proc } from '../e2e/harness.ts';
import { launchWebRtcBrowser } from '../e2e/whep-page.ts';
import { saveScreenshot, type Browser, type Page } from './browser.ts';

const ADMIN_PASSWORD = 'console-webrtc-admin-password';
const ports = { config: freePort(), control: freePort(), engineApi: freePort(), rtmp: freePort(), http: freePort(), webrtc: freePort() };
const consoleUrl = (path: string) => `http://127.0.0.1:${ports.control}${path}`;
let dir: { path: string; remove(): void };
let control: Proc;
let engine: Proc;
let browser: Browser;

beforeAll(async () => {
  dir = tempDir();
  control = startProcess(
    ['src/control-plane.ts', '--data-dir', join(dir.path, 'data'), '--config-port', String(ports.config), '--http-host', '127.0.0.1',
      '--http-port', String(ports.control), '--engine-api', `http://127.0.0.1:${ports.engineApi}`],
    { WEIR_ADMIN_PASSWORD: ADMIN_PASSWORD },
  );
  expect(await waitFor(() => control.logs.some((l) => l.includes('console and REST API listening')), 15_000)).toBe(true);
  const login = await fetch(consoleUrl('/api/v1/session'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const headers = { cookie: login.headers.get('set-cookie')!.split(';')[0]!, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
  const listen = { rtmpHost: '127.0.0.1', rtmpPort: ports.rtmp, httpHost: '127.0.0.1', httpPort: ports.http };
  expect((await fetch(consoleUrl('/api/v1/settings'), { method: 'PATCH', headers, body: JSON.stringify({ listen }) })).status).toBe(200);
  const app = await fetch(consoleUrl('/api/v1/apps'), { method: 'POST', headers, body: JSON.stringify({ name: 'studio', playPolicy: 'signed-url' }) });
  expect(app.status).toBe(201);
  // the engine finds no ffmpeg on its PATH, so the AAC stream plays video-only and the page says so (with ffmpeg
  // the audio is transcoded to Opus: test/e2e/whep-chromium.test.ts)
  engine = startProcess(['src/engine.ts', '--config-url', `http://127.0.0.1:${ports.config}`, '--data-dir', join(dir.path, 'data'),
    '--api-port', String(ports.engineApi), '--webrtc-host', '127.0.0.1', '--webrtc-port', String(ports.webrtc)], { PATH: '/nonexistent' });
  expect(await waitFor(() => engine.logs.some((l) => l.includes('WebRTC listening') && l.includes(`port=${ports.webrtc}`)), 15_000)).toBe(true);
  expect(await waitFor(() => engine.logs.some((l) => l.includes('RTMP listening') && l.includes(`port=${ports.rtmp}`)), 15_000)).toBe(true);
  browser = await launchWebRtcBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await killAll();
  await engine?.stop();
  await control?.stop();
  dir?.remove();
});

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
const closed = (reason: RegExp) => engine.logs.filter((l) => l.includes('WebRTC viewer closed') && reason.test(l)).length;

test("the stream page's WebRTC option plays over WHEP with a signed token, shows its latency, and ends its session", async () => {
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 120, bFrames: 0, gop: 25 }), '-f', 'flv', `rtmp://127.0.0.1:${ports.rtmp}/studio/show`]);
  expect(await waitFor(() => engine.logs.some((l) => l.includes('studio/show') && /publish/i.test(l) && !/refused/.test(l)), 15_000)).toBe(true);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('requestfailed', (r) => consoleLines.push(`failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) consoleLines.push(`${r.status()}: ${r.request().method()} ${r.url()}`); });
  await page.goto(consoleUrl('/login'));
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(consoleUrl('/')), page.click('button.primary')]);

  await page.goto(consoleUrl('/streams/studio/show'));
  const url = await page.getAttribute('[data-testid=proto-webrtc]', 'data-url');
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ports.http}/studio/show/whep\\?expires=\\d+&sign=[0-9a-f]{64}$`));
  // without the signed query the engine refuses: the page's token is what admits it
  expect((await fetch(url!.split('?')[0]!, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' })).status).toBeGreaterThanOrEqual(400);

  await page.click('[data-testid=proto-webrtc]');
  await countFrames(page);
  const decoded = await framesReach(page, 30);
  if (decoded < 30) throw new Error(`WebRTC preview decoded ${decoded} frames; player: ${await page.textContent('#player-state')}\n${engine.logs.slice(-20).join('\n')}`);

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
  if (!(await waitFor(() => closed(/\(DELETE\)/) === 1, 10_000))) throw new Error(`no DELETE: ${JSON.stringify(consoleLines)}\n${engine.logs.filter((l) => /webrtc|whep/i.test(l)).join('\n')}`);
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
