// HLS on demand (the engine's default), end to end: ffmpeg publishes over RTMP and nothing is
// muxed until a player asks; the first LL-HLS playlist already lists the current GOP as parts,
// dated by when its frames arrived; ffmpeg decodes both variants; an output nobody polls is
// stopped, and the next player starts another.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decode, killAll, publishPatternUntilVideo, startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { joinHls } from './hls-session.ts';

// longer than ffmpeg's playlist reloads (a target duration, 2 s) apart
const CLOSE_AFTER_MS = 4000;
let engine: TestEngine;
beforeAll(() => {
  engine = startTestEngine({ hls: { muxerCloseAfterMs: CLOSE_AFTER_MS } });
});
afterAll(async () => {
  await killAll();
  engine.stop();
});

/** Where the newest listed part of an LL-HLS playlist ends, by the wall clock its dates give. */
function newestPartEndMs(playlist: string): number {
  const lines = playlist.split('\n');
  const dated = lines.findLastIndex((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:'));
  expect(dated).toBeGreaterThanOrEqual(0);
  let endMs = Date.parse(lines[dated]!.slice('#EXT-X-PROGRAM-DATE-TIME:'.length));
  // the parts after the date belong to the segment it dates, in order
  for (const line of lines.slice(dated + 1)) {
    const part = /^#EXT-X-PART:DURATION=([\d.]+)/.exec(line);
    if (part) endMs += Number(part[1]) * 1000;
  }
  return endMs;
}

describe('HLS on demand', () => {
  test('nothing is muxed until a player asks; the first playlist lists the current GOP, dated as it arrived', async () => {
    expect(engine.context.config().hls.alwaysRemux).toBe(false);
    const path = 'live/od1';
    // a 2 s GOP, so a player can arrive when the GOP is well over a second old
    const publisher = await publishPatternUntilVideo(engine, path, { seconds: 40, bFrames: 0, gop: 50 });
    const stream = engine.context.streams.find('live', 'od1')!;
    const gopSpanMs = (): number => (stream.gop.length > 0 ? stream.gop[stream.gop.length - 1]!.timestampMs - stream.gop[0]!.timestampMs : 0);
    expect(await waitFor(() => gopSpanMs() >= 1000, 10_000)).toBe(true);
    expect(engine.context.hls.find(path)).toBeUndefined();

    const media = await joinHls(engine.httpUrl(`${path}/ll.m3u8`));
    const started = engine.context.hls.find(path);
    expect(started).toBeDefined();
    expect(stream.hasReader(started!)).toBe(true);
    const playlist = await (await fetch(media)).text();
    const askedAt = Date.now();
    // the GOP so far is already there: several parts, the first of them independent
    const parts = playlist.split('\n').filter((l) => l.startsWith('#EXT-X-PART:'));
    expect(parts.length).toBeGreaterThanOrEqual(5);
    expect(parts[0]).toContain('INDEPENDENT=YES');
    // dated back by its age: its newest part ends about now, not a GOP's age from now
    expect(Math.abs(newestPartEndMs(playlist) - askedAt)).toBeLessThan(500);

    // a real decoder plays both variants from the output the first player started
    for (const file of ['ll.m3u8', 'index.m3u8']) {
      const decoded = await decode(engine.httpUrl(`${path}/${file}`), 3);
      expect({ file, stderr: decoded.stderr, exitCode: decoded.exitCode }).toEqual({ file, stderr: '', exitCode: 0 });
    }
    expect(engine.context.hls.find(path)).toBe(started);
    await publisher.stop();
  }, 60_000);

  test('only a playlist request is demand: segment, part and init requests of a stream not muxed are 404 and start nothing', async () => {
    const path = 'live/od3';
    const publisher = await publishPatternUntilVideo(engine, path, { seconds: 20, bFrames: 0, gop: 25 });
    for (const file of ['seg-abc-0.ts', 'll-abc-0.0.m4s', 'll-abc-0.m4s', 'init-abc-0.mp4']) {
      expect({ file, status: (await fetch(engine.httpUrl(`${path}/${file}`))).status }).toEqual({ file, status: 404 });
    }
    expect(engine.context.hls.find(path)).toBeUndefined();
    await publisher.stop();
  }, 30_000);

  test('an output nobody polls is stopped after muxerCloseAfterMs; the next player starts another', async () => {
    const path = 'live/od2';
    const publisher = await publishPatternUntilVideo(engine, path, { seconds: 40, bFrames: 0, gop: 25 });
    const stream = engine.context.streams.find('live', 'od2')!;
    const stopsBefore = engine.context.hls.idleStops;
    await joinHls(engine.httpUrl(`${path}/index.m3u8`));
    const first = engine.context.hls.find(path)!;
    expect(first).toBeDefined();
    expect(stream.hasReader(first)).toBe(true);
    // polled within the close-after time, it stays
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(CLOSE_AFTER_MS / 2);
      expect((await fetch(engine.httpUrl(`${path}/index.m3u8`))).status).toBe(200);
    }
    expect(engine.context.hls.find(path)).toBe(first);
    // then nobody asks: stopped, no longer a reader of the stream
    expect(await waitFor(() => engine.context.hls.find(path) === undefined, CLOSE_AFTER_MS * 3)).toBe(true);
    expect(engine.context.hls.idleStops).toBeGreaterThan(stopsBefore);
    expect(stream.hasReader(first)).toBe(false);
    // a new player: a new output, with other URLs
    await joinHls(engine.httpUrl(`${path}/index.m3u8`));
    const second = engine.context.hls.find(path)!;
    expect(second).toBeDefined();
    expect(second.tag).not.toBe(first.tag);
    const decoded = await decode(engine.httpUrl(`${path}/index.m3u8`), 2);
    expect({ stderr: decoded.stderr, exitCode: decoded.exitCode }).toEqual({ stderr: '', exitCode: 0 });
    await publisher.stop();
  }, 60_000);
});
