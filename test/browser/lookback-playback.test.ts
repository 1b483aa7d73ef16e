// Look-back and time-shift played by hls.js in headless Chromium (issue 13 item 3): ffmpeg
// publishes to an engine that records 1 s fMP4 segments; hls.js plays a recorded range as VOD,
// seeks inside it and plays on from there, and plays a time-shifted live playlist.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { killAll, publishPattern, tempDir, type TestEngine } from '../e2e/harness.ts';
import { recordingSettings, startRecordingEngine } from '../e2e/recording-engine.ts';
import { openPlayerPage, useBrowser } from './browser.ts';

let dir: { path: string; remove(): void };
let engine: TestEngine;
const chromium = useBrowser();
let publisher: Awaited<ReturnType<typeof publishPattern>>;

type SeekGlobals = { document: { getElementById(id: string): { currentTime: number; duration: number } } };
type HlsGlobals = {
  __weir: { player: { levels: Array<{ details?: { live: boolean; fragments: Array<{ relurl?: string }> } }>; playingDate: Date | null } };
};

/** What hls.js loaded: whether the playlist is live, its fragment URIs, and the wall clock of the playhead (PROGRAM-DATE-TIME). */
function loaded(player: { page: { evaluate<T>(fn: () => T): Promise<T> } }) {
  return player.page.evaluate(() => {
    const hls = (globalThis as unknown as HlsGlobals).__weir.player;
    const details = hls.levels[0]?.details;
    return { live: details?.live ?? null, uris: details?.fragments.map((f) => f.relurl ?? '') ?? [], playingMs: hls.playingDate?.getTime() ?? null };
  });
}

async function recorded() {
  return (await engine.recordings.streamRecording('rec', 'cam'))?.segments ?? [];
}

beforeAll(async () => {
  dir = tempDir();
  engine = startRecordingEngine([{ name: 'rec', recording: recordingSettings(dir.path) }]);
  publisher = await publishPattern(engine.rtmpUrl('rec/cam'), { seconds: 120, bFrames: 0, gop: 25 });
  for (let i = 0; i < 400 && (await recorded()).length < 12; i++) await Bun.sleep(100);
  expect((await recorded()).length).toBeGreaterThanOrEqual(12);
}, 60_000);

afterAll(async () => {
  await publisher?.stop();
  await killAll();
  engine?.stop();
  dir?.remove();
});

test('hls.js plays a recorded range as VOD and seeks inside it', async () => {
  const segments = (await recorded()).slice(0, 12);
  const startMs = segments[0]!.startMs;
  const endMs = segments.at(-1)!.startMs + segments.at(-1)!.durationMs;
  const player = await openPlayerPage(chromium.browser, { kind: 'hls', url: engine.httpUrl(`rec/cam/index.m3u8?start_time=${startMs}&end_time=${endMs}`) });
  try {
    await player.waitForProgress(1, 30_000);
    const duration = await player.page.evaluate(() => (globalThis as unknown as SeekGlobals).document.getElementById('video').duration);
    expect(duration).toBeGreaterThan(10);
    expect(duration).toBeLessThan(14);
    const vod = await loaded(player);
    expect(vod.live).toBe(false);
    expect(vod.uris).toHaveLength(12);
    expect(vod.uris.every((u) => u.startsWith('rec-'))).toBe(true);
    await player.page.evaluate(() => {
      (globalThis as unknown as SeekGlobals).document.getElementById('video').currentTime = 8;
    });
    const after = await player.waitForProgress(1.5, 30_000);
    expect(after.currentTime).toBeGreaterThanOrEqual(9);
    // the playhead is where the seek put it on the recording's own clock
    const seeked = await loaded(player);
    expect(seeked.playingMs! - startMs).toBeGreaterThanOrEqual(9000);
    expect(seeked.playingMs! - startMs).toBeLessThan(12_500);
    expect(await player.fatalErrors()).toEqual([]);
    await player.screenshot('lookback-range.png');
  } finally {
    await player.close();
  }
}, 90_000);

test('hls.js plays a time-shifted stream', async () => {
  const player = await openPlayerPage(chromium.browser, { kind: 'hls', url: engine.httpUrl('rec/cam/index.m3u8?shifttime=6') });
  try {
    const progress = await player.waitForProgress(3, 40_000);
    expect(progress.advanced).toBeGreaterThanOrEqual(3);
    const shifted = await loaded(player);
    expect(shifted.live).toBe(true);
    expect(shifted.uris.length).toBeGreaterThan(0);
    expect(shifted.uris.every((u) => u.startsWith('rec-'))).toBe(true);
    // at least the shift behind the wall clock
    expect(Date.now() - shifted.playingMs!).toBeGreaterThanOrEqual(6000);
    expect(await player.fatalErrors()).toEqual([]);
    await player.screenshot('lookback-shift.png');
  } finally {
    await player.close();
  }
}, 90_000);
