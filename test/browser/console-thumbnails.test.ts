// The live streams page's thumbnail wall in real headless Chromium, against both processes: snapshots
// turned on through the REST API, ffmpeg publishing; the page (logged in through the form) shows an
// <img> per stream that the browser loads from the REST API (session cookie, CSP img-src 'self') and
// decodes at the stream's size. Screenshot in test-artifacts/.
import { expect, test } from 'bun:test';
import { spawnBackground, testPatternArgs } from '../e2e/harness.ts';
import { ADMIN_PASSWORD, useWeir } from '../e2e/weir-processes.ts';
import { saveScreenshot, useBrowser } from './browser.ts';
import { openConsole } from './console-page.ts';

const running = useWeir();
const chromium = useBrowser();

type Img = { complete: boolean; naturalWidth: number; naturalHeight: number; getAttribute(name: string): string | null };
type Doc = { querySelectorAll(selector: string): ArrayLike<Img> };

test('the thumbnail of a live stream loads in the browser at the stream size', async () => {
  expect((await running.weir.api('PATCH', '/apps/live', { snapshot: { enabled: true, intervalSec: 1 } })).status).toBe(200);
  expect(await running.weir.engineCurrent()).toBe(true);
  const pub = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 60, bFrames: 0, size: '320x180' }), '-f', 'flv', `rtmp://127.0.0.1:${running.weir.ports.rtmp}/live/thumb`]);
  const opened = { port: running.weir.ports.control, password: ADMIN_PASSWORD, viewport: { width: 1100, height: 700 } };
  const { page, close, url: consoleUrl } = await openConsole(chromium.browser, opened);
  try {
    // wait until the engine has a snapshot, so the streams page already shows a loaded image
    for (let i = 0; i < 150 && (await running.weir.raw('/streams/live/thumb/snapshot')).status !== 200; i++) await Bun.sleep(200);
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
    await close();
    await pub.stop();
  }
}, 90_000);
