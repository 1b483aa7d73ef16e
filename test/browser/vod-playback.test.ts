// VOD in real headless Chromium: hls.js plays the HLS playlist the engine cuts on the fly from a
// 10 s MP4 (1 s GOP) in its --vod-dir, then seeks forward into the last segment and plays from there.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { killAll, run, tempDir } from '../e2e/harness.ts';
import { openPlayerPage, useBrowser } from './browser.ts';

const dir = tempDir();
let engine: RunningEngine;
const chromium = useBrowser();

type SeekVideo = { currentTime: number; duration: number; seeking: boolean };
type SeekGlobals = { document: { getElementById(id: string): unknown } };

beforeAll(async () => {
  mkdirSync(join(dir.path, 'live'));
  const made = await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '10', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', join(dir.path, 'live', 'movie.mp4')], 60_000);
  expect(made.stderr).toBe('');
  engine = startEngine(
    {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
      vod: { dir: dir.path },
    },
    { logger: createLogger({ level: 'error', sink: () => {} }) },
  );
}, 90_000);

afterAll(async () => {
  await killAll();
  engine?.stop();
  dir.remove();
});

test('hls.js plays a VOD playlist cut from an MP4 and seeks inside it', async () => {
  const player = await openPlayerPage(chromium.browser, { kind: 'hls', url: `http://127.0.0.1:${engine.httpPort}/vod/live/movie.mp4/index.m3u8` });
  try {
    const progress = await player.waitForProgress(2, 30_000);
    expect(progress.advanced).toBeGreaterThanOrEqual(2);
    const video = () =>
      player.page.evaluate(() => {
        const v = (globalThis as unknown as SeekGlobals).document.getElementById('video') as SeekVideo;
        return { currentTime: v.currentTime, duration: v.duration, seeking: v.seeking };
      });
    // the whole movie is known up front: a VOD playlist, not a live window
    expect((await video()).duration).toBeCloseTo(10, 0);
    await player.page.evaluate(() => {
      ((globalThis as unknown as SeekGlobals).document.getElementById('video') as SeekVideo).currentTime = 8.5;
    });
    // playback resumes from the seek target (the last segment) and goes on: polled, bounded
    let last = await video();
    for (let i = 0; i < 300 && !(last.currentTime >= 9.2 && !last.seeking); i++) {
      await Bun.sleep(100);
      last = await video();
    }
    expect(last.currentTime).toBeGreaterThanOrEqual(9.2);
    expect(await player.fatalErrors()).toEqual([]);
    await player.screenshot('engine-vod-hls.png');
  } finally {
    await player.close();
  }
}, 90_000);
