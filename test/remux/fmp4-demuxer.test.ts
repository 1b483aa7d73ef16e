// The fMP4 reader against our own muxer (round trip), hand-built fragments that lean on tfhd/trex defaults, and the
// fMP4 -> FLV path of the HLS pull converter.
import { describe, expect, test } from 'bun:test';
import { Fmp4TagEncoder } from '../../src/flv/encode-fmp4.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { splitLengthPrefixed } from '../../src/media/nal-units.ts';
import { parseFmp4Init, parseFmp4Segment } from '../../src/remux/fmp4-demuxer.ts';
import { Fmp4Muxer } from '../../src/remux/fmp4-muxer.ts';
import { HlsSegmentConverter } from '../../src/relay/hls-pull-media.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';

function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  return new Uint8Array(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}
const AVCC_320X240 = hex('0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800');
const ASC = hex('1210');
const video: Track = { id: 7, kind: 'video', codec: 'h264', timescale: 90000, config: AVCC_320X240 };
const audio: Track = { id: 3, kind: 'audio', codec: 'aac', timescale: 44100, config: ASC };

/** a 4-byte length-prefixed NAL of the given type and payload length */
function nal(type: number, bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(4 + bytes);
  new DataView(out.buffer).setUint32(0, bytes);
  out[4] = 0x60 | type;
  for (let i = 5; i < out.length; i++) out[i] = (seed * 31 + i) & 0xff;
  return out;
}

function videoFrames(firstDts: number): MediaFrame[] {
  // I P B B P with composition offsets (B-frames), 3000 ticks apart
  const offsets = [6000, 12000, 3000, 3000, 6000];
  return offsets.map((offset, i) => ({
    trackId: 7,
    dts: firstDts + i * 3000,
    pts: firstDts + i * 3000 + offset,
    keyframe: i === 0,
    data: nal(i === 0 ? 5 : 1, 20 + i * 7, i),
  }));
}
function audioFrames(firstDts: number): MediaFrame[] {
  return [0, 1, 2].map((i) => ({
    trackId: 3,
    dts: firstDts + i * 1024,
    pts: firstDts + i * 1024,
    keyframe: true,
    data: Uint8Array.from({ length: 9 + i }, (_, j) => (i * 17 + j) & 0xff),
  }));
}

describe('fMP4 reader: round trip through our muxer', () => {
  const muxer = new Fmp4Muxer([video, audio]);
  const init = parseFmp4Init(muxer.initSegment());

  test('init: track ids, kinds, timescales, codecs and configs', () => {
    expect(init.tracks.map((t) => ({ id: t.trackId, kind: t.kind, ts: t.timescale, entry: t.sampleEntry, codec: t.codec }))).toEqual([
      { id: 1, kind: 'video', ts: 90000, entry: 'avc1', codec: 'h264' },
      { id: 2, kind: 'audio', ts: 44100, entry: 'mp4a', codec: 'aac' },
    ]);
    expect(init.tracks[0]!.config).toEqual(AVCC_320X240);
    expect(init.tracks[0]!.nalLengthSize).toBe(4);
    expect(init.tracks[1]!.config).toEqual(ASC);
    expect([...init.defaults.keys()]).toEqual([1, 2]);
  });

  test('media: two moof+mdat fragments in one segment give back every frame, byte for byte', () => {
    const v1 = videoFrames(900_000);
    const a1 = audioFrames(441_000);
    const v2 = videoFrames(900_000 + 15_000);
    const a2 = audioFrames(441_000 + 3 * 1024);
    const f1 = muxer.fragment(1, [
      { trackId: 7, frames: v1, endDts: v2[0]!.dts },
      { trackId: 3, frames: a1, endDts: a2[0]!.dts },
    ]);
    const f2 = muxer.fragment(2, [
      { trackId: 7, frames: v2, endDts: v2[4]!.dts + 3000 },
      { trackId: 3, frames: a2, endDts: a2[2]!.dts + 1024 },
    ]);
    const segment = new Uint8Array(f1.length + f2.length);
    segment.set(f1);
    segment.set(f2, f1.length);
    const nextDts = new Map<number, number>();
    const frames = parseFmp4Segment(segment, init, nextDts);
    const expected = [...v1, ...a1, ...v2, ...a2].map((f) => ({
      trackId: f.trackId === 7 ? 1 : 2,
      dts: f.dts,
      pts: f.pts,
      keyframe: f.keyframe,
      data: [...f.data],
    }));
    expect(frames.map((f) => ({ ...f, data: [...f.data] }))).toEqual(expected);
    expect(nextDts.get(1)).toBe(v2[4]!.dts + 3000);
    expect(nextDts.get(2)).toBe(a2[2]!.dts + 1024);
  });

  test('truncated or malformed input is a ProtocolError', () => {
    const f = muxer.fragment(1, [{ trackId: 7, frames: videoFrames(0), endDts: 15000 }]);
    expect(() => parseFmp4Segment(f.subarray(0, f.length - 5), init)).toThrow(ProtocolError);
    expect(() => parseFmp4Init(new Uint8Array([0, 0, 0, 8, 0x66, 0x74, 0x79, 0x70]))).toThrow(ProtocolError);
    expect(() => splitLengthPrefixed(hex('00000009 6501'), 4)).toThrow(ProtocolError);
  });
});

/** box helper for hand-built fragments */
function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, size);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  let at = 8;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}
const u32s = (...values: number[]) => {
  const out = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v >>> 0));
  return out;
};

