// The progressive MP4 header on its own: box order, sample tables read back (stts and ctts runs,
// stss only when some sample is not a sync sample, stsc runs, stsz, chunk offsets that point into
// the mdat after the header) and 64-bit offsets and mdat size once the file passes 4 GiB.
import { describe, expect, test } from 'bun:test';
import { AudioCodec, VideoCodec, type Track } from '../../src/media/types.ts';
import { boxes, type Box } from '../../src/remux/fmp4-demuxer.ts';
import { writeProgressiveHeader, type ProgressiveTrack } from '../../src/remux/mp4-progressive.ts';

// avcC of a 160x120 baseline stream, and AAC-LC 44.1 kHz stereo
const AVCC = new Uint8Array([1, 66, 192, 11, 255, 225, 0, 25, 103, 66, 192, 11, 217, 1, 65, 253, 240, 17, 0, 0, 3, 0, 1, 0, 0, 3, 0, 50, 15, 20, 42, 184, 1, 0, 4, 104, 206, 60, 128]);
const VIDEO: Track = { id: 1, kind: 'video', codec: VideoCodec.H264, timescale: 90_000, config: AVCC };
const AUDIO: Track = { id: 2, kind: 'audio', codec: AudioCodec.AAC, timescale: 44_100, config: new Uint8Array([0x12, 0x10]) };

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at);
const i32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getInt32(at);
const u64 = (b: Uint8Array, at: number) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(at));

/** The moov: the box after the ftyp (the mdat header after it announces bytes the header does not hold). */
function moovOf(b: Uint8Array): Box {
  const start = u32(b, 0);
  return { type: 'moov', start, payload: start + 8, end: start + u32(b, start) };
}

function find(b: Uint8Array, parent: Box, ...path: string[]): Box[] {
  let level = boxes(b, parent.payload, parent.end);
  for (const [i, type] of path.entries()) {
    const matches = level.filter((x) => x.type === type);
    if (i === path.length - 1) return matches;
    if (matches.length === 0) return [];
    level = boxes(b, matches[0]!.payload, matches[0]!.end);
  }
  return [];
}

/** The entries of a full box's table: `fields` numbers per entry after the entry count. */
function table(b: Uint8Array, box: Box, fields: number, read = u32, skip = 0): number[][] {
  const count = u32(b, box.payload + 4 + skip);
  const out: number[][] = [];
  for (let e = 0; e < count; e++) out.push(Array.from({ length: fields }, (_, f) => read(b, box.payload + 8 + skip + (e * fields + f) * 4)));
  return out;
}

const video: ProgressiveTrack = {
  track: VIDEO,
  durations: [3600, 3600, 3600, 3600, 3600],
  compositionOffsets: [7200, 0, 0, 7200, 0],
  sizes: [1000, 200, 300, 900, 100],
  keyframes: [true, false, false, true, false],
};
const audio: ProgressiveTrack = { track: AUDIO, durations: [1024, 1024, 1024], compositionOffsets: [0, 0, 0], sizes: [50, 60, 70], keyframes: [true, true, true] };

