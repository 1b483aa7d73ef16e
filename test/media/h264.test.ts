import { describe, expect, test } from 'bun:test';
import { avcCodecString, parseAvcDecoderConfig, parseH264Sps } from '../../src/media/h264.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { hex } from '../flv/hex.ts';

// avcC written by ffmpeg 5.1 / libx264 for testsrc 1920x1080 yuv420p at 30000/1001 fps (High, level 4.0).
const avcC1080 = hex(
  '01640028ffe1001967640028acd940780227e5c04400000fa40003a9803c60c65801000668ebe3cb22c0fdf8f800',
);

describe('parseAvcDecoderConfig', () => {
  test('ffmpeg 1080p record', () => {
    const config = parseAvcDecoderConfig(avcC1080);
    expect(config.profile).toBe(100);
    expect(config.profileCompatibility).toBe(0);
    expect(config.level).toBe(40);
    expect(config.lengthSizeBytes).toBe(4);
    expect(config.sps).toEqual([hex('67640028acd940780227e5c04400000fa40003a9803c60c658')]);
    expect(config.pps).toEqual([hex('68ebe3cb22c0')]);
    expect(config.sps[0]!.buffer).toBe(avcC1080.buffer);
    expect(avcCodecString(config)).toBe('avc1.640028');
  });

  test('truncated and bad records throw ProtocolError', () => {
    expect(() => parseAvcDecoderConfig(hex('01 64 00'))).toThrow(ProtocolError);
    expect(() => parseAvcDecoderConfig(hex('01 64 00 1f ff e1 00 10 67'))).toThrow(ProtocolError);
    expect(() => parseAvcDecoderConfig(hex('02 64 00 1f ff e0 00'))).toThrow(ProtocolError);
  });
});

// Alike in shape to h265.test.ts's SPS test: each pins its own parser's fields on its own sample; kept apart because the fields differ.
describe('parseH264Sps', () => {
  test('1080p High with cropping, emulation prevention and VUI timing', () => {
    const sps = parseH264Sps(parseAvcDecoderConfig(avcC1080).sps[0]!);
    expect(sps).toMatchObject({
      profileIdc: 100,
      levelIdc: 40,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      width: 1920,
      height: 1080,
      frameMbsOnly: true,
      sarWidth: 1,
      sarHeight: 1,
    });
    expect(sps.frameRate).toBeCloseTo(30000 / 1001, 6);
  });

  test('Baseline SPS without VUI', () => {
    // profile 66, level 30, 640x480 (40x30 MBs), no cropping, no VUI
    const sps = parseH264Sps(hex('67 42 c0 1e da 02 80 f6 c0 44'));
    expect(sps).toMatchObject({ profileIdc: 66, levelIdc: 30, width: 640, height: 480, chromaFormatIdc: 1 });
    expect(sps.frameRate).toBeUndefined();
  });

  test('not an SPS, or cut short', () => {
    expect(() => parseH264Sps(hex('68 ee 3c 80'))).toThrow(ProtocolError);
    expect(() => parseH264Sps(hex('67 64 00'))).toThrow(ProtocolError);
  });
});
