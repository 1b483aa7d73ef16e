import { describe, expect, test } from 'bun:test';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { Fmp4Muxer, type FragmentTrackInput } from '../../src/remux/fmp4-muxer.ts';
import { ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { childBoxes, findBox, payload, read, walkBoxes } from './fmp4-mp4-samples.ts';
import { expectProtocolError } from '../protocol-errors.ts';

function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  return new Uint8Array(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}
const type = (name: string) => Buffer.from(name).toString('hex');

const AVCC_320X240 = hex(
  '0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800',
);
const video: Track = { id: 7, kind: 'video', codec: 'h264', timescale: 90000, config: AVCC_320X240 };
const audio: Track = { id: 3, kind: 'audio', codec: 'aac', timescale: 44100, config: hex('1210') };
const muxer = new Fmp4Muxer([video, audio]);

function frame(trackId: number, dts: number, pts: number, keyframe: boolean, data: number[]): MediaFrame {
  return { trackId, dts, pts, keyframe, data: new Uint8Array(data) };
}

/** dts above 2^32 to show the 64-bit tfdt; the second frame is shown before it is decoded (negative offset). */
const BASE = 2 ** 32 + 5;
const videoRun: FragmentTrackInput = {
  trackId: 7,
  frames: [frame(7, BASE, BASE + 7200, true, [0, 0, 0, 1, 0x65]), frame(7, BASE + 3600, BASE, false, [0, 0, 0, 2, 0x41, 0x9a])],
  endDts: BASE + 7200,
};
const audioRun: FragmentTrackInput = {
  trackId: 3,
  frames: [frame(3, 1024, 1024, false, [0x21, 0x10, 0x04]), frame(3, 2048, 2048, true, [0x21, 0x10])],
  endDts: 3072,
};


describe('fragment bytes', () => {
  const out = muxer.fragment(42, [videoRun, audioRun]);

  test('the whole moof + mdat, byte for byte', () => {
    expect(out).toEqual(
      hex(`
        000000d0 ${type('moof')}
          00000010 ${type('mfhd')} 00000000 0000002a
          00000060 ${type('traf')}
            00000010 ${type('tfhd')} 00020000 00000001
            00000014 ${type('tfdt')} 01000000 00000001 00000005
            00000034 ${type('trun')} 01000f01 00000002 000000d8
              00000e10 00000005 02000000 00001c20
              00000e10 00000006 01010000 fffff1f0
          00000058 ${type('traf')}
            00000010 ${type('tfhd')} 00020000 00000002
            00000014 ${type('tfdt')} 01000000 00000000 00000400
            0000002c ${type('trun')} 01000701 00000002 000000e3
              00000400 00000003 02000000
              00000400 00000002 02000000
        00000018 ${type('mdat')} 0000000165 00000002419a 211004 2110`),
    );
  });

  test('mfhd, tfdt (version 1, 64-bit) and trun (negative composition offset) on their own', () => {
    expect(out.subarray(8, 24)).toEqual(hex(`00000010 ${type('mfhd')} 0000 0000 0000 002a`));
    const tfdt = walkBoxes(out).find((b) => b.path === 'moof/traf/tfdt')!;
    expect(out.subarray(tfdt.start, tfdt.end)).toEqual(hex(`00000014 ${type('tfdt')} 01 000000 00000001 00000005`));
    const trun = payload(out, findBox(out, 'moof/traf/trun'));
    expect(trun[0]).toBe(1); // version 1: signed offsets
    expect(read.i32(trun, 40)).toBe(-3600);
  });

  test('audio: no composition offsets, every sample sync whatever its keyframe flag', () => {
    const trun = walkBoxes(out).filter((b) => b.path === 'moof/traf/trun')[1]!;
    const body = payload(out, trun);
    expect(read.u32(body, 0) & 0xffffff).toBe(0x000701);
    expect([read.u32(body, 20), read.u32(body, 32)]).toEqual([0x02000000, 0x02000000]);
  });
});

/** Checks every trun's data_offset lands on its samples in the mdat, in traf order. */
function checkDataOffsets(out: Uint8Array, inputs: readonly FragmentTrackInput[]): void {
  const [moof, mdat] = childBoxes(out);
  expect(moof!.type).toBe('moof');
  expect(mdat!.type).toBe('mdat');
  expect(mdat!.end).toBe(out.length);
  const truns = walkBoxes(out).filter((b) => b.path === 'moof/traf/trun');
  const nonEmpty = inputs.filter((i) => i.frames.length > 0);
  expect(truns.length).toBe(nonEmpty.length);
  let expectedAt = mdat!.payloadStart;
  truns.forEach((trun, t) => {
    const body = payload(out, trun);
    const flags = read.u32(body, 0) & 0xffffff;
    const sampleBytes = flags & 0x800 ? 16 : 12;
    const count = read.u32(body, 4);
    let at = moof!.start + read.i32(body, 8);
    expect(at).toBe(expectedAt);
    for (let i = 0; i < count; i++) {
      const size = read.u32(body, 12 + i * sampleBytes + 4);
      expect(out.subarray(at, at + size)).toEqual(nonEmpty[t]!.frames[i]!.data as Uint8Array);
      at += size;
    }
    expectedAt = at;
  });
  expect(expectedAt).toBe(out.length);
}

describe('fragment layout', () => {
  test('trun data_offset points at the first sample of its track in the mdat', () => {
    checkDataOffsets(muxer.fragment(1, [videoRun, audioRun]), [videoRun, audioRun]);
    checkDataOffsets(muxer.fragment(2, [audioRun, videoRun]), [audioRun, videoRun]);
  });

  test('a track without frames gets no traf; no frames at all gives a bare moof and an empty mdat', () => {
    const emptyAudio = { trackId: 3, frames: [], endDts: 0 };
    const out = muxer.fragment(3, [emptyAudio, videoRun]);
    expect(walkBoxes(out).filter((b) => b.type === 'traf').length).toBe(1);
    checkDataOffsets(out, [emptyAudio, videoRun]);
    expect(muxer.fragment(4, [emptyAudio])).toEqual(
      hex(`00000018 ${type('moof')} 00000010 ${type('mfhd')} 00000000 00000004 00000008 ${type('mdat')}`),
    );
  });

  test('a video run without B-frames has no composition offsets; the last duration is endDts - dts', () => {
    const run = { trackId: 7, frames: [frame(7, 0, 0, true, [1]), frame(7, 3000, 3000, false, [2])], endDts: 9000 };
    const body = payload(muxer.fragment(5, [run]), findBox(muxer.fragment(5, [run]), 'moof/traf/trun'));
    expect(read.u32(body, 0) & 0xffffff).toBe(0x000701);
    expect([read.u32(body, 12), read.u32(body, 24)]).toEqual([3000, 6000]);
    expect([read.u32(body, 20), read.u32(body, 32)]).toEqual([0x02000000, 0x01010000]);
  });

  test('same input, same bytes', () => {
    expect(muxer.fragment(9, [videoRun, audioRun])).toEqual(muxer.fragment(9, [videoRun, audioRun]));
  });
});

describe('fragment input errors', () => {
  const ok = (frames: MediaFrame[], endDts: number) => [{ trackId: 7, frames, endDts }];
  test('unknown or repeated track is BadState', () => {
    expectProtocolError(() => muxer.fragment(1, [{ ...videoRun, trackId: 99 }]), ProtocolErrorCode.BadState);
    expectProtocolError(() => muxer.fragment(1, [videoRun, videoRun]), ProtocolErrorCode.BadState);
  });

  test('bad timestamps, foreign frames and bad sequence numbers are Malformed', () => {
    const cases: [number, FragmentTrackInput[]][] = [
      [1, ok([frame(7, 100, 100, true, [1]), frame(7, 50, 50, false, [1])], 200)], // dts goes back
      [1, ok([frame(7, 100, 100, true, [1])], 99)], // endDts before the last dts
      [1, ok([frame(7, -1, 0, true, [1])], 10)], // negative base time
      [1, ok([frame(7, 1.5, 2, true, [1])], 10)], // not an integer
      [1, ok([frame(7, 0, 2 ** 31, true, [1])], 10)], // composition offset past int32
      [1, ok([frame(7, 0, 0, true, [1]), frame(7, 2 ** 33, 2 ** 33, true, [1])], 2 ** 33 + 1)], // duration past u32
      [1, ok([frame(3, 0, 0, true, [1])], 10)], // frame of another track
      [-1, ok([frame(7, 0, 0, true, [1])], 10)],
      [2 ** 32, ok([frame(7, 0, 0, true, [1])], 10)],
    ];
    for (const [sequence, inputs] of cases) {
      expectProtocolError(() => muxer.fragment(sequence, inputs), ProtocolErrorCode.Malformed);
    }
  });
});
