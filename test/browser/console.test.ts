// The web console in real headless Chromium against both processes (control plane and engine
// from source, on free ports): log in, create an app and a stream key, publish with ffmpeg,
// see it on the dashboard within 3 s, watch it in the preview (HLS and HTTP-FLV), kick the
// publisher, switch to Chinese. Screenshots go to test-artifacts/.
import { expect, test } from 'bun:test';
import { spawnBackground, testPatternArgs, waitFor } from '../e2e/harness.ts';
import { ADMIN_PASSWORD, useWeir } from '../e2e/weir-processes.ts';
import { saveScreenshot, useBrowser, type Page } from './browser.ts';
import { openConsole } from './console-page.ts';

// useWeir sets the engine's ports before it starts (the console's settings form is covered by the unit tests)
const running = useWeir({ timeoutMs: 60_000 });
const chromium = useBrowser();

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
  const { ports, engine } = running.weir;
  const pageErrors: string[] = [];
  const { page, context, url: consoleUrl } = await openConsole(chromium.browser, {
    port: ports.control,
    password: ADMIN_PASSWORD,
    viewport: { width: 1280, height: 900 },
    watch: (page) => {
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
      page.on('dialog', (d) => void d.accept());
    },
  });
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
  expect(await waitFor(() => engine!.logs.some((l) => l.includes('studio/show') && /publish/i.test(l) && !/refused/.test(l)), 15_000)).toBe(true);
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
