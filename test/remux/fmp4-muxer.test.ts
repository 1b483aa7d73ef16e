import { describe, expect, test } from 'bun:test';
import type { Track } from '../../src/media/types.ts';
import { encodeOpusHead } from '../../src/media/opus-head.ts';
import { Fmp4Muxer, isFmp4Supported } from '../../src/remux/fmp4-muxer.ts';
import { ProtocolError, ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { childBoxes, findBox, payload, read, walkBoxes } from './fmp4-mp4-samples.ts';

function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  return new Uint8Array(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

// avcC written by ffmpeg 5.1 / libx264 (FLV sequence header): testsrc2 320x240 yuv420p, High, level 1.3.
const AVCC_320X240 = hex(
  '0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800',
);
/** AAC LC, 44.1 kHz, 2 channels */
const ASC_LC_44100_STEREO = hex('1210');

const video: Track = { id: 7, kind: 'video', codec: 'h264', timescale: 90000, config: AVCC_320X240 };
const audio: Track = { id: 3, kind: 'audio', codec: 'aac', timescale: 44100, config: ASC_LC_44100_STEREO };

function expectProtocolError(fn: () => unknown, code: ProtocolErrorCode): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
    return;
  }
  throw new Error('expected a ProtocolError');
}

const bytesOf = (bytes: Uint8Array, box: { start: number; end: number }) => bytes.subarray(box.start, box.end);

describe('isFmp4Supported and construction', () => {
  test('takes H.264, H.265, AAC and Opus; refuses the rest with Unsupported', () => {
    expect(isFmp4Supported(video)).toBe(true);
    expect(isFmp4Supported({ ...video, codec: 'h265' })).toBe(true);
    expect(isFmp4Supported(audio)).toBe(true);
    expect(isFmp4Supported({ ...audio, codec: 'opus' })).toBe(true);
    for (const codec of ['mp3', 'av1', 'vp9', 'g711a'] as const) {
      const track: Track = { ...audio, codec };
      expect(isFmp4Supported(track)).toBe(false);
      expectProtocolError(() => new Fmp4Muxer([track]), ProtocolErrorCode.Unsupported);
    }
  });

  test('Opus: an OpusHead becomes an Opus sample entry with dOps (big-endian fields); a config that is not one is refused', () => {
    const opus: Track = { ...audio, codec: 'opus', config: encodeOpusHead(2, 48_000, 312) };
    const init = new Fmp4Muxer([video, opus]).initSegment();
    const text = Buffer.from(init).toString('latin1');
    const at = text.indexOf('dOps');
    expect(text.indexOf('Opus')).toBeGreaterThan(0);
    expect(at).toBeGreaterThan(0);
    // size 19: header, Version 0, OutputChannelCount 2, PreSkip 312, InputSampleRate 48000, OutputGain 0, family 0
    expect(Buffer.from(init.subarray(at - 4, at + 15)).toString('hex')).toBe('00000013' + '644f7073' + '00' + '02' + '0138' + '0000bb80' + '0000' + '00');
    expectProtocolError(() => new Fmp4Muxer([{ ...opus, config: hex('00 01 02') }]), ProtocolErrorCode.Malformed);
    expectProtocolError(() => new Fmp4Muxer([{ ...opus, config: encodeOpusHead(2).map((b, i) => (i === 18 ? 1 : b)) }]), ProtocolErrorCode.Unsupported);
  });

  test('bad configs, duplicate ids, bad timescales and no tracks are ProtocolErrors', () => {
    expect(() => new Fmp4Muxer([{ ...video, config: hex('01 64 00') }])).toThrow(ProtocolError);
    expect(() => new Fmp4Muxer([{ ...video, config: new Uint8Array(0) }])).toThrow(ProtocolError);
    expect(() => new Fmp4Muxer([{ ...audio, config: hex('00') }])).toThrow(ProtocolError);
    expectProtocolError(() => new Fmp4Muxer([video, { ...audio, id: 7 }]), ProtocolErrorCode.BadState);
    expectProtocolError(() => new Fmp4Muxer([{ ...video, timescale: 0 }]), ProtocolErrorCode.Malformed);
    expectProtocolError(() => new Fmp4Muxer([]), ProtocolErrorCode.BadState);
  });
});

