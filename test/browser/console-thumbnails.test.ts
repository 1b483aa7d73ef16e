// The live streams page's thumbnail wall in real headless Chromium, against both processes: snapshots
// turned on through the REST API, ffmpeg publishing; the page (logged in through the form) shows an
// <img> per stream that the browser loads from the REST API (session cookie, CSP img-src 'self') and
// decodes at the stream's size. Screenshot in test-artifacts/.
import { expect, test } from 'bun:test';
import { spawnBackground, testPatternArgs } from '../e2e/harness.ts';
import { ADMIN_PASSWORD, useWeir } from '../e2e/weir-processes.ts';
import { saveScreenshot, useBrowser } from './browser.ts';

const running = useWeir();
const chromium = useBrowser();

type Img = { complete: boolean; naturalWidth: number; naturalHeight: number; getAttribute(name: string): string | null };
type Doc = { querySelectorAll(selector: string): ArrayLike<Img> };

test('the thumbnail of a live stream loads in the browser at the stream size', async () => {
  expect((await running.weir.api('PATCH', '/apps/live', { snapshot: { enabled: true, intervalSec: 1 } })).status).toBe(200);
  expect(await running.weir.engineCurrent()).toBe(true);
  const pub = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 60, bFrames: 0, size: '320x180' }), '-f', 'flv', `rtmp://127.0.0.1:${running.weir.ports.rtmp}/live/thumb`]);
  const context = await chromium.browser.newContext({ viewport: { width: 1100, height: 700 } });
  try {
    // wait until the engine has a snapshot, so the first page already shows a loaded image
    for (let i = 0; i < 150 && (await running.weir.raw('/streams/live/thumb/snapshot')).status !== 200; i++) await Bun.sleep(200);
    const page = await context.newPage();
    const consoleUrl = (path: string) => `http://127.0.0.1:${running.weir.ports.control}${path}`;
    await page.goto(consoleUrl('/'));
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(consoleUrl('/')), page.click('button.primary')]);
    await page.goto(consoleUrl('/streams'));
    await page.waitForSelector('[data-testid=thumbnails] img', { timeout: 15_000 });
    await page.waitForFunction(
      () => {
        const imgs = (globalThis as unknown as { document: Doc }).document.querySelectorAll('[data-testid=thumbnails] img');
        return imgs.length > 0 && imgs[0]!.complete && imgs[0]!.naturalWidth > 0;
      },
      undefined,
      { timeout: 15_000 },
    );
    const size = await page.evaluate(() => {
      const img = (globalThis as unknown as { document: Doc }).document.querySelectorAll('[data-testid=thumbnails] img')[0]!;
      return { src: img.getAttribute('src'), width: img.naturalWidth, height: img.naturalHeight };
    });
    expect(size).toEqual({ src: '/api/v1/streams/live/thumb/snapshot', width: 320, height: 180 });
    await saveScreenshot(page, 'console-thumbnails.png', { fullPage: true });
  } finally {
    await context.close();
    await pub.stop();
  }
}, 90_000);
