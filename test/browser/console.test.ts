// The web console in real headless Chromium against both processes (control plane and engine
// from source, on free ports): log in, create an app and a stream key, publish with ffmpeg,
// see it on the dashboard within 3 s, watch it in the preview (HLS and HTTP-FLV), kick the
// publisher, switch to Chinese. Screenshots go to test-artifacts/.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { freePort, killAll, spawnBackground, startProcess, tempDir, testPatternArgs, waitFor, type Proc } from '../e2e/harness.ts';
import { launchBrowser, saveScreenshot, type Browser, type Page } from './browser.ts';

const ADMIN_PASSWORD = 'console-admin-password';




const ports = { config: freePort(), control: freePort(), engineApi: freePort(), rtmp: freePort(), http: freePort() };
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
  // the engine's ports are set before it starts (the console's settings form is covered by the unit tests)
  const login = await fetch(consoleUrl('/api/v1/session'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const listen = { rtmpHost: '127.0.0.1', rtmpPort: ports.rtmp, httpHost: '127.0.0.1', httpPort: ports.http };
  const patched = await fetch(consoleUrl('/api/v1/settings'), {
    method: 'PATCH',
    headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ listen }),
  });
  expect(patched.status).toBe(200);
  engine = startProcess(['src/engine.ts', '--config-url', `http://127.0.0.1:${ports.config}`, '--data-dir', join(dir.path, 'data'), '--api-port', String(ports.engineApi)]);
  expect(await waitFor(() => engine.logs.some((l) => l.includes('RTMP listening') && l.includes(`port=${ports.rtmp}`)), 15_000)).toBe(true);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await killAll();
  await engine?.stop();
  await control?.stop();
  dir?.remove();
});

const videoTime = (page: Page): Promise<number> =>
  page.evaluate('document.getElementById("preview") ? document.getElementById("preview").currentTime : -1') as Promise<number>;

async function expectVideoAdvances(page: Page, seconds: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let start = -1;
  let now = -1;
  while (Date.now() < deadline) {
    now = await videoTime(page);
    if (start < 0 && now > 0) start = now;
    if (start >= 0 && now - start >= seconds) return;
    await Bun.sleep(200);
  }
  const state = await page.textContent('#player-state');
  throw new Error(`preview did not advance ${seconds} s (start ${start}, now ${now}, player: ${state})`);
}

test('operate Weir from the console', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  page.on('dialog', (d) => void d.accept());

  // log in
  await page.goto(consoleUrl('/'));
  expect(page.url()).toBe(consoleUrl('/login'));
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(consoleUrl('/')), page.click('button.primary')]);
  await page.waitForSelector('[data-testid=engine-state] .up', { timeout: 5000 });

  // create an app that needs a stream key, then a key
  await page.goto(consoleUrl('/apps'));
  await page.fill('[data-testid=new-app] input[name=name]', 'studio');
  await page.selectOption('[data-testid=new-app] select[name=publishPolicy]', 'stream-key');
  await page.click('[data-testid=new-app] button.primary');
  await page.waitForSelector('tr[data-app=studio]', { timeout: 5000 });
  await page.click('tr[data-app=studio] a');
  await page.waitForURL(consoleUrl('/apps/studio'));
  await page.fill('[data-testid=new-key-form] input[name=stream]', 'show');
  await page.click('[data-testid=new-key-form] button.primary');
  const key = (await page.locator('code[data-testid=new-key]').textContent({ timeout: 5000 }))!.trim();
  expect(key).toMatch(/^wsk_/);

  // publish with ffmpeg; the dashboard (refreshing every 2 s) shows it without a reload
  await page.goto(consoleUrl('/'));
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 120, bFrames: 0, gop: 25 }), '-f', 'flv',
    `rtmp://127.0.0.1:${ports.rtmp}/studio/show?key=${key}`]);
  expect(await waitFor(() => engine.logs.some((l) => l.includes('studio/show') && /publish/i.test(l) && !/refused/.test(l)), 15_000)).toBe(true);
  const liveAt = Date.now();
  await page.waitForSelector('tr[data-stream="studio/show"]', { timeout: 10_000 });
  // a few refreshes at most (room for a loaded machine), not a page reload
  expect(Date.now() - liveAt).toBeLessThan(10_000);
  // a later refresh shows codecs and bitrate
  await page.waitForSelector('tr[data-stream="studio/show"]:has-text("h264")', { timeout: 10_000 });
  expect(await page.textContent('tr[data-stream="studio/show"]')).toContain('h264');
  await saveScreenshot(page, 'console-dashboard.png');

  // the stream page: HLS preview first, then HTTP-FLV
  await page.click('tr[data-stream="studio/show"] a');
  await page.waitForURL(consoleUrl('/streams/studio/show'));
  expect(await page.textContent('[data-testid=obs-key]')).toContain('show?key=KEY');
  expect(await page.textContent('[data-testid=url-hls]')).toBe(`http://127.0.0.1:${ports.http}/studio/show/index.m3u8`);
  await page.waitForSelector('button.proto.active[data-protocol=hls]');
  await expectVideoAdvances(page, 2, 30_000);
  await page.click('button.proto[data-protocol=http-flv]');
  await page.waitForSelector('button.proto.active[data-protocol=http-flv]');
  await Bun.sleep(300);
  await expectVideoAdvances(page, 2, 20_000);
  await page.waitForFunction('document.getElementById("latency").textContent.endsWith(" s")', undefined, { timeout: 5000 });
  await page.waitForSelector('[data-testid=live-facts]');
  await saveScreenshot(page, 'console-stream.png');

  // kick the publisher: the stream disappears
  await page.click('[data-testid=kick]');
  await page.waitForSelector('[data-testid=not-live]', { timeout: 5000 });
  await page.goto(consoleUrl('/'));
  await page.waitForSelector('[data-testid=no-streams]', { timeout: 5000 });
  expect(await page.locator('tr[data-stream="studio/show"]').count()).toBe(0);
  await publisher.stop();

  // switch to Chinese: remembered across pages
  await Promise.all([page.waitForURL(consoleUrl('/')), page.click('[data-testid=lang-zh]')]);
  expect(await page.textContent('h1')).toBe('仪表盘');
  await page.goto(consoleUrl('/apps'));
  expect(await page.textContent('nav')).toContain('应用');

  expect(pageErrors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
  await context.close();
}, 120_000);