describe('progressive MP4 header', () => {
  test('ftyp, moov, mdat header; tables read back; chunk offsets point at each chunk in the mdat', () => {
    // chunks: video 3 samples, audio 2, video 2, audio 1
    const chunks = [
      { trackIndex: 0, samples: 3 },
      { trackIndex: 1, samples: 2 },
      { trackIndex: 0, samples: 2 },
      { trackIndex: 1, samples: 1 },
    ];
    const { bytes, mdatPayloadBytes } = writeProgressiveHeader([video, audio], chunks);
    expect(mdatPayloadBytes).toBe(2500 + 180);
    const top = boxes(bytes, 0, bytes.length - 8);
    expect(top.map((b) => b.type)).toEqual(['ftyp', 'moov']);
    const mdatAt = bytes.length - 8;
    expect(u32(bytes, mdatAt)).toBe(8 + mdatPayloadBytes);
    expect(new TextDecoder().decode(bytes.subarray(mdatAt + 4, mdatAt + 8))).toBe('mdat');

    const moov = top[1]!;
    const [vTrak, aTrak] = find(bytes, moov, 'trak');
    const stbl = (trak: Box) => find(bytes, trak, 'mdia', 'minf', 'stbl')[0]!;
    const vStbl = stbl(vTrak!);
    const aStbl = stbl(aTrak!);
    expect(table(bytes, find(bytes, vStbl, 'stts')[0]!, 2)).toEqual([[5, 3600]]);
    expect(table(bytes, find(bytes, vStbl, 'ctts')[0]!, 2)).toEqual([[1, 7200], [2, 0], [1, 7200], [1, 0]]);
    expect(table(bytes, find(bytes, vStbl, 'stss')[0]!, 1)).toEqual([[1], [4]]);
    expect(table(bytes, find(bytes, vStbl, 'stsc')[0]!, 3)).toEqual([[1, 3, 1], [2, 2, 1]]);
    expect(table(bytes, find(bytes, vStbl, 'stsz')[0]!, 1, u32, 4)).toEqual([[1000], [200], [300], [900], [100]]);
    const base = bytes.length; // the mdat payload starts right after the header
    expect(table(bytes, find(bytes, vStbl, 'stco')[0]!, 1)).toEqual([[base], [base + 1500 + 110]]);
    expect(table(bytes, find(bytes, aStbl, 'stco')[0]!, 1)).toEqual([[base + 1500], [base + 1500 + 110 + 1000]]);
    // audio: every sample is a sync sample (no stss) and none is reordered (no ctts)
    expect(find(bytes, aStbl, 'stss')).toEqual([]);
    expect(find(bytes, aStbl, 'ctts')).toEqual([]);
    expect(table(bytes, find(bytes, aStbl, 'stsc')[0]!, 3)).toEqual([[1, 2, 1], [2, 1, 1]]);
    // durations: mdhd in the track's timescale, mvhd in ms
    const mdhd = find(bytes, vTrak!, 'mdia', 'mdhd')[0]!;
    expect(u32(bytes, mdhd.payload + 16)).toBe(18_000);
    const mvhd = find(bytes, moov, 'mvhd')[0]!;
    expect(u32(bytes, mvhd.payload + 16)).toBe(200);
  });

  test('a sample shown before it is decoded gets a version 1 (signed) ctts', () => {
    const negative = { ...video, compositionOffsets: [0, -3600, 3600, 0, 0] };
    const { bytes } = writeProgressiveHeader([negative], [{ trackIndex: 0, samples: 5 }]);
    const ctts = find(bytes, moovOf(bytes), 'trak')[0]!;
    const box = find(bytes, ctts, 'mdia', 'minf', 'stbl', 'ctts')[0]!;
    expect(bytes[box.payload]).toBe(1);
    expect(table(bytes, box, 2, (b, at) => i32(b, at))).toEqual([[1, 0], [1, -3600], [1, 3600], [2, 0]]);
  });

  test('past 4 GiB: co64 chunk offsets and a 64-bit mdat size', () => {
    const huge: ProgressiveTrack = { ...audio, sizes: [3_000_000_000, 3_000_000_000, 10] };
    const { bytes, mdatPayloadBytes } = writeProgressiveHeader([huge], [{ trackIndex: 0, samples: 1 }, { trackIndex: 0, samples: 2 }]);
    expect(mdatPayloadBytes).toBe(6_000_000_010);
    const mdatAt = bytes.length - 16;
    expect(u32(bytes, mdatAt)).toBe(1);
    expect(u64(bytes, mdatAt + 8)).toBe(16 + mdatPayloadBytes);
    const stbl = find(bytes, find(bytes, moovOf(bytes), 'trak')[0]!, 'mdia', 'minf', 'stbl')[0]!;
    expect(find(bytes, stbl, 'stco')).toEqual([]);
    const co64 = find(bytes, stbl, 'co64')[0]!;
    expect(u32(bytes, co64.payload + 4)).toBe(2);
    expect(u64(bytes, co64.payload + 8)).toBe(bytes.length);
    expect(u64(bytes, co64.payload + 16)).toBe(bytes.length + 3_000_000_000);
  });

  test('chunks that do not cover every sample are a programming error', () => {
    expect(() => writeProgressiveHeader([audio], [{ trackIndex: 0, samples: 2 }])).toThrow(RangeError);
  });
});
