import { describe, expect, test } from 'bun:test';
import { hevcCodecString, parseHevcDecoderConfig, parseHevcSps } from '../../src/media/h265.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { hex } from '../flv/hex.ts';

// hvcC written by ffmpeg 5.1 / libx265 3.5 (x265 SEI array dropped): testsrc 1280x720 at 50 fps, Main, level 4.
const hvcC720 = hex(
  '01016000000090000000000078f000fcfdf8f800000f03200001001840010c01ffff016000000300900000030000030078959809210001002b420101016000000300900000030000030078a00280802d165959a4932bc05a02000003000200000300641022000100074401c172b46240',
);
// Same for 854x480 yuv420p10le at 24 fps, Main 10, level 3 (conformance window crops 856 -> 854).
const hvcC480 = hex(
  '0102200000009000000000005af000fcfdfafa00000f03200001001840010c01ffff02200000030090000003000003005a959809210001002c42010102200000030090000003000003005aa006b201e1d6d96566924caf016808000003000800000300c04022000100074401c172b46240',
);

describe('parseHevcDecoderConfig', () => {
  test('720p Main record', () => {
    const config = parseHevcDecoderConfig(hvcC720);
    expect(config).toMatchObject({
      generalProfileSpace: 0,
      generalTierFlag: false,
      generalProfileIdc: 1,
      generalProfileCompatibilityFlags: 0x60000000,
      generalLevelIdc: 120,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      lengthSizeBytes: 4,
    });
    expect(config.arrays.map((a) => [a.nalUnitType, a.nalUnits.length])).toEqual([
      [32, 1],
      [33, 1],
      [34, 1],
    ]);
    expect(config.vps[0]!.length).toBe(24);
    expect(config.sps[0]!.length).toBe(43);
    expect(config.pps[0]).toEqual(hex('4401c172b46240'));
    expect(hevcCodecString(config)).toBe('hvc1.1.6.L120.90');
  });

  test('SPS gives 1280x720', () => {
    const sps = parseHevcSps(parseHevcDecoderConfig(hvcC720).sps[0]!);
    expect(sps).toEqual({
      generalProfileIdc: 1,
      generalLevelIdc: 120,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      width: 1280,
      height: 720,
    });
  });

  test('Main 10 SPS with conformance window gives 854x480', () => {
    const config = parseHevcDecoderConfig(hvcC480);
    expect(config.generalProfileIdc).toBe(2);
    expect(config.bitDepthLuma).toBe(10);
    expect(hevcCodecString(config)).toBe('hvc1.2.4.L90.90');
    const sps = parseHevcSps(config.sps[0]!);
    expect(sps).toMatchObject({ generalProfileIdc: 2, bitDepthLuma: 10, width: 854, height: 480 });
  });

  test('truncated and bad records throw ProtocolError', () => {
    expect(() => parseHevcDecoderConfig(hvcC720.subarray(0, 20))).toThrow(ProtocolError);
    expect(() => parseHevcDecoderConfig(hvcC720.subarray(0, 40))).toThrow(ProtocolError);
    expect(() => parseHevcSps(hex('40 01 0c 01'))).toThrow(ProtocolError);
    expect(() => parseHevcSps(parseHevcDecoderConfig(hvcC720).sps[0]!.subarray(0, 20))).toThrow(ProtocolError);
  });
});