describe('fMP4 reader: defaults and implicit offsets', () => {
  const init = parseFmp4Init(new Fmp4Muxer([video, audio]).initSegment());

  test('tfhd defaults, first-sample-flags, tfdt v0, no data_offset (data starts at the moof)', () => {
    const payload = Uint8Array.from({ length: 30 }, (_, i) => i);
    // tfhd flags: default duration (0x08), size (0x10), flags (0x20); track 1; duration 3000, size 10, non-sync
    const tfhd = box('tfhd', u32s(0x000038, 1, 3000, 10, 0x10000));
    const tfdt = box('tfdt', u32s(0, 123_456));
    // trun: first-sample-flags (0x04), 3 samples, first one sync; no data offset -> data starts at moof start
    const trun = box('trun', u32s(0x000004, 3, 0x2000000));
    const moof = box('moof', box('mfhd', u32s(0, 1)), box('traf', tfhd, tfdt, trun));
    // with neither data_offset nor default-base-is-moof the first traf's data starts at the moof's first byte
    const frames = parseFmp4Segment(new Uint8Array([...moof, ...box('mdat', payload)]), init);
    expect(frames.map((f) => [f.trackId, f.dts, f.pts, f.keyframe, f.data.length])).toEqual([
      [1, 123_456, 123_456, true, 10],
      [1, 126_456, 126_456, false, 10],
      [1, 129_456, 129_456, false, 10],
    ]);
    expect([...frames[0]!.data]).toEqual([...moof.subarray(0, 10)]);
  });

  test('a traf without tfdt continues from where the track left off', () => {
    const tfhd = box('tfhd', u32s(0x020018, 2, 1024, 4));
    const trun = box('trun', u32s(0x000001, 2, 0));
    const build = (dataOffset: number) =>
      box('moof', box('mfhd', u32s(0, 1)), box('traf', tfhd, box('trun', u32s(0x000001, 2, dataOffset))));
    const moofLength = build(0).length;
    expect(trun.length).toBe(20);
    const segment = new Uint8Array([...build(moofLength + 8), ...box('mdat', hex('0102030405060708'))]);
    const nextDts = new Map([[2, 5000]]);
    const frames = parseFmp4Segment(segment, init, nextDts);
    expect(frames.map((f) => [f.trackId, f.dts, [...f.data]])).toEqual([
      [2, 5000, [1, 2, 3, 4]],
      [2, 6024, [5, 6, 7, 8]],
    ]);
    expect(nextDts.get(2)).toBe(7048);
  });
});

describe('fMP4 to FLV', () => {
  const init = parseFmp4Init(new Fmp4Muxer([video, audio]).initSegment());

  test('encoder: AVC sequence header from the avcC on the first keyframe, NALU tags with composition time', () => {
    const enc = new Fmp4TagEncoder();
    const v = init.tracks[0]!;
    expect(enc.encode(v, 0, 9000, nal(1, 10, 1))).toEqual([]); // before the first keyframe
    const tags = enc.encode(v, 9000, 18000, nal(5, 10, 2));
    expect(tags.map((t) => [t.type, t.timestampMs, t.body[0], t.body[1]])).toEqual([
      [9, 100, 0x17, 0],
      [9, 100, 0x17, 1],
    ]);
    expect(tags[0]!.body.subarray(5)).toEqual(AVCC_320X240);
    expect([...tags[1]!.body.subarray(2, 5)]).toEqual([0, 0, 100]);
    expect(tags[1]!.body.subarray(5)).toEqual(nal(5, 10, 2));
    const a = enc.encode(init.tracks[1]!, 90, 90, hex('aabb'));
    expect(a.map((t) => [t.type, t.timestampMs, [...t.body]])).toEqual([
      [8, 1, [0xaf, 0, 0x12, 0x10]],
      [8, 1, [0xaf, 1, 0xaa, 0xbb]],
    ]);
  });

  test('HLS converter: fMP4 segments with an init become interleaved, monotonic FLV tags', () => {
    const muxer = new Fmp4Muxer([video, audio]);
    const converter = new HlsSegmentConverter();
    const initInput = { key: 'init.mp4', bytes: muxer.initSegment() };
    const all: { type: number; timestampMs: number }[] = [];
    for (let n = 0; n < 3; n++) {
      const bytes = muxer.fragment(n + 1, [
        { trackId: 7, frames: videoFrames(1_000_000 + n * 15_000), endDts: 1_000_000 + (n + 1) * 15_000 },
        { trackId: 3, frames: audioFrames(500_000 + n * 3072), endDts: 500_000 + (n + 1) * 3072 },
      ]);
      const out = converter.convert({ bytes, discontinuity: false, targetDurationSec: 1, init: initInput });
      expect(out.tracks.map((t) => `${t.codec}@${t.pid}`)).toEqual(['h264@1', 'aac@2']);
      // interleaved within a segment
      for (let i = 1; i < out.tags.length; i++) expect(out.tags[i]!.timestampMs).toBeGreaterThanOrEqual(out.tags[i - 1]!.timestampMs);
      all.push(...out.tags);
    }
    expect(all.filter((t) => t.type === 9).length).toBe(1 + 15);
    expect(all.filter((t) => t.type === 8).length).toBe(1 + 9);
    for (const type of [8, 9]) {
      const times = all.filter((t) => t.type === type).map((t) => t.timestampMs);
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    }
    expect(all[0]!.timestampMs).toBe(0);
  });

  test('an init without H.264/H.265/AAC tracks is Unsupported', () => {
    const converter = new HlsSegmentConverter();
    const bytes = box('moov', box('mvhd', new Uint8Array(100)));
    expect(() => converter.convert({ bytes: new Uint8Array(0), discontinuity: false, targetDurationSec: 1, init: { key: 'x', bytes } })).toThrow(
      ProtocolError,
    );
  });
});
