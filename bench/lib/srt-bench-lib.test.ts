// The SRT benchmark's TS frame keys: a source TS is scheduled at real-time pace with the frames
// each 1316-byte payload completes, and a viewer finds every frame again in a remuxed TS (other
// timestamps, AUD and parameter sets added by the muxer) fed in arbitrary pieces.
import { describe, expect, test } from 'bun:test';
import { concatBytes } from '../../src/media/bytes.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { TsMuxer } from '../../src/remux/ts-muxer.ts';
import { FrameSendTimes, scheduleTsFile, TsFrameMatcher } from './ts-frames.ts';

function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  return new Uint8Array(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}
const AVCC = hex('0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800');
const video: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: AVCC };
const audio: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 90000, config: hex('1210') };

/** an AVCC sample of a few TS packets with a distinct tail */
function sample(n: number, key: boolean): Uint8Array {
  const nal = new Uint8Array(700 + 97 * n);
  nal[0] = key ? 0x65 : 0x41;
  for (let i = 1; i < nal.length; i++) nal[i] = ((i * 31 + n * 17) % 251) + 1;
  const out = new Uint8Array(4 + nal.length);
  new DataView(out.buffer).setUint32(0, nal.length);
  out.set(nal, 4);
  return out;
}

function mux(frames: number, dtsOffsetMs: number): Uint8Array {
  const m = new TsMuxer({ video, audio });
  const chunks = [m.writeTables()];
  for (let i = 0; i < frames; i++) {
    const t = (dtsOffsetMs + i * 33) * 90;
    chunks.push(m.writeFrame({ trackId: 2, dts: t, pts: t, keyframe: true, data: new Uint8Array(30).fill(0x21) } as MediaFrame));
    chunks.push(m.writeFrame({ trackId: 1, dts: t, pts: t, keyframe: i % 5 === 0, data: sample(i, i % 5 === 0) } as MediaFrame));
  }
  return concatBytes(chunks);
}

describe('scheduleTsFile and TsFrameMatcher', () => {
  test('every frame is scheduled at its DTS, completed by exactly one payload, and found again in a remux fed in odd pieces', () => {
    const frames = 12;
    const schedule = scheduleTsFile(mux(frames, 1000));
    expect(schedule.tails.length).toBe(frames);
    expect(new Set(schedule.tails).size).toBe(frames);
    const ending = schedule.chunks.flatMap((c) => c.framesEnding);
    expect(ending).toEqual([...Array(frames).keys()]);
    expect(schedule.chunks.every((c) => c.bytes.length % 188 === 0 && c.bytes.length <= 1316)).toBe(true);
    expect(schedule.durationMs).toBeCloseTo((frames - 1) * 33, 0);
    // due times never go backwards
    for (let i = 1; i < schedule.chunks.length; i++) expect(schedule.chunks[i]!.dueMs).toBeGreaterThanOrEqual(schedule.chunks[i - 1]!.dueMs);

    const sent = new FrameSendTimes(schedule.tails);
    schedule.chunks.forEach((c) => c.framesEnding.forEach((f) => sent.sent(f, 100 + f)));
    const matcher = new TsFrameMatcher(sent, 1000);
    matcher.windowFromMs = 0;
    const remuxed = mux(frames, 50_000); // other timestamps; the muxer adds its AUD and SPS/PPS
    for (let o = 0; o < remuxed.length; o += 101) matcher.feed(remuxed.subarray(o, Math.min(remuxed.length, o + 101)), 500);
    expect(matcher.frames).toBe(frames);
    expect(matcher.matched).toBe(frames);
    expect(matcher.samples.length).toBe(frames);
    expect(matcher.samples[0]).toBe(400);
    expect(matcher.samples.at(-1)).toBe(500 - (100 + frames - 1));
  });

  test('a viewer that gets nothing counts a stall; not a TS file throws', () => {
    const m = new TsFrameMatcher(undefined, 1000);
    m.windowFromMs = 0;
    m.windowToMs = 10_000;
    m.closeWindow(5000);
    expect(m.stalls).toBe(1);
    expect(() => scheduleTsFile(new Uint8Array(400).fill(1))).toThrow();
  });
});
