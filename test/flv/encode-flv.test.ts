import { describe, expect, test } from 'bun:test';
import { encodeFlvHeader, encodeFlvTag } from '../../src/flv/encode-flv.ts';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { hex } from './hex.ts';

describe('encodeFlvHeader', () => {
  test('audio and video', () => {
    expect(encodeFlvHeader({ hasAudio: true, hasVideo: true })).toEqual(hex('46 4c 56 01 05 00 00 00 09 00 00 00 00'));
  });
  test('video only', () => {
    expect(encodeFlvHeader({ hasAudio: false, hasVideo: true })).toEqual(hex('46 4c 56 01 01 00 00 00 09 00 00 00 00'));
  });
  test('audio only', () => {
    expect(encodeFlvHeader({ hasAudio: true, hasVideo: false })).toEqual(hex('46 4c 56 01 04 00 00 00 09 00 00 00 00'));
  });
});

describe('encodeFlvTag', () => {
  test('video tag exact bytes', () => {
    const out = encodeFlvTag(FlvTagType.Video, 0x12345678, hex('17 01 00 00 00 aa'));
    expect(out).toEqual(hex('09 000006 345678 12 000000 170100000 0aa 00000011'));
  });
  test('audio tag at time 0 with empty body', () => {
    expect(encodeFlvTag(FlvTagType.Audio, 0, hex(''))).toEqual(hex('08 000000 000000 00 000000 0000000b'));
  });
  test('script tag', () => {
    expect(encodeFlvTag(FlvTagType.Script, 1000, hex('02 00 01 61'))).toEqual(
      hex('12 000004 0003e8 00 000000 02000161 0000000f'),
    );
  });
  test('timestamp is taken modulo 2^32', () => {
    expect(encodeFlvTag(FlvTagType.Audio, 2 ** 32 + 5, hex('af')).subarray(4, 8)).toEqual(hex('000005 00'));
    expect(encodeFlvTag(FlvTagType.Audio, -1, hex('af')).subarray(4, 8)).toEqual(hex('ffffff ff'));
    expect(encodeFlvTag(FlvTagType.Audio, 0xff000000, hex('af')).subarray(4, 8)).toEqual(hex('000000 ff'));
  });
  test('body is copied, not aliased', () => {
    const body = hex('af 01 02');
    const out = encodeFlvTag(FlvTagType.Audio, 0, body);
    body[2] = 9;
    expect(out[13]).toBe(2);
  });
  test('large body: sizes in 24 bits and PreviousTagSize in 32 bits', () => {
    const body = new Uint8Array(0x123456);
    const out = encodeFlvTag(FlvTagType.Video, 0, body);
    expect(out.length).toBe(11 + 0x123456 + 4);
    expect(out.subarray(1, 4)).toEqual(hex('123456'));
    expect(out.subarray(out.length - 4)).toEqual(hex('00123461'));
  });
  test('body over UI24 is refused', () => {
    expect(() => encodeFlvTag(FlvTagType.Video, 0, new Uint8Array(0x1000000))).toThrow(ProtocolError);
  });
});
