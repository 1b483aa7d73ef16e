// The console's LL-HLS preview after a slow start, in real headless Chromium against both
// processes: the engine's answers are held back 700 ms for the first seconds (as on a slow link or
// a busy tab), which leaves hls.js seconds behind live, further than its own rate control ever
// catches up. The preview must notice and jump to hls.js's live sync position, then play on.
import { expect, test } from 'bun:test';
import { spawnBackground, testPatternArgs } from '../e2e/harness.ts';
import { ADMIN_PASSWORD, useWeir } from '../e2e/weir-processes.ts';
import { useBrowser } from './browser.ts';
import { openConsole } from './console-page.ts';

const running = useWeir({ timeoutMs: 60_000 });
const chromium = useBrowser();

const SLOW_MS = 6_000;
const DELAY_MS = 700;

type Preview = { hls: { latency: number; targetLatency: number } | null; catchUps: number };
type PreviewWindow = { __weirPreview?: Preview; document: { getElementById(id: string): { currentTime: number } | null } };

test('an LL-HLS preview that started far behind live catches up', async () => {
  const { ports } = running.weir;
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 120, bFrames: 0, gop: 25 }), '-f', 'flv',
    `rtmp://127.0.0.1:${ports.rtmp}/live/late`]);
  const { page, close, url: consoleUrl } = await openConsole(chromium.browser, {
    port: ports.control, password: ADMIN_PASSWORD, viewport: { width: 1100, height: 800 },
  });
  try {
    for (let i = 0; i < 100 && (await running.weir.raw('/streams/live/late')).status !== 200; i++) await Bun.sleep(200);
    // a few seconds of stream, so a segment or more is there to start behind in
    await Bun.sleep(4_000);
    let slowUntil = 0;
    await page.route(`http://127.0.0.1:${ports.http}/**`, async (route) => {
      if (Date.now() < slowUntil) await Bun.sleep(DELAY_MS);
      await route.continue().catch(() => {});
    });
    await page.goto(consoleUrl('/streams/live/late'));
    slowUntil = Date.now() + SLOW_MS;
    await page.click('[data-testid=proto-ll-hls]');
    await page.waitForSelector('button.proto.active[data-protocol=ll-hls]');

    const read = () => page.evaluate(() => {
      const w = globalThis as unknown as PreviewWindow;
      const p = w.__weirPreview;
      const video = w.document.getElementById('preview');
      return { latency: p?.hls?.latency ?? null, target: p?.hls?.targetLatency ?? null, catchUps: p?.catchUps ?? 0, time: video?.currentTime ?? 0 };
    });
    // The slow start has to put the preview behind, or this test shows nothing.
    let worst = 0;
    let state = await read();
    const slowDeadline = Date.now() + 25_000;
    while (Date.now() < slowDeadline && state.catchUps === 0) {
      if (state.latency !== null && Number.isFinite(state.latency) && state.time > 0) worst = Math.max(worst, state.latency);
      await Bun.sleep(250);
      state = await read();
    }
    expect(state.catchUps).toBeGreaterThan(0);
    // "far behind" as the console judges it: more than max(1.5 s, the target) past hls.js's target latency
    const farBehind = state.target! + Math.max(1.5, state.target!);
    expect(worst).toBeGreaterThan(farBehind);
    // after the jump it plays within that distance of live (hls.js's own rate control takes it from
    // there), and keeps playing; without the jump it stayed seconds behind for good
    let settled = Number.POSITIVE_INFINITY;
    const before = state.time;
    const settleDeadline = Date.now() + 15_000;
    while (Date.now() < settleDeadline) {
      await Bun.sleep(500);
      state = await read();
      if (state.latency !== null && Number.isFinite(state.latency)) settled = Math.min(settled, state.latency);
      if (settled < farBehind && state.time > before + 2) break;
    }
    expect(settled).toBeLessThan(farBehind);
    expect(settled).toBeLessThan(worst - 1);
    expect(state.time).toBeGreaterThan(before + 2);
  } finally {
    await close();
    await publisher.stop();
  }
}, 90_000);
