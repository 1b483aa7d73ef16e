import { describe, expect, test } from 'bun:test';
import { BitReader, removeEmulationPrevention } from '../../src/media/bit-reader.ts';
import { ProtocolError, ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { hex } from '../flv/hex.ts';

describe('BitReader', () => {
  test('reads bits MSB first across bytes', () => {
    const r = new BitReader(hex('a5 ff 01'));
    expect(r.readBits(1)).toBe(1);
    expect(r.readBits(3)).toBe(2);
    expect(r.readBits(8)).toBe(0x5f);
    expect(r.readBits(12)).toBe(0xf01);
    expect(r.bitsLeft).toBe(0);
  });

  test('reads 32 bits as unsigned', () => {
    expect(new BitReader(hex('ff ff ff fe')).readBits(32)).toBe(0xfffffffe);
  });

  test('unsigned and signed Exp-Golomb', () => {
    // codes: 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3, 00111 -> 6, 0001000 -> 7
    const r = new BitReader(hex('a6 43 88'));
    expect([r.readUe(), r.readUe(), r.readUe(), r.readUe(), r.readUe(), r.readUe()]).toEqual([0, 1, 2, 3, 6, 7]);
    const s = new BitReader(hex('a6 43 88'));
    expect([s.readSe(), s.readSe(), s.readSe(), s.readSe(), s.readSe(), s.readSe()]).toEqual([0, 1, -1, 2, -3, 4]);
  });

  test('largest 32-bit Exp-Golomb value', () => {
    // 31 zeros, a one, then 31 ones: 2^31 - 1 + 2^31 - 1
    const r = new BitReader(hex('00 00 00 01 ff ff ff fe'));
    expect(r.readUe()).toBe(2 ** 32 - 2);
  });

  test('over-long Exp-Golomb is malformed, running out is truncated', () => {
    const long = new BitReader(hex('00 00 00 00 ff'));
    expect(() => long.readUe()).toThrow(ProtocolError);
    let thrown: unknown = null;
    try {
      new BitReader(hex('00')).readUe();
    } catch (err) {
      thrown = err;
    }
    // outside the catch: a reader that returns instead of throwing fails here
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect((thrown as ProtocolError).code).toBe(ProtocolErrorCode.Truncated);
    expect(() => new BitReader(hex('ff')).readBits(9)).toThrow(ProtocolError);
  });

  test('readBytes returns views and requires alignment', () => {
    const bytes = hex('01 02 03 04');
    const r = new BitReader(bytes);
    r.readBits(8);
    const view = r.readBytes(2);
    expect(view).toEqual(hex('02 03'));
    expect(view.buffer).toBe(bytes.buffer);
    r.readBits(1);
    expect(() => r.readBytes(1)).toThrow(ProtocolError);
  });
});

describe('removeEmulationPrevention', () => {
  test('returns the same bytes when there is nothing to remove', () => {
    const nal = hex('67 64 00 1f ac');
    expect(removeEmulationPrevention(nal)).toBe(nal);
  });
  test('removes each 03 after two zeros', () => {
    expect(removeEmulationPrevention(hex('00 00 03 01 00 00 03 00 00 03 03'))).toEqual(hex('00 00 01 00 00 00 00 03'));
  });
  test('keeps 03 that does not follow two zeros', () => {
    expect(removeEmulationPrevention(hex('00 03 00 00 03'))).toEqual(hex('00 03 00 00'));
  });
});
