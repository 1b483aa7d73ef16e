import { describe, expect, test } from 'bun:test';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import type { AudioTagInfo } from '../../src/flv/parse-audio-tag.ts';
import { ProtocolError, ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { ascii, concat, hex } from './hex.ts';
import { expectProtocolError } from '../protocol-errors.ts';

type Case = { name: string; body: Uint8Array; expected: AudioTagInfo };

const opusHead = concat(ascii('OpusHead'), hex('01 02 38 01 80 bb 00 00 00 00 00'));

// Rows alike in shape (body in, parsed tag out): each is one audio tag form under test; kept as data, checked by one loop.
const cases: Case[] = [
  {
    name: 'AAC sequence header (AudioSpecificConfig LC 44.1 kHz stereo)',
    body: hex('af 00 12 10'),
    expected: { kind: 'sequence-header', codec: 'aac', config: hex('12 10'), enhanced: false },
  },
  {
    name: 'AAC raw frame',
    body: hex('af 01 21 10 04 60 8c'),
    expected: { kind: 'frame', codec: 'aac', data: hex('21 10 04 60 8c'), enhanced: false },
  },
  {
    name: 'MP3 44.1 kHz 16-bit stereo',
    body: hex('2f ff fb 90 64'),
    expected: { kind: 'frame', codec: 'mp3', data: hex('ff fb 90 64'), enhanced: false, sampleRateHz: 44100, channels: 2 },
  },
  {
    name: 'MP3 22 kHz mono',
    body: hex('2a ff f3'),
    expected: { kind: 'frame', codec: 'mp3', data: hex('ff f3'), enhanced: false, sampleRateHz: 22050, channels: 1 },
  },
  {
    name: 'MP3 8 kHz (SoundFormat 14)',
    body: hex('e2 ff e3'),
    expected: { kind: 'frame', codec: 'mp3', data: hex('ff e3'), enhanced: false, sampleRateHz: 8000, channels: 1 },
  },
  {
    name: 'G.711 A-law',
    body: hex('72 d5 d5'),
    expected: { kind: 'frame', codec: 'g711a', data: hex('d5 d5'), enhanced: false, sampleRateHz: 8000, channels: 1 },
  },
  {
    name: 'G.711 mu-law',
    body: hex('82 ff'),
    expected: { kind: 'frame', codec: 'g711u', data: hex('ff'), enhanced: false, sampleRateHz: 8000, channels: 1 },
  },
  {
    name: 'PCM little endian 11 kHz stereo',
    body: hex('37 00 01 00 01'),
    expected: { kind: 'frame', codec: 'pcm', data: hex('00 01 00 01'), enhanced: false, sampleRateHz: 11025, channels: 2 },
  },
  {
    name: 'PCM platform endian 5.5 kHz mono',
    body: hex('02 00'),
    expected: { kind: 'frame', codec: 'pcm', data: hex('00'), enhanced: false, sampleRateHz: 5512, channels: 1 },
  },
  {
    name: 'Speex (always 16 kHz mono)',
    body: hex('b2 1e'),
    expected: { kind: 'frame', codec: 'speex', data: hex('1e'), enhanced: false, sampleRateHz: 16000, channels: 1 },
  },
  {
    name: 'Nellymoser 16 kHz mono',
    body: hex('42 aa'),
    expected: { kind: 'frame', codec: 'nellymoser', data: hex('aa'), enhanced: false, sampleRateHz: 16000, channels: 1 },
  },
  {
    name: 'Nellymoser 8 kHz mono',
    body: hex('52 aa'),
    expected: { kind: 'frame', codec: 'nellymoser', data: hex('aa'), enhanced: false, sampleRateHz: 8000, channels: 1 },
  },
  {
    name: 'Nellymoser 22 kHz',
    body: hex('6a aa'),
    expected: { kind: 'frame', codec: 'nellymoser', data: hex('aa'), enhanced: false, sampleRateHz: 22050, channels: 1 },
  },
  { name: 'ADPCM is unsupported', body: hex('1e 00'), expected: { kind: 'unsupported', codecId: 1 } },
  { name: 'device-specific is unsupported', body: hex('f0'), expected: { kind: 'unsupported', codecId: 15 } },
  {
    name: 'enhanced Opus SequenceStart',
    body: concat(hex('90'), ascii('Opus'), opusHead),
    expected: { kind: 'sequence-header', codec: 'opus', config: opusHead, enhanced: true },
  },
  {
    name: 'enhanced Opus CodedFrames',
    body: concat(hex('91'), ascii('Opus'), hex('fc ff fe')),
    expected: { kind: 'frame', codec: 'opus', data: hex('fc ff fe'), enhanced: true },
  },
  {
    name: 'enhanced Opus SequenceEnd',
    body: concat(hex('92'), ascii('Opus')),
    expected: { kind: 'end-of-sequence', codec: 'opus', enhanced: true },
  },
  {
    // Test vectors: one entry per case, alike in shape by design.
    name: 'enhanced fLaC SequenceStart',
    body: concat(hex('90'), ascii('fLaC'), hex('00 00 00 22 10 00')),
    expected: { kind: 'sequence-header', codec: 'flac', config: hex('00 00 00 22 10 00'), enhanced: true },
  },
  {
    name: 'enhanced ac-3 CodedFrames',
    body: concat(hex('91'), ascii('ac-3'), hex('0b 77 aa')),
    expected: { kind: 'frame', codec: 'ac3', data: hex('0b 77 aa'), enhanced: true },
  },
  {
    name: 'enhanced ec-3 CodedFrames',
    body: concat(hex('91'), ascii('ec-3'), hex('0b 77 bb')),
    expected: { kind: 'frame', codec: 'eac3', data: hex('0b 77 bb'), enhanced: true },
  },
  {
    name: 'enhanced mp4a SequenceStart',
    body: concat(hex('90'), ascii('mp4a'), hex('11 90')),
    expected: { kind: 'sequence-header', codec: 'aac', config: hex('11 90'), enhanced: true },
  },
  {
    name: 'enhanced .mp3 CodedFrames',
    body: concat(hex('91'), ascii('.mp3'), hex('ff fb')),
    expected: { kind: 'frame', codec: 'mp3', data: hex('ff fb'), enhanced: true },
  },
  {
    name: 'enhanced MultichannelConfig (native order, 6 channels)',
    body: concat(hex('94'), ascii('Opus'), hex('01 06 00 00 00 3f')),
    expected: { kind: 'multichannel-config', codec: 'opus', channels: 6, enhanced: true },
  },
  {
    name: 'enhanced MultichannelConfig (custom order, 2 channels)',
    body: concat(hex('94'), ascii('Opus'), hex('02 02 00 01')),
    expected: { kind: 'multichannel-config', codec: 'opus', channels: 2, enhanced: true },
  },
  {
    name: 'enhanced unknown FourCC',
    body: concat(hex('91'), ascii('vorb'), hex('00')),
    expected: { kind: 'unsupported', codecId: 'vorb' },
  },
  {
    name: 'enhanced ModEx then CodedFrames',
    body: concat(hex('97 02 00 00 10 01'), ascii('Opus'), hex('fc')),
    expected: { kind: 'frame', codec: 'opus', data: hex('fc'), enhanced: true },
  },
  {
    name: 'multitrack OneTrack SequenceStart',
    body: concat(hex('95 00'), ascii('Opus'), hex('00'), opusHead),
    expected: { kind: 'multitrack', sequenceHeader: true },
  },
  {
    name: 'multitrack ManyTracks CodedFrames',
    body: concat(hex('95 11'), ascii('mp4a'), hex('00 00 00 02 21 10 01 00 00 01 21')),
    expected: { kind: 'multitrack', sequenceHeader: false },
  },
  {
    name: 'multitrack ManyTracksManyCodecs CodedFrames',
    body: concat(hex('95 21'), ascii('mp4a'), hex('00 00 00 01 21'), ascii('Opus'), hex('01 00 00 01 fc')),
    expected: { kind: 'multitrack', sequenceHeader: false },
  },
];

describe('parseAudioTag', () => {
  for (const c of cases) {
    test(c.name, () => {
      expect(parseAudioTag(c.body)).toEqual(c.expected);
    });
  }

  test('config and data are views into the body', () => {
    const body = hex('af 01 21 10 04');
    const info = parseAudioTag(body);
    if (info.kind !== 'frame') throw new Error('expected frame');
    expect(info.data.buffer).toBe(body.buffer);
    expect(info.data.byteOffset).toBe(2);
  });

  // Alike in shape to parse-video-tag.test.ts's truncated table: these are the audio tag's own cut points; the check is shared (expectProtocolError).
  const truncated: [string, Uint8Array][] = [
    ['empty body', hex('')],
    ['AAC without packet type', hex('af')],
    ['AAC sequence header without ASC', hex('af 00')],
    ['AAC sequence header with 1-byte ASC', hex('af 00 12')],
    ['enhanced FourCC cut', hex('91 4f 70')],
    ['enhanced mp4a SequenceStart with 1-byte ASC', concat(hex('90'), ascii('mp4a'), hex('11'))],
    ['enhanced MultichannelConfig cut', concat(hex('94'), ascii('Opus'), hex('01'))],
    ['enhanced MultichannelConfig native flags cut', concat(hex('94'), ascii('Opus'), hex('01 06 00 00'))],
    ['enhanced MultichannelConfig custom mapping cut', concat(hex('94'), ascii('Opus'), hex('02 03 00 01'))],
    ['ModEx cut', hex('97 03 00')],
    ['multitrack header cut', hex('95')],
    ['multitrack track beyond body', concat(hex('95 11'), ascii('mp4a'), hex('00 00 00 05 21'))],
  ];
  for (const [name, body] of truncated) {
    test(`truncated: ${name}`, () => {
      expectProtocolError(() => parseAudioTag(body), ProtocolErrorCode.Truncated);
    });
  }

  test('reserved AACPacketType and AudioPacketType throw ProtocolError', () => {
    expect(() => parseAudioTag(hex('af 02 00'))).toThrow(ProtocolError);
    expect(() => parseAudioTag(concat(hex('93'), ascii('Opus')))).toThrow(ProtocolError);
    expect(() => parseAudioTag(concat(hex('95 05'), ascii('Opus'), hex('00')))).toThrow(ProtocolError);
    expect(() => parseAudioTag(concat(hex('95 31'), ascii('Opus'), hex('00')))).toThrow(ProtocolError);
  });
});
