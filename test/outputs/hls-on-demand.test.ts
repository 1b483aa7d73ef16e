// HLS on demand: a stream is muxed once a player asks for it, from its headers and current GOP
// (the same segments as if it had been muxed from the start, dated back from now), and an
// output nobody asks anything of is stopped; with alwaysRemux every stream is muxed from its start.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { HlsRegistry, type HlsDemand } from '../../src/outputs/hls/hls-registry.ts';
import type { HlsOutputOptions } from '../../src/outputs/hls/hls-output.ts';
import { createLogger } from '../../src/shared/logger.ts';

const tags = new FlvReader().push(new Uint8Array(readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'))));
const OPTIONS: HlsOutputOptions = {
  classic: true, lowLatency: true, targetDurationMs: 1000, partTargetMs: 200, windowSegments: 6,
  maxSegmentMs: 30_000, maxSegmentBytes: 8 << 20, maxPartBytes: 1 << 20, maxWindowBytes: 64 << 20,
};
const quiet = createLogger({ level: 'error', sink: () => {} });

/** the 1 s fixture (one GOP) looped 3 times, 1.1 s apart: headers once, then audio and video tags */
const LOOP_MS = 1100;
const headers = tags.filter((t) => (t.tagType === 8 || t.tagType === 9) && classifyTag(t.tagType, t.body).header);
const frames = [0, 1, 2].flatMap((loop) =>
  tags
    .filter((t) => (t.tagType === 8 || t.tagType === 9) && !classifyTag(t.tagType, t.body).header)
    .map((t) => ({ type: t.tagType as 8 | 9, timestampMs: t.timestampMs + loop * LOOP_MS, body: t.body })),
);

/** A stream whose publisher just arrived (what the engine attaches HLS on), then sends its headers. */
function liveStream(name: string, hls: HlsRegistry): LiveStream {
  const stream = new LiveStream('live', name, { maxPackets: 8192, maxBytes: 64 * 1024 * 1024 });
  stream.attachPublisher({ id: 'p', kick() {} }, 0);
  hls.attach(stream);
  for (const t of headers) stream.ingest({ type: t.tagType as 8 | 9, timestampMs: 0, body: t.body, ...classifyTag(t.tagType, t.body) });
  return stream;
}

function ingest(stream: LiveStream, list: typeof frames): void {
  for (const t of list) stream.ingest({ ...t, ...classifyTag(t.type, t.body) });
}

function registry(alwaysRemux: boolean, clock = { ms: 0 }, closeAfterMs = 10_000): HlsRegistry {
  const demand: HlsDemand = { alwaysRemux: () => alwaysRemux, muxerCloseAfterMs: () => closeAfterMs };
  return new HlsRegistry(() => OPTIONS, quiet, demand, () => clock.ms);
}

describe('HLS on demand', () => {
  test('a published stream has no output until a player asks; then it starts from the GOP with a segment under way', () => {
    const hls = registry(false);
    const stream = liveStream('od', hls);
    const firstGop = frames.filter((f) => f.timestampMs < 800);
    ingest(stream, firstGop);
    expect(hls.find('live/od')).toBeUndefined();
    expect(stream.readerCount).toBe(0);

    const output = hls.request(stream)!;
    expect(output).toBeDefined();
    expect(hls.demandStarts).toBe(1);
    expect(stream.readerCount).toBe(1);
    // the GOP so far is muxed at once: LL-HLS parts exist before any new frame arrives
    expect(output.ll!.open).not.toBeNull();
    expect(output.ll!.open!.parts.length).toBeGreaterThanOrEqual(2);
    expect(output.ts!.open).not.toBeNull();
    // asking again is the same output
    expect(hls.request(stream)).toBe(output);
    expect(hls.demandStarts).toBe(1);
  });

  test('caught up from the GOP, the segments are byte for byte those of an output that muxed from the start', () => {
    const always = registry(true);
    const fromStart = liveStream('a', always);
    const onDemand = registry(false);
    const late = liveStream('b', onDemand);

    const split = frames.findIndex((f) => f.timestampMs >= 700);
    ingest(fromStart, frames);
    ingest(late, frames.slice(0, split));
    const output = onDemand.request(late)!;
    ingest(late, frames.slice(split));

    const a = always.find('live/a')!;
    expect(a).toBeDefined();
    expect(output.ts!.segments.length).toBe(a.ts!.segments.length);
    expect(output.ts!.segments.length).toBeGreaterThanOrEqual(2);
    output.ts!.segments.forEach((segment, i) => {
      expect(Buffer.from(segment.bytes!).equals(Buffer.from(a.ts!.segments[i]!.bytes!))).toBe(true);
      expect(segment.durationSec).toBe(a.ts!.segments[i]!.durationSec);
    });
    output.ll!.segments.forEach((segment, i) => {
      expect(Buffer.from(segment.bytes!).equals(Buffer.from(a.ll!.segments[i]!.bytes!))).toBe(true);
    });
    expect(Buffer.from(output.ll!.init!.bytes).equals(Buffer.from(a.ll!.init!.bytes))).toBe(true);
  });

  test('the GOP it caught up on is dated back from now by its age, and live frames follow on', () => {
    const hls = registry(false);
    const stream = liveStream('dates', hls);
    const gop = frames.filter((f) => f.timestampMs < 900);
    ingest(stream, gop);
    const newestMs = gop[gop.length - 1]!.timestampMs;
    const before = Date.now();
    const output = hls.request(stream)!;
    const after = Date.now();
    const started = output.ts!.open!.programDateTimeMs;
    // the segment starts at the keyframe at 0 ms, newestMs before the newest frame, which is now
    expect(started).toBeGreaterThanOrEqual(before - newestMs - 1);
    expect(started).toBeLessThanOrEqual(after - newestMs + 1);
    ingest(stream, frames.filter((f) => f.timestampMs >= 900));
    const [first, second] = output.ts!.segments;
    // one timeline: the next segment's date is the first's plus its duration
    expect(second!.programDateTimeMs).toBe(Math.round(first!.programDateTimeMs + first!.durationSec * 1000));
  });

  test('an output nobody asks anything of is stopped after muxerCloseAfterMs; one that is asked of stays', () => {
    const clock = { ms: 0 };
    const hls = registry(false, clock, 10_000);
    const watched = liveStream('watched', hls);
    const idle = liveStream('idle', hls);
    const w = hls.request(watched)!;
    hls.request(idle);
    clock.ms = 6000;
    hls.touch(w);
    clock.ms = 10_000;
    hls.sweep();
    expect(hls.find('live/idle')).toBeUndefined();
    expect(idle.readerCount).toBe(0);
    expect(hls.find('live/watched')).toBe(w);
    expect(hls.idleStops).toBe(1);
    clock.ms = 16_000;
    hls.sweep();
    expect(hls.find('live/watched')).toBeUndefined();
    expect(watched.readerCount).toBe(0);
    // a player coming back starts a new output (new URLs: another tag)
    const again = hls.request(watched)!;
    expect(again).not.toBe(w);
    expect(again.tag).not.toBe(w.tag);
    expect(watched.readerCount).toBe(1);
    hls.closeAll();
  });

  test('alwaysRemux: every stream is muxed from its start and never stopped as idle', () => {
    const clock = { ms: 0 };
    const hls = registry(true, clock, 1000);
    const stream = liveStream('always', hls);
    const output = hls.find('live/always');
    expect(output).toBeDefined();
    ingest(stream, frames);
    expect(output!.ts!.segments.length).toBeGreaterThanOrEqual(2);
    clock.ms = 60_000;
    hls.sweep();
    expect(hls.find('live/always')).toBe(output);
    expect(hls.request(stream)).toBe(output);
    expect(hls.demandStarts).toBe(0);
  });

  test('an app with HLS off gets no output on request either', () => {
    const hls = new HlsRegistry(() => ({ ...OPTIONS, classic: false, lowLatency: false }), quiet, { alwaysRemux: () => false, muxerCloseAfterMs: () => 1000 });
    const stream = liveStream('off', hls);
    expect(hls.request(stream)).toBeUndefined();
    expect(stream.readerCount).toBe(0);
  });

  test('a stream that ends keeps its on-demand output for its window, no longer counted as idle', () => {
    const clock = { ms: 0 };
    const hls = registry(false, clock, 1000);
    const stream = liveStream('ends', hls);
    ingest(stream, frames.slice(0, 20));
    const output = hls.request(stream)!;
    stream.end();
    expect(output.ts!.ended).toBe(true);
    clock.ms = 5000;
    hls.sweep();
    // still served for the players finishing it; the linger timer forgets it later
    expect(hls.find('live/ends')).toBe(output);
    hls.closeAll();
  });
});
