// The console's recordings page in real headless Chromium against both processes (issue 13 item 7):
// ffmpeg publishes ~8 s recorded in 1 s fMP4 segments; the page (logged in through the form) draws
// the recorded range, a click on its bar plays the look-back playlist in the page's hls.js player
// (currentTime advances on frames the browser decoded), and an export started from the page's form
// is polled to its download link, whose MP4 ffprobe decodes; a two-step delete empties the
// timeline and the disk. Screenshot in test-artifacts/.
import { expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../e2e/harness.ts';
import { useRecordedWeir } from '../e2e/recorded-weir.ts';
import { ADMIN_PASSWORD } from '../e2e/weir-processes.ts';
import { saveScreenshot, useBrowser } from './browser.ts';
import { openConsole } from './console-page.ts';

const running = useRecordedWeir(0);
const files = running.files;
const chromium = useBrowser();

type Video = { currentTime: number; readyState: number };
type Globals = {
  document: { getElementById(id: string): Video | null; querySelector(selector: string): { getAttribute(name: string): string | null } | null };
  __weirRecordings: { url: string | null };
};

test('a recorded range plays from the timeline, an export from the page downloads an MP4 ffprobe decodes, a confirmed delete empties it', async () => {
  const listed = await running.weir.api('GET', '/recordings?app=live&stream=cam');
  const range = listed.json.items[0].ranges[0] as { startMs: number; endMs: number };
  const opened = { port: running.weir.ports.control, password: ADMIN_PASSWORD, viewport: { width: 1200, height: 1400 } };
  const { page, context, url: consoleUrl } = await openConsole(chromium.browser, opened);
  try {
    // from the stream page's link
    await page.goto(consoleUrl('/streams/live/cam'));
    await Promise.all([page.waitForURL(consoleUrl('/streams/live/cam/recordings')), page.click('[data-testid=recordings-link]')]);

    // play: a click on the range's bar fills the form and plays the look-back playlist
    await page.click('rect.rec-bar');
    expect(await page.inputValue('#rec-start')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?Z$/);
    const url = await page.evaluate(() => (globalThis as unknown as Globals).__weirRecordings.url);
    expect(url).toBe(`http://127.0.0.1:${running.weir.ports.http}/live/cam/index.m3u8?start_time=${range.startMs}&end_time=${range.endMs}`);
    await page.waitForFunction(() => ((globalThis as unknown as Globals).document.getElementById('rec-player')?.currentTime ?? 0) > 1.5, undefined, { timeout: 30_000 });
    const video = await page.evaluate(() => {
      const v = (globalThis as unknown as Globals).document.getElementById('rec-player')!;
      return { currentTime: v.currentTime, readyState: v.readyState };
    });
    expect(video.readyState).toBeGreaterThanOrEqual(2);

    // export: 4 s from 1.5 s in, through the page's form (CSRF header from htmx), polled to its link
    await page.fill('#rec-start', String(range.startMs + 1500));
    await page.fill('#rec-end', '');
    await page.fill('#rec-duration', '4');
    await page.fill('#rec-filename', 'page-clip');
    await page.click('[data-testid=rec-export-start]');
    await page.waitForSelector('[data-testid=export-download]', { timeout: 60_000 });
    const href = await page.getAttribute('[data-testid=export-download]', 'href');
    expect(href).toMatch(/^\/api\/v1\/recordings\/exports\/[^/]+\/download$/);
    await saveScreenshot(page, 'console-recordings.png', { fullPage: true });
    // the link as the browser follows it: the session cookie, no token
    const download = await context.request.get(consoleUrl(href!));
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toBe('attachment; filename="page-clip.mp4"');
    const path = join(running.dir, 'page-clip.mp4');
    writeFileSync(path, await download.body());
    const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', path, '-f', 'null', '-']);
    expect(decoded.stderr).toBe('');
    const probed = await run(['ffprobe', '-v', 'error', '-of', 'json', '-show_streams', '-show_format', path]);
    const json = JSON.parse(probed.stdout) as { streams: Array<{ codec_name: string }>; format: { duration: string } };
    expect(json.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Number(json.format.duration)).toBeGreaterThan(3.5);
    expect(Number(json.format.duration)).toBeLessThan(6.5);

    // delete the whole range in two steps: the review, then the confirm; the timeline is redrawn empty
    await page.fill('#rec-start', String(range.startMs));
    await page.fill('#rec-end', String(range.endMs));
    await page.click('[data-testid=rec-delete-review]');
    await page.waitForSelector('[data-testid=delete-confirm]', { timeout: 15_000 });
    expect(files().length).toBeGreaterThanOrEqual(7);
    await page.click('[data-testid=delete-confirm]');
    await page.waitForSelector('[data-testid=delete-done]', { timeout: 15_000 });
    await page.waitForSelector('#rec-timeline [data-testid=rec-none]', { timeout: 15_000 });
    expect(files()).toEqual([]);
  } finally {
    await context.close();
  }
}, 150_000);
