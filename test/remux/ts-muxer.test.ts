import { describe, expect, test } from 'bun:test';
import { encodeAdtsHeader, parseAudioSpecificConfig } from '../../src/media/aac.ts';
import { parseHevcDecoderConfig } from '../../src/media/h265.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { crc32Mpeg2 } from '../../src/remux/ts-crc32.ts';
import { TsMuxer, isTsSupported } from '../../src/remux/ts-muxer.ts';
import { toMpegTicks } from '../../src/remux/ts-pes.ts';
import { ProtocolError, type ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { concat, hex } from '../flv/hex.ts';
import { checkContinuity, readPes, readTsPackets } from './ts-demux.ts';

// avcC: High@3.1, 4-byte lengths, one SPS (67 64 00 1f) and one PPS (68 ee).
const avcC = (lengthSizeBits = 0xff) => concat(hex('01 64 00 1f'), Uint8Array.of(lengthSizeBits), hex('e1 0004 6764001f 01 0002 68ee'));
// hvcC written by ffmpeg 5.1 / libx265 (from test/media/h265.test.ts): one VPS, SPS, PPS.
const hvcC = hex(
  '01016000000090000000000078f000fcfdf8f800000f03200001001840010c01ffff016000000300900000030000030078959809210001002b420101016000000300900000030000030078a00280802d165959a4932bc05a02000003000200000300641022000100074401c172b46240',
);
const ASC_LC_44100_STEREO = hex('12 10');

const h264 = (config = avcC()): Track => ({ id: 1, kind: 'video', codec: 'h264', timescale: 1000, config });
const h265: Track = { id: 1, kind: 'video', codec: 'h265', timescale: 1000, config: hvcC };
const aac: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 1000, config: ASC_LC_44100_STEREO };
const mp3 = (config: Uint8Array = new Uint8Array(0)): Track => ({ id: 2, kind: 'audio', codec: 'mp3', timescale: 1000, config });

const frame = (trackId: number, dts: number, pts: number, keyframe: boolean, data: Uint8Array): MediaFrame => ({
  trackId,
  dts,
  pts,
  keyframe,
  data,
});
/** AVCC access unit with 4-byte lengths */
const avcc = (...nals: Uint8Array[]) =>
  concat(...nals.flatMap((n) => [Uint8Array.of(n.length >>> 24, (n.length >> 16) & 0xff, (n.length >> 8) & 0xff, n.length & 0xff), n]));
const IDR = hex('65 88 84 00 33');
const SLICE = hex('41 9a 02 0c');
const SC = hex('00 00 00 01');
const stuffed = (head: Uint8Array) => concat(head, new Uint8Array(188 - head.length).fill(0xff));

describe('PSI', () => {
  test('CRC-32/MPEG-2 check value', () => {
    expect(crc32Mpeg2(new TextEncoder().encode('123456789'))).toBe(0x0376e6e7);
  });

  test('PAT and PMT for H.264 + AAC are byte for byte what ffmpeg 5.1 writes', () => {
    const tables = new TsMuxer({ video: h264(), audio: aac }).writeTables();
    expect(tables.length).toBe(376);
    expect(tables.subarray(0, 188)).toEqual(stuffed(hex('47 4000 10 00  00 b00d 0001 c1 00 00  0001 f000  2ab104b2')));
    expect(tables.subarray(188)).toEqual(
      stuffed(hex('47 5000 10 00  02 b017 0001 c1 00 00  e100 f000  1b e100 f000  0f e101 f000  2f44b99b')),
    );
  });

  test('PMT for HEVC carries the "HEVC" registration descriptor, as ffmpeg writes it', () => {
    const tables = new TsMuxer({ video: h265 }).writeTables();
    expect(tables.subarray(188)).toEqual(
      stuffed(hex('47 5000 10 00  02 b018 0001 c1 00 00  e100 f000  24 e100 f006 0504 48455643  cb9e0052')),
    );
  });

  test('audio-only MP3: PCR on the audio PID, stream type 0x03, or 0x04 for an MPEG-2 header in the config', () => {
    for (const [config, streamType] of [
      [new Uint8Array(0), 0x03],
      [hex('ff fb 90 64'), 0x03], // MPEG-1 layer 3, 44.1 kHz
      [hex('ff f3 90 64'), 0x04], // MPEG-2 layer 3, 22.05 kHz
      [hex('ff e3 90 64'), 0x04], // MPEG-2.5
    ] as const) {
      const pmt = new TsMuxer({ audio: mp3(config) }).writeTables().subarray(188);
      const section = pmt.subarray(5, 5 + 3 + ((pmt[6]! & 0x0f) << 8 | pmt[7]!));
      expect([...section.subarray(0, 17)]).toEqual([...hex('02 b012 0001 c1 00 00 e101 f000'), streamType, ...hex('e101 f000')]);
      const crc = new DataView(section.buffer, section.byteOffset + section.length - 4).getUint32(0);
      expect(crc).toBe(crc32Mpeg2(section.subarray(0, section.length - 4)));
    }
  });

  test('the PAT/PMT continuity counters go up per call and wrap after 15', () => {
    const muxer = new TsMuxer({ video: h264(), audio: aac });
    const seen: number[] = [];
    let last = new Map<number, number>();
    for (let i = 0; i < 40; i++) {
      const packets = readTsPackets(muxer.writeTables());
      last = checkContinuity(packets, last);
      seen.push(packets[0]!.continuityCounter);
      expect(packets[1]!.continuityCounter).toBe(packets[0]!.continuityCounter);
    }
    expect(seen.slice(14, 18)).toEqual([14, 15, 0, 1]);
  });
});

