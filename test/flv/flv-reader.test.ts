import { describe, expect, test } from 'bun:test';
import { encodeFlvHeader, encodeFlvTag } from '../../src/flv/encode-flv.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import type { FlvTag } from '../../src/flv/flv-reader.ts';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import { ProtocolError, ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { concat, hex } from './hex.ts';
import { expectByteByByte, expectEveryTwoPieceSplit } from '../split-input.ts';

const tags: FlvTag[] = [
  { tagType: FlvTagType.Script, timestampMs: 0, body: hex('02 00 0a 6f 6e 4d 65 74 61 44 61 74 61 05') },
  { tagType: FlvTagType.Video, timestampMs: 0, body: hex('17 00 00 00 00 01 64 00 1f ff e1 00 00 01 00 00') },
  { tagType: FlvTagType.Audio, timestampMs: 0, body: hex('af 00 12 10') },
  { tagType: FlvTagType.Video, timestampMs: 40, body: hex('17 01 00 00 50 00 00 00 02 65 88') },
  { tagType: FlvTagType.Audio, timestampMs: 23, body: hex('af 01 21 10') },
  { tagType: FlvTagType.Audio, timestampMs: 0x01234567, body: hex('') },
  { tagType: FlvTagType.Video, timestampMs: 0xfffffff0, body: new Uint8Array(300).fill(7) },
];

function encodeFile(list: FlvTag[]): Uint8Array {
  return concat(
    encodeFlvHeader({ hasAudio: true, hasVideo: true }),
    ...list.map((t) => encodeFlvTag(t.tagType as FlvTagType, t.timestampMs, t.body)),
  );
}

function thrown(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('FlvReader', () => {
  const file = encodeFile(tags);

  test('round trip in one push', () => {
    expect(new FlvReader().push(file)).toEqual(tags);
  });

  test('split at every byte gives the same tags', () => {
    expectByteByByte(new FlvReader(), file, tags);
  });

  test('every two-piece split gives the same tags', () => {
    expectEveryTwoPieceSplit(() => new FlvReader(), file, tags);
  });

  test('bodies are independent copies', () => {
    const input = file.slice();
    const out = new FlvReader().push(input);
    input.fill(0);
    expect(out).toEqual(tags);
    expect(out[1]!.body.buffer).not.toBe(input.buffer);
  });

  test('a DataOffset larger than 9 is skipped', () => {
    const header = hex('46 4c 56 01 05 00 00 00 0c aa bb cc 00 00 00 00');
    const bytes = concat(header, encodeFlvTag(FlvTagType.Audio, 5, hex('af 01 00')));
    expect(new FlvReader().push(bytes)).toEqual([{ tagType: 8, timestampMs: 5, body: hex('af 01 00') }]);
  });

  test('bad signature fails on the first byte', () => {
    expect(thrown(() => new FlvReader().push(hex('47'))).code).toBe(ProtocolErrorCode.Malformed);
  });

  test('non-zero PreviousTagSize0 is malformed', () => {
    const bytes = hex('46 4c 56 01 05 00 00 00 09 00 00 00 01');
    expect(thrown(() => new FlvReader().push(bytes)).code).toBe(ProtocolErrorCode.Malformed);
  });

  test('PreviousTagSize mismatch is malformed', () => {
    const bytes = file.slice();
    const headerAndFirst = 13 + 11 + tags[0]!.body.length;
    bytes[headerAndFirst + 3] = bytes[headerAndFirst + 3]! ^ 1;
    expect(thrown(() => new FlvReader().push(bytes)).code).toBe(ProtocolErrorCode.Malformed);
  });

  test('declared tag size over the limit fails before the body arrives', () => {
    const reader = new FlvReader({ maxTagSizeBytes: 1000 });
    reader.push(encodeFlvHeader({ hasAudio: false, hasVideo: true }));
    expect(thrown(() => reader.push(hex('09 00 03 e9 00 00 00 00 00 00 00'))).code).toBe(ProtocolErrorCode.TooLarge);
  });

  test('a tag of exactly the limit is accepted', () => {
    const reader = new FlvReader({ maxTagSizeBytes: 1000 });
    const bytes = concat(encodeFlvHeader({ hasAudio: false, hasVideo: true }), encodeFlvTag(9, 1, new Uint8Array(1000)));
    expect(reader.push(bytes).length).toBe(1);
  });

  test('encrypted (filter bit) tags are refused', () => {
    const bytes = concat(encodeFlvHeader({ hasAudio: true, hasVideo: false }), encodeFlvTag(FlvTagType.Audio, 0, hex('af')));
    bytes[13] = 0x28;
    expect(thrown(() => new FlvReader().push(bytes)).code).toBe(ProtocolErrorCode.Unsupported);
  });

  test('incomplete input yields nothing yet and no error', () => {
    const reader = new FlvReader();
    expect(reader.push(file.subarray(0, file.length - 1))).toEqual(tags.slice(0, -1));
    expect(reader.push(file.subarray(file.length - 1))).toEqual(tags.slice(-1));
  });
});
