import { describe, expect, test } from 'bun:test';
import { aacCodecString, encodeAdtsHeader, parseAudioSpecificConfig } from '../../src/media/aac.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { hex } from '../flv/hex.ts';

describe('parseAudioSpecificConfig', () => {
  test('AAC LC 44.1 kHz stereo', () => {
    expect(parseAudioSpecificConfig(hex('12 10'))).toEqual({
      objectType: 2,
      coreObjectType: 2,
      samplingFrequencyIndex: 4,
      sampleRateHz: 44100,
      channelConfiguration: 2,
      channels: 2,
    });
  });
  // The tests here are alike in shape: each parses its own AudioSpecificConfig bytes and pins the fields they decide.
  test('AAC LC 48 kHz mono', () => {
    expect(parseAudioSpecificConfig(hex('11 88'))).toMatchObject({ objectType: 2, sampleRateHz: 48000, channels: 1 });
  });
  test('7.1 channel configuration gives 8 channels', () => {
    expect(parseAudioSpecificConfig(hex('11 b8'))).toMatchObject({ channelConfiguration: 7, channels: 8 });
  });
  test('explicit HE-AAC (SBR): 24 kHz core, 48 kHz output', () => {
    // objectType 5, index 6 (24000), channels 2, extension index 3 (48000), core objectType 2
    expect(parseAudioSpecificConfig(hex('2b 11 88 00'))).toMatchObject({
      objectType: 5,
      coreObjectType: 2,
      sampleRateHz: 24000,
      extensionSampleRateHz: 48000,
      channels: 2,
    });
  });
  test('explicit sampling rate', () => {
    // objectType 2, index 15, rate 0x00bb80 (48000), channels 1
    expect(parseAudioSpecificConfig(hex('17 80 5d c0 08'))).toMatchObject({ sampleRateHz: 48000, channels: 1 });
  });
  test('escaped object type 42 (USAC)', () => {
    // 11111 001010 0100 0010 -> 32 + 10
    expect(parseAudioSpecificConfig(hex('f9 48 40'))).toMatchObject({ objectType: 42, sampleRateHz: 44100, channels: 2 });
  });
  test('channel configuration 0 counts the program config element', () => {
    // LC, 48 kHz, config 0; GASpecificConfig 000; PCE: tag 0, profile 1, index 3, 1 front, 0 side, 1 back, 1 lfe,
    // 0 assoc, 0 cc, no mixdowns; front CPE, back SCE -> 2 + 1 + 1 = 4
    const asc = hex('11 80 04 c4 05 00 20 00');
    expect(parseAudioSpecificConfig(asc)).toMatchObject({ channelConfiguration: 0, channels: 4 });
  });
  test('bad configs throw ProtocolError', () => {
    expect(() => parseAudioSpecificConfig(hex('12'))).toThrow(ProtocolError);
    expect(() => parseAudioSpecificConfig(hex('00 00'))).toThrow(ProtocolError);
    expect(() => parseAudioSpecificConfig(hex('16 90'))).toThrow(ProtocolError); // index 13 reserved
  });
  test('codec string', () => {
    expect(aacCodecString(parseAudioSpecificConfig(hex('12 10')))).toBe('mp4a.40.2');
  });
});

describe('encodeAdtsHeader', () => {
  test('LC 44.1 kHz stereo, 100-byte frame', () => {
    expect(encodeAdtsHeader(parseAudioSpecificConfig(hex('12 10')), 100)).toEqual(hex('ff f1 50 80 0d 7f fc'));
  });
  test('HE-AAC uses the core object type and rate', () => {
    expect(encodeAdtsHeader(parseAudioSpecificConfig(hex('2b 11 88 00')), 10)).toEqual(hex('ff f1 58 80 02 3f fc'));
  });
});
