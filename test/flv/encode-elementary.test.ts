// FLV tag body encoders on hand-made bytes: Annex B splitting, avcC, AVC NALU bodies, ADTS -> ASC + raw frames, MP3.
import { describe, expect, test } from 'bun:test';
import { AacTagEncoder, ascFromAdts, parseAdtsFrame } from '../../src/flv/encode-aac.ts';
import { splitAnnexB } from '../../src/flv/encode-annexb.ts';
import { AvcTagEncoder, encodeAvcDecoderConfig } from '../../src/flv/encode-avc.ts';
import { Mp3TagEncoder, parseMpegAudioHeader } from '../../src/flv/encode-mp3.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import { encodeAdtsHeader, parseAudioSpecificConfig } from '../../src/media/aac.ts';
import { parseAvcDecoderConfig } from '../../src/media/h264.ts';

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const IDR = Uint8Array.of(0x65, 0x88, 0x84, 0x00, 0x33);
const SLICE = Uint8Array.of(0x41, 0x9a, 0x02);
const AUD = Uint8Array.of(0x09, 0xf0);
const annexB = (...nals: Uint8Array[]) => Uint8Array.from(nals.flatMap((n, i) => [...(i % 2 ? [0, 0, 1] : [0, 0, 0, 1]), ...n]));

describe('Annex B', () => {
  test('splits on 3- and 4-byte start codes and drops trailing zeros', () => {
    const nals = splitAnnexB(Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 0, 1, 0x68, 0xce));
    expect(nals.map((n) => [...n])).toEqual([[0x09, 0xf0], [0x67, 0x42], [0x68, 0xce]]);
    expect(splitAnnexB(Uint8Array.of(1, 2, 3))).toEqual([]);
  });
});

describe('AvcTagEncoder', () => {
  test('avcC round-trips through our parser', () => {
    const avcC = parseAvcDecoderConfig(encodeAvcDecoderConfig([SPS], [PPS]));
    expect(avcC).toMatchObject({ profile: 0x42, profileCompatibility: 0xc0, level: 0x1e, lengthSizeBytes: 4 });
    expect([...avcC.sps[0]!]).toEqual([...SPS]);
    expect([...avcC.pps[0]!]).toEqual([...PPS]);
  });

  test('drops frames before the first keyframe, then a sequence header and length-prefixed NALs with composition time', () => {
    const enc = new AvcTagEncoder();
    expect(enc.encode(annexB(AUD, SLICE), 0, 0)).toEqual([]);
    const key = enc.encode(annexB(AUD, SPS, PPS, IDR), 9000, 12600);
    expect(key.length).toBe(2);
    expect(key[0]!.timestampMs).toBe(100);
    expect(parseVideoTag(key[0]!.body).kind).toBe('sequence-header');
    const frame = parseVideoTag(key[1]!.body);
    if (frame.kind !== 'frame') throw new Error(frame.kind);
    expect(frame.keyframe).toBe(true);
    expect(frame.compositionTimeMs).toBe(40);
    expect([...frame.data]).toEqual([0, 0, 0, IDR.length, ...IDR]); // AUD, SPS, PPS removed
    const next = enc.encode(annexB(AUD, SLICE), 12600, 12600);
    expect(next.length).toBe(1);
    const inter = parseVideoTag(next[0]!.body);
    expect(inter.kind === 'frame' && !inter.keyframe && inter.compositionTimeMs === 0).toBe(true);
    // same parameter sets on the next keyframe: no new sequence header
    expect(enc.encode(annexB(SPS, PPS, IDR), 16200, 16200).length).toBe(1);
  });
});

describe('AacTagEncoder', () => {
  const asc = parseAudioSpecificConfig(Uint8Array.of(0x12, 0x10)); // AAC LC, 44.1 kHz, stereo
  const frame = (n: number) => {
    const raw = new Uint8Array(n).fill(n);
    return Uint8Array.from([...encodeAdtsHeader(asc, n), ...raw]);
  };

  test('the ASC comes from the ADTS header', () => {
    const f = parseAdtsFrame(frame(10), 0)!;
    expect([...ascFromAdts(f)]).toEqual([0x12, 0x10]);
    expect(f.raw.length).toBe(10);
  });

  test('one tag per ADTS frame, 1024 samples apart, a frame cut by the PES end finished by the next', () => {
    const enc = new AacTagEncoder();
    const pes1 = Uint8Array.from([...frame(10), ...frame(11), ...frame(12).subarray(0, 5)]);
    const pes2 = frame(12).subarray(5);
    const tags = [...enc.encode(pes1, 90000), ...enc.encode(Uint8Array.from([...pes2, ...frame(13)]), 90000 + 2 * 2090)];
    const infos = tags.map((t) => parseAudioTag(t.body));
    expect(infos[0]!.kind).toBe('sequence-header');
    expect(infos.slice(1).map((i) => (i.kind === 'frame' ? i.data.length : -1))).toEqual([10, 11, 12, 13]);
    expect(tags.map((t) => t.timestampMs)).toEqual([1000, 1000, 1023, 1046, 1070]);
  });
});

describe('Mp3TagEncoder', () => {
  test('splits MPEG-1 layer III frames and times them by 1152 samples', () => {
    const header = Uint8Array.of(0xff, 0xfb, 0x90, 0x64); // MPEG-1 L3, 128 kbit/s, 44.1 kHz, joint stereo
    const info = parseMpegAudioHeader(header, 0)!;
    expect(info).toEqual({ sampleRateHz: 44100, channels: 2, samples: 1152, frameBytes: 417 });
    const one = new Uint8Array(417);
    one.set(header);
    const tags = new Mp3TagEncoder().encode(Uint8Array.from([...one, ...one]), 0);
    expect(tags.map((t) => t.timestampMs)).toEqual([0, 26]);
    expect(tags.map((t) => t.body[0])).toEqual([0x2f, 0x2f]);
    const parsed = parseAudioTag(tags[0]!.body);
    expect(parsed.kind === 'frame' && parsed.codec).toBe('mp3');
  });
});