describe('PES', () => {
  test('video keyframe with PTS != DTS: exact first packet (PCR, random access, PES header, Annex B)', () => {
    const muxer = new TsMuxer({ video: h264(), audio: aac });
    const out = muxer.writeFrame(frame(1, 1000, 1080, true, avcc(IDR)));
    expect(out.length).toBe(188);
    const payload = concat(
      hex('00 00 01 e0 0000 80 c0 0a  31 0005 f761  11 0005 bf21'),
      concat(SC, hex('09 f0'), SC, hex('67 64 00 1f'), SC, hex('68 ee'), SC, IDR),
    );
    const adaptation = concat(Uint8Array.of(183 - payload.length, 0x50), hex('0000 afc8 7e00'));
    const expected = concat(hex('47 4100 30'), adaptation, new Uint8Array(184 - adaptation.length - payload.length).fill(0xff), payload);
    expect(out).toEqual(expected);
  });

  test('PTS only when DTS equals it; audio PES bounded, video PES unbounded', () => {
    const muxer = new TsMuxer({ video: h264(), audio: aac });
    const v = readPes(readTsPackets(muxer.writeFrame(frame(1, 40, 40, false, avcc(SLICE)))), 0x100)[0]!;
    expect(v.bytes.subarray(0, 14)).toEqual(hex('00 00 01 e0 0000 80 80 05  21 0001 1c21'));
    expect(v.pesPacketLength).toBe(0);
    expect(v.randomAccess).toBe(false);
    expect(v.pcr90k).toBe(3600);
    const data = new Uint8Array(300).fill(7);
    const a = readPes(readTsPackets(muxer.writeFrame(frame(2, 23, 23, true, data))), 0x101)[0]!;
    expect(a.streamId).toBe(0xc0);
    expect(a.hasDts).toBe(false);
    expect(a.pts).toBe(2070);
    expect(a.pcr90k).toBeUndefined();
    expect(a.randomAccess).toBe(true);
    expect(a.pesPacketLength).toBe(a.bytes.length - 6);
    expect(a.es).toEqual(concat(encodeAdtsHeader(parseAudioSpecificConfig(ASC_LC_44100_STEREO), 300), data));
    expect(a.es.subarray(0, 7)).toEqual(hex('ff f1 50 80 26 7f fc'));
  });

  test('timestamps: 90 kHz conversion, rounding and 33-bit wrap', () => {
    expect(toMpegTicks(1000, 1000)).toBe(90000);
    expect(toMpegTicks(1, 48000)).toBe(2); // 1.875 rounds up
    expect(toMpegTicks(2 ** 33 + 5, 90000)).toBe(5);
    expect(toMpegTicks(-1, 1000)).toBe(2 ** 33 - 90);
    expect(toMpegTicks(95443718, 1000)).toBe(28); // 95443718 ms * 90 = 2^33 + 28
    expect(toMpegTicks(2 ** 52, 1000)).toBe((2 ** 52 * 90) % 2 ** 33); // exact for large inputs

    const muxer = new TsMuxer({ audio: mp3() });
    const wrapped = readTsPackets(muxer.writeFrame(frame(2, 95443718, 95443718, true, hex('ff fb 90 64'))));
    const pes = readPes(wrapped, 0x101)[0]!;
    expect(pes.bytes.subarray(9, 14)).toEqual(hex('21 0001 0039'));
    expect(pes.pcr90k).toBe(28);
    const video = new TsMuxer({ video: { ...h264(), timescale: 90000 } });
    const max = readPes(readTsPackets(video.writeFrame(frame(1, 2 ** 33 - 2, 2 ** 33 - 1, false, avcc(SLICE)))), 0x100)[0]!;
    expect(max.bytes.subarray(9, 19)).toEqual(hex('3f ffff ffff  1f ffff fffd'));
    expect([max.pts, max.dts]).toEqual([2 ** 33 - 1, 2 ** 33 - 2]);
  });

  test('continuity counters per PID continue across calls and wrap', () => {
    const muxer = new TsMuxer({ video: h264(), audio: aac });
    let last = new Map<number, number>();
    let videoPackets = 0;
    for (let i = 0; i < 60; i++) {
      if (i % 20 === 0) last = checkContinuity(readTsPackets(muxer.writeTables()), last);
      const v = readTsPackets(muxer.writeFrame(frame(1, i * 40, i * 40 + 80, i % 20 === 0, avcc(new Uint8Array(i * 37 + 1).fill(0x41)))));
      videoPackets += v.length;
      last = checkContinuity(v, last);
      last = checkContinuity(readTsPackets(muxer.writeFrame(frame(2, i * 23, i * 23, true, new Uint8Array(i * 5)))), last);
    }
    expect(videoPackets).toBeGreaterThan(32);
    expect(last.get(0x100)).toBe((videoPackets - 1) % 16);
  });

  test('every size fills whole 188-byte packets, stuffing in the adaptation field, and reassembles exactly', () => {
    const muxer = new TsMuxer({ video: h264(), audio: mp3() });
    const adaptationSizes = new Set<number>();
    for (let size = 0; size <= 800; size++) {
      const data = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
      const out = muxer.writeFrame(frame(2, size, size, true, data));
      expect(out.length % 188).toBe(0);
      const packets = readTsPackets(out);
      packets.forEach((p) => adaptationSizes.add(p.adaptationBytes));
      const pes = readPes(packets, 0x101);
      expect(pes.length).toBe(1);
      expect(pes[0]!.es).toEqual(data);
      expect(pes[0]!.pesPacketLength).toBe(pes[0]!.bytes.length - 6);

      const nal = concat(Uint8Array.of(0x41), data);
      const v = readPes(readTsPackets(muxer.writeFrame(frame(1, size, size, false, avcc(nal)))), 0x100)[0]!;
      expect(v.es).toEqual(concat(SC, hex('09 f0'), SC, nal));
    }
    // one byte of stuffing (adaptation_field_length 0), none, and long runs all happened
    expect(adaptationSizes.has(1)).toBe(true);
    expect(adaptationSizes.has(0)).toBe(true);
    expect(adaptationSizes.has(2)).toBe(true);
    expect(Math.max(...adaptationSizes)).toBeGreaterThan(150);
  });
});