describe('init segment', () => {
  const muxer = new Fmp4Muxer([video, audio]);
  const init = muxer.initSegment();

  test('box sizes add up: ftyp then moov cover the whole segment', () => {
    expect(childBoxes(init).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    const paths = walkBoxes(init).map((b) => b.path);
    expect(paths).toContain('moov/trak/mdia/minf/stbl/stsd/avc1/avcC');
    expect(paths).toContain('moov/trak/mdia/minf/stbl/stsd/mp4a/esds');
    for (const box of ['mvhd', 'mvex/trex']) expect(paths).toContain(`moov/${box}`);
    for (const box of ['tkhd', 'mdia/mdhd', 'mdia/hdlr', 'mdia/minf/dinf/dref', 'mdia/minf/stbl/stts', 'mdia/minf/stbl/stsc']) {
      expect(paths).toContain(`moov/trak/${box}`);
    }
    expect(paths.filter((p) => p === 'moov/trak/mdia/minf/stbl/stco').length).toBe(2);
    expect(muxer.initSegment()).toBe(init);
  });

  test('ftyp: iso6 major brand, cmfc compatible', () => {
    expect([...bytesOf(init, findBox(init, 'ftyp'))]).toEqual([
      0, 0, 0, 32, ...ascii('ftypiso6'), 0, 0, 0, 0, ...ascii('iso6cmfcisommp41'),
    ]);
  });

  test('tracks are numbered 1, 2 in the given order; tkhd, mdhd, hdlr and trex agree', () => {
    const traks = childBoxes(init, findBox(init, 'moov').payloadStart, findBox(init, 'moov').end).filter((b) => b.type === 'trak');
    expect(traks.length).toBe(2);
    const [v, a] = traks.map((trak) => {
      const tkhd = payload(init, findBox(init, 'trak/tkhd', trak.start, trak.end));
      const mdhd = payload(init, findBox(init, 'trak/mdia/mdhd', trak.start, trak.end));
      const hdlr = payload(init, findBox(init, 'trak/mdia/hdlr', trak.start, trak.end));
      return {
        flags: read.u32(tkhd, 0),
        id: read.u32(tkhd, 12),
        volume: read.u16(tkhd, 36),
        width: read.u32(tkhd, 76),
        height: read.u32(tkhd, 80),
        timescale: read.u32(mdhd, 12),
        handler: String.fromCharCode(...hdlr.subarray(8, 12)),
      };
    });
    expect(v).toEqual({ flags: 3, id: 1, volume: 0, width: 320 << 16, height: 240 << 16, timescale: 90000, handler: 'vide' });
    expect(a).toEqual({ flags: 3, id: 2, volume: 0x100, width: 0, height: 0, timescale: 44100, handler: 'soun' });
    const mvhd = payload(init, findBox(init, 'moov/mvhd'));
    expect(read.u32(mvhd, 96)).toBe(3); // next_track_ID
    const trex = walkBoxes(init).filter((b) => b.path === 'moov/mvex/trex');
    expect(trex.map((b) => read.u32(init, b.start + 12))).toEqual([1, 2]);
  });

  test('avc1: 320x240 from the SPS, empty compressorname, avcC holds the config bytes', () => {
    const avc1 = payload(init, findBox(init, 'moov/trak/mdia/minf/stbl/stsd/avc1'));
    expect(read.u16(avc1, 6)).toBe(1); // data_reference_index
    expect(read.u16(avc1, 24)).toBe(320);
    expect(read.u16(avc1, 26)).toBe(240);
    expect([...avc1.subarray(42, 74)]).toEqual(new Array(32).fill(0));
    expect(read.u16(avc1, 74)).toBe(0x18);
    expect(payload(init, findBox(init, 'moov/trak/mdia/minf/stbl/stsd/avc1/avcC'))).toEqual(AVCC_320X240);
  });

  test('mp4a + esds: channels and rate from the ASC; ES, DecoderConfig (0x40, audio), DSI = ASC, SL', () => {
    const mp4a = findBox(init, 'moov/trak/mdia/minf/stbl/stsd/mp4a');
    const fields = payload(init, mp4a);
    expect(read.u16(fields, 16)).toBe(2); // channelcount
    expect(read.u16(fields, 18)).toBe(16); // samplesize
    expect(read.u32(fields, 24)).toBe(44100 * 0x10000);
    const esds = bytesOf(init, findBox(init, 'moov/trak/mdia/minf/stbl/stsd/mp4a/esds'));
    expect(esds).toEqual(
      hex(`00000027 ${Buffer.from('esds').toString('hex')} 00000000
        03 19 0000 00
        04 11 40 15 000000 00000000 00000000
        05 02 1210
        06 01 02`),
    );
  });

  test('non-square pixels add pasp and stretch the tkhd width', () => {
    // Same encode with setsar=4/3: the VUI carries aspect_ratio_idc 14 (4:3).
    const avcC = hex('0164000dffe100196764000dacd94141fb0e1000000300100000030320f142996001000668ebe3cb22c0fdf8f800');
    const built = new Fmp4Muxer([{ ...video, config: avcC }]).initSegment();
    const pasp = findBox(built, 'moov/trak/mdia/minf/stbl/stsd/avc1/pasp');
    expect([...payload(built, pasp)]).toEqual([0, 0, 0, 4, 0, 0, 0, 3]);
    const tkhd = payload(built, findBox(built, 'moov/trak/tkhd'));
    expect(read.u32(tkhd, 76)).toBe(427 * 0x10000 - 0x5555); // 320 * 4 / 3 = 426.67 in 16.16
    expect(read.u32(tkhd, 80)).toBe(240 << 16);
    expect(walkBoxes(init).some((b) => b.type === 'pasp')).toBe(false);
  });

  test('H.265 makes hvc1 + hvcC with the size from the SPS', () => {
    // hvcC written by ffmpeg 5.1 / libx265 3.5 (as in test/media/h265.test.ts): 1280x720 Main.
    const hvcC = hex(
      '01016000000090000000000078f000fcfdf8f800000f03200001001840010c01ffff016000000300900000030000030078959809210001002b420101016000000300900000030000030078a00280802d165959a4932bc05a02000003000200000300641022000100074401c172b46240',
    );
    const built = new Fmp4Muxer([{ id: 1, kind: 'video', codec: 'h265', timescale: 90000, config: hvcC }]).initSegment();
    const hvc1 = payload(built, findBox(built, 'moov/trak/mdia/minf/stbl/stsd/hvc1'));
    expect([read.u16(hvc1, 24), read.u16(hvc1, 26)]).toEqual([1280, 720]);
    expect(payload(built, findBox(built, 'moov/trak/mdia/minf/stbl/stsd/hvc1/hvcC'))).toEqual(hvcC);
  });
});

describe('garbage configs', () => {
  test('random and truncated avcC/hvcC/ASC bytes either build an init segment or throw a ProtocolError', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const bases: Track[] = [video, audio, { id: 1, kind: 'video', codec: 'h265', timescale: 90000, config: AVCC_320X240 }];
    for (let i = 0; i < 1500; i++) {
      const base = bases[i % bases.length]!;
      const config =
        i % 2 === 0
          ? AVCC_320X240.subarray(0, random() % (AVCC_320X240.length + 1))
          : new Uint8Array(Array.from({ length: random() % 64 }, (_, k) => (k === 0 ? 1 : random() & 0xff)));
      try {
        const init = new Fmp4Muxer([{ ...base, config }]).initSegment();
        expect(walkBoxes(init).length).toBeGreaterThan(10);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    }
  });
});
