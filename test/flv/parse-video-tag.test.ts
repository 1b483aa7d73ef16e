import { describe, expect, test } from 'bun:test';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import type { VideoTagInfo } from '../../src/flv/parse-video-tag.ts';
import { ProtocolError, ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { ascii, concat, hex } from './hex.ts';
import { expectProtocolError } from '../protocol-errors.ts';

type Case = { name: string; body: Uint8Array; expected: VideoTagInfo };

const avcC = hex('01 64 00 1f ff e1 00 04 67 64 00 1f 01 00 04 68 ee 3c 80');
const hvcC = hex('01 01 60 00 00 00 90 00 00 00 00 00 5d f0 00 fc fd f8 f8 00 00 0f 03');

// Rows alike in shape (body in, parsed tag out): each is one video tag form under test; kept as data, checked by one loop.
const cases: Case[] = [
  {
    name: 'legacy AVC sequence header',
    body: concat(hex('17 00 00 00 00'), avcC),
    expected: { kind: 'sequence-header', codec: 'h264', config: avcC, enhanced: false },
  },
  {
    name: 'legacy AVC keyframe NALU, composition time 80',
    body: hex('17 01 00 00 50 00 00 00 02 65 88'),
    expected: {
      kind: 'frame',
      codec: 'h264',
      keyframe: true,
      compositionTimeMs: 80,
      data: hex('00 00 00 02 65 88'),
      enhanced: false,
    },
  },
  {
    name: 'legacy AVC inter frame, negative composition time -40',
    body: hex('27 01 ff ff d8 00 00 00 01 41'),
    expected: {
      kind: 'frame',
      codec: 'h264',
      keyframe: false,
      compositionTimeMs: -40,
      data: hex('00 00 00 01 41'),
      enhanced: false,
    },
  },
  {
    name: 'legacy AVC disposable inter frame, most negative SI24',
    body: hex('37 01 80 00 00 00 00 00 01 01'),
    expected: {
      kind: 'frame',
      codec: 'h264',
      keyframe: false,
      compositionTimeMs: -8388608,
      data: hex('00 00 00 01 01'),
      enhanced: false,
    },
  },
  {
    name: 'legacy AVC end of sequence (5 bytes)',
    body: hex('17 02 00 00 00'),
    expected: { kind: 'end-of-sequence', codec: 'h264', enhanced: false },
  },
  {
    name: 'legacy AVC end of sequence (2 bytes)',
    body: hex('27 02'),
    expected: { kind: 'end-of-sequence', codec: 'h264', enhanced: false },
  },
  {
    name: 'legacy AVC empty NALU payload',
    body: hex('27 01 00 00 00'),
    expected: { kind: 'frame', codec: 'h264', keyframe: false, compositionTimeMs: 0, data: hex(''), enhanced: false },
  },
  {
    name: 'legacy HEVC (codec id 12) sequence header',
    body: concat(hex('1c 00 00 00 00'), hvcC),
    expected: { kind: 'sequence-header', codec: 'h265', config: hvcC, enhanced: false },
  },
  {
    name: 'legacy HEVC (codec id 12) inter frame',
    body: hex('2c 01 00 00 28 00 00 00 03 02 01 d0'),
    expected: {
      kind: 'frame',
      codec: 'h265',
      keyframe: false,
      compositionTimeMs: 40,
      data: hex('00 00 00 03 02 01 d0'),
      enhanced: false,
    },
  },
  { name: 'legacy command frame', body: hex('57 01'), expected: { kind: 'command' } },
  { name: 'Sorenson H.263', body: hex('22 00 00 84'), expected: { kind: 'unsupported', codecId: 2 } },
  { name: 'VP6', body: hex('14 00 11'), expected: { kind: 'unsupported', codecId: 4 } },
  { name: 'screen video', body: hex('13 ff'), expected: { kind: 'unsupported', codecId: 3 } },
  {
    name: 'enhanced hvc1 SequenceStart',
    body: concat(hex('90'), ascii('hvc1'), hvcC),
    expected: { kind: 'sequence-header', codec: 'h265', config: hvcC, enhanced: true },
  },
  {
    name: 'enhanced hvc1 CodedFrames keyframe with composition time',
    body: concat(hex('91'), ascii('hvc1'), hex('00 00 50 00 00 00 02 26 01')),
    expected: {
      kind: 'frame',
      codec: 'h265',
      keyframe: true,
      compositionTimeMs: 80,
      data: hex('00 00 00 02 26 01'),
      enhanced: true,
    },
  },
  {
    name: 'enhanced hvc1 CodedFrames inter frame with negative composition time',
    body: concat(hex('a1'), ascii('hvc1'), hex('ff ff ec 00 00 00 02 02 01')),
    expected: {
      kind: 'frame',
      codec: 'h265',
      keyframe: false,
      compositionTimeMs: -20,
      data: hex('00 00 00 02 02 01'),
      enhanced: true,
    },
  },
  {
    name: 'enhanced hvc1 CodedFramesX (composition time 0, no field)',
    body: concat(hex('a3'), ascii('hvc1'), hex('00 00 00 02 02 01')),
    expected: {
      kind: 'frame',
      codec: 'h265',
      keyframe: false,
      compositionTimeMs: 0,
      data: hex('00 00 00 02 02 01'),
      enhanced: true,
    },
  },
  {
    name: 'enhanced hvc1 SequenceEnd',
    body: concat(hex('92'), ascii('hvc1')),
    expected: { kind: 'end-of-sequence', codec: 'h265', enhanced: true },
  },
  {
    name: 'enhanced avc1 CodedFrames',
    body: concat(hex('91'), ascii('avc1'), hex('00 00 28 00 00 00 01 65')),
    expected: {
      kind: 'frame',
      codec: 'h264',
      keyframe: true,
      compositionTimeMs: 40,
      data: hex('00 00 00 01 65'),
      enhanced: true,
    },
  },
  {
    name: 'enhanced av01 SequenceStart',
    body: concat(hex('90'), ascii('av01'), hex('81 08 0c 00 0a 0b 00 00 00 24')),
    expected: { kind: 'sequence-header', codec: 'av1', config: hex('81 08 0c 00 0a 0b 00 00 00 24'), enhanced: true },
  },
  {
    name: 'enhanced av01 CodedFrames has no composition time',
    body: concat(hex('91'), ascii('av01'), hex('12 00 0a 0b')),
    expected: { kind: 'frame', codec: 'av1', keyframe: true, compositionTimeMs: 0, data: hex('12 00 0a 0b'), enhanced: true },
  },
  {
    name: 'enhanced vp09 SequenceStart',
    body: concat(hex('90'), ascii('vp09'), hex('01 00 00 00 00 1f 80 02 02 02 00 00')),
    expected: {
      kind: 'sequence-header',
      codec: 'vp9',
      config: hex('01 00 00 00 00 1f 80 02 02 02 00 00'),
      enhanced: true,
    },
  },
  {
    name: 'enhanced vp09 CodedFrames inter frame has no composition time',
    body: concat(hex('a1'), ascii('vp09'), hex('86 00 40')),
    expected: { kind: 'frame', codec: 'vp9', keyframe: false, compositionTimeMs: 0, data: hex('86 00 40'), enhanced: true },
  },
  {
    name: 'enhanced Metadata (colorInfo AMF follows)',
    body: concat(hex('94'), ascii('hvc1'), hex('02 00 09'), ascii('colorInfo'), hex('03 00 00 09')),
    expected: { kind: 'metadata', enhanced: true },
  },
  { name: 'enhanced command frame', body: concat(hex('d1'), ascii('hvc1'), hex('00')), expected: { kind: 'command' } },
  {
    name: 'enhanced unknown FourCC (vp08)',
    body: concat(hex('91'), ascii('vp08'), hex('00')),
    expected: { kind: 'unsupported', codecId: 'vp08' },
  },
  {
    name: 'enhanced MPEG2TSSequenceStart is passed through',
    body: concat(hex('95'), ascii('av01'), hex('80 04 31 00')),
    expected: { kind: 'unsupported', codecId: 'av01' },
  },
  {
    name: 'enhanced ModEx (TimestampOffsetNano) then CodedFrames',
    // 0x97: keyframe + ModEx; size-1 = 2 -> 3 bytes data; then modExType 0 | packetType 1
    body: concat(hex('97 02 00 01 f4 01'), ascii('hvc1'), hex('00 00 00 aa')),
    expected: { kind: 'frame', codec: 'h265', keyframe: true, compositionTimeMs: 0, data: hex('aa'), enhanced: true },
  },
  {
    name: 'multitrack OneTrack SequenceStart',
    body: concat(hex('96 00'), ascii('hvc1'), hex('00'), hvcC),
    expected: { kind: 'multitrack', keyframe: true, sequenceHeader: true },
  },
  {
    name: 'multitrack ManyTracks CodedFrames',
    body: concat(hex('a6 11'), ascii('avc1'), hex('00 00 00 04 00 00 00 aa 01 00 00 05 00 00 00 00 bb')),
    expected: { kind: 'multitrack', keyframe: false, sequenceHeader: false },
  },
  {
    name: 'multitrack ManyTracksManyCodecs keyframe',
    body: concat(hex('96 21'), ascii('avc1'), hex('00 00 00 04 00 00 00 aa'), ascii('av01'), hex('01 00 00 02 12 00')),
    expected: { kind: 'multitrack', keyframe: true, sequenceHeader: false },
  },
];

describe('parseVideoTag', () => {
  for (const c of cases) {
    test(c.name, () => {
      expect(parseVideoTag(c.body)).toEqual(c.expected);
    });
  }

  test('config and data are views into the body, not copies', () => {
    const seq = concat(hex('17 00 00 00 00'), avcC);
    const info = parseVideoTag(seq);
    if (info.kind !== 'sequence-header') throw new Error('expected sequence header');
    expect(info.config.buffer).toBe(seq.buffer);
    expect(info.config.byteOffset).toBe(5);
    const frame = hex('91 68 76 63 31 00 00 00 01 02 03');
    const f = parseVideoTag(frame);
    if (f.kind !== 'frame') throw new Error('expected frame');
    expect(f.data.buffer).toBe(frame.buffer);
    expect(f.data.byteOffset).toBe(8);
  });

  const truncated: [string, Uint8Array][] = [
    ['empty body', hex('')],
    ['legacy AVC without packet type', hex('17')],
    ['legacy AVC NALU without composition time', hex('27 01 00 00')],
    ['legacy AVC sequence header without config', hex('17 00 00 00 00')],
    ['legacy HEVC NALU cut', hex('1c 01 00')],
    ['enhanced header cut inside FourCC', hex('91 68 76 63')],
    ['enhanced hvc1 CodedFrames cut inside composition time', concat(hex('91'), ascii('hvc1'), hex('00 00'))],
    ['enhanced SequenceStart without config', concat(hex('90'), ascii('av01'))],
    ['ModEx cut inside data', hex('97 05 00 01')],
    ['ModEx with 16-bit size cut', hex('97 ff 00')],
    ['multitrack header cut', hex('96')],
    ['multitrack OneTrack without track id', concat(hex('96 00'), ascii('hvc1'))],
    ['multitrack track size beyond body', concat(hex('a6 11'), ascii('avc1'), hex('00 00 00 09 00 00'))],
    ['multitrack without tracks', concat(hex('a6 11'), ascii('avc1'))],
  ];
  for (const [name, body] of truncated) {
    test(`truncated: ${name}`, () => {
      expectProtocolError(() => parseVideoTag(body), ProtocolErrorCode.Truncated);
    });
  }

  test('reserved AVCPacketType is malformed', () => {
    expect(() => parseVideoTag(hex('17 03 00 00 00'))).toThrow(ProtocolError);
  });
  test('reserved enhanced VideoPacketType is unsupported', () => {
    expect(() => parseVideoTag(concat(hex('98'), ascii('hvc1')))).toThrow(ProtocolError);
  });
});