describe('Annex B', () => {
  const esOf = (muxer: TsMuxer, f: MediaFrame) => readPes(readTsPackets(muxer.writeFrame(f)), 0x100)[0]!.es;

  test('H.264: AUD first, SPS/PPS from avcC on keyframes only, own AUDs dropped, own parameter sets not doubled', () => {
    const muxer = new TsMuxer({ video: h264() });
    const sei = hex('06 05 01 ff 80');
    expect(esOf(muxer, frame(1, 0, 0, true, avcc(sei, IDR)))).toEqual(
      concat(SC, hex('09 f0'), SC, hex('67 64 00 1f'), SC, hex('68 ee'), SC, sei, SC, IDR),
    );
    expect(esOf(muxer, frame(1, 40, 40, false, avcc(hex('09 10'), SLICE)))).toEqual(concat(SC, hex('09 f0'), SC, SLICE));
    const ownSps = hex('67 4d 00 28');
    const ownPps = hex('68 ce 3c 80');
    expect(esOf(muxer, frame(1, 80, 80, true, avcc(ownSps, ownPps, IDR)))).toEqual(
      concat(SC, hex('09 f0'), SC, ownSps, SC, ownPps, SC, IDR),
    );
  });

  test('H.264 with 1- and 2-byte NAL length prefixes', () => {
    for (const [bits, prefix] of [
      [0xfc, (n: Uint8Array) => Uint8Array.of(n.length)],
      [0xfd, (n: Uint8Array) => Uint8Array.of(n.length >> 8, n.length & 0xff)],
    ] as const) {
      const muxer = new TsMuxer({ video: h264(avcC(bits)) });
      const big = concat(Uint8Array.of(0x41), new Uint8Array(200).fill(3));
      const data = bits === 0xfc ? concat(prefix(IDR), IDR) : concat(prefix(IDR), IDR, prefix(big), big);
      const expected = concat(SC, hex('09 f0'), SC, hex('67 64 00 1f'), SC, hex('68 ee'), SC, IDR, ...(bits === 0xfc ? [] : [SC, big]));
      expect(esOf(muxer, frame(1, 0, 0, true, data))).toEqual(expected);
    }
  });

  test('H.265: AUD (type 35) first, VPS/SPS/PPS from hvcC on keyframes', () => {
    const muxer = new TsMuxer({ video: h265 });
    const idr = hex('26 01 af 00 11');
    const es = esOf(muxer, frame(1, 0, 0, true, avcc(idr)));
    const { vps, sps, pps } = parseHevcDecoderConfig(hvcC);
    expect(es.subarray(0, 7 + 4 + vps[0]!.length + 4 + sps[0]!.length + 4 + pps[0]!.length)).toEqual(
      concat(SC, hex('46 01 50'), SC, vps[0]!, SC, sps[0]!, SC, pps[0]!),
    );
    expect([...es.subarray(es.length - 9)]).toEqual([...SC, ...idr]);
    const nalTypes: number[] = [];
    for (let i = 0; i + 4 < es.length; i++) if (es[i] === 0 && es[i + 1] === 0 && es[i + 2] === 0 && es[i + 3] === 1) nalTypes.push((es[i + 4]! >> 1) & 0x3f);
    expect(nalTypes).toEqual([35, 32, 33, 34, 19]);
    const trail = hex('02 01 d0 09');
    expect(esOf(muxer, frame(1, 40, 40, false, avcc(trail)))).toEqual(concat(SC, hex('46 01 50'), SC, trail));
  });
});

describe('bad input', () => {
  const rejects = (fn: () => unknown, code?: ProtocolErrorCode) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      if (code !== undefined) expect((err as ProtocolError).code).toBe(code);
      return;
    }
    throw new Error('no ProtocolError');
  };

  test('garbage decoder configurations', () => {
    rejects(() => new TsMuxer({ video: h264(hex('00 01 02')) }));
    rejects(() => new TsMuxer({ video: h264(new Uint8Array(0)) }));
    rejects(() => new TsMuxer({ video: h264(hex('01 64 00 1f ff e1 00 40 67')) }));
    rejects(() => new TsMuxer({ video: { ...h265, config: hex('01 02 03 04') } }));
    rejects(() => new TsMuxer({ audio: { ...aac, config: hex('00 00') } }));
    rejects(() => new TsMuxer({ audio: { ...aac, config: hex('32 10') } }), 'unsupported'); // object type 6: no ADTS profile
  });

  test('unsupported codecs, mismatched kinds, bad timescale, no tracks, unknown frame track', () => {
    rejects(() => new TsMuxer({ audio: { ...aac, codec: 'flac' } }), 'unsupported');
    // Opus is muxable now (ts-opus.test.ts); an AudioSpecificConfig is no OpusHead
    rejects(() => new TsMuxer({ audio: { ...aac, codec: 'opus' } }), 'truncated');
    rejects(() => new TsMuxer({ video: { ...h264(), codec: 'av1' } }), 'unsupported');
    rejects(() => new TsMuxer({ video: aac }), 'unsupported');
    rejects(() => new TsMuxer({ video: { ...h264(), timescale: 0 } }), 'malformed');
    rejects(() => new TsMuxer({}));
    rejects(() => new TsMuxer({ video: h264(), audio: { ...aac, id: 1 } }));
    rejects(() => new TsMuxer({ video: h264() }).writeFrame(frame(9, 0, 0, true, avcc(IDR))), 'bad-state');
  });

  test('cut or overlong NAL lengths, oversize audio', () => {
    const muxer = new TsMuxer({ video: h264(), audio: mp3() });
    rejects(() => muxer.writeFrame(frame(1, 0, 0, true, hex('00 00 00 09 65 88'))), 'malformed');
    rejects(() => muxer.writeFrame(frame(1, 0, 0, true, concat(avcc(IDR), hex('00 00')))), 'truncated');
    rejects(() => muxer.writeFrame(frame(2, 0, 0, true, new Uint8Array(70000))), 'too-large');
    rejects(() => new TsMuxer({ audio: aac }).writeFrame(frame(2, 0, 0, true, new Uint8Array(9000))), 'too-large');
  });

  test('random frame bytes give packets or a ProtocolError, never anything else', () => {
    const muxer = new TsMuxer({ video: h264() });
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
    for (let i = 0; i < 500; i++) {
      const data = new Uint8Array(i % 64).map(random);
      try {
        expect(muxer.writeFrame(frame(1, i, i, i % 7 === 0, data)).length % 188).toBe(0);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    }
  });

  test('isTsSupported', () => {
    expect([h264(), h265, aac, mp3()].every(isTsSupported)).toBe(true);
    expect(isTsSupported({ ...aac, codec: 'opus' })).toBe(false);
    expect(isTsSupported({ ...h264(), codec: 'vp9' })).toBe(false);
    expect(isTsSupported({ ...aac, kind: 'video' })).toBe(false);
  });
});
