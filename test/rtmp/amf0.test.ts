import { describe, expect, test } from 'bun:test';
import { decodeAmf0, decodeAmf0Value, encodeAmf0, encodeAmf0EcmaArray, type Amf0Value } from '../../src/rtmp/amf0.ts';
import { ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { expectProtocolError, hex } from './helpers.ts';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('encodeAmf0 exact bytes', () => {
  const cases: [string, Amf0Value[], string][] = [
    ['number 1.0', [1], '00 3ff0000000000000'],
    ['number 0', [0], '00 0000000000000000'],
    ['true', [true], '01 01'],
    ['false', [false], '01 00'],
    ['string', ['connect'], '02 0007 636f6e6e656374'],
    ['empty string', [''], '02 0000'],
    ['null', [null], '05'],
    ['undefined', [undefined], '06'],
    ['object', [{ a: 1 }], '03 0001 61 00 3ff0000000000000 0000 09'],
    ['empty object', [{}], '03 0000 09'],
    ['strict array', [[true, null]], '0a 00000002 0101 05'],
    ['date', [new Date(0)], '0b 0000000000000000 0000'],
    ['command', ['_result', 1, null], '02 0007 5f726573756c74 00 3ff0000000000000 05'],
  ];
  for (const [name, values, bytes] of cases) {
    test(name, () => {
      expect(toHex(encodeAmf0(values))).toBe(toHex(hex(bytes)));
      expect(decodeAmf0(hex(bytes))).toEqual(values);
    });
  }

  test('long string marker above 65535 bytes', () => {
    const long = 'x'.repeat(70000);
    const bytes = encodeAmf0([long]);
    expect(bytes[0]).toBe(0x0c);
    expect(toHex(bytes.subarray(1, 5))).toBe('00011170');
    expect(decodeAmf0(bytes)).toEqual([long]);
  });

  test('utf-8 strings', () => {
    const bytes = encodeAmf0(['héllo ✓']);
    expect(decodeAmf0(bytes)).toEqual(['héllo ✓']);
  });
});

describe('decodeAmf0 table', () => {
  test('ECMA array decodes as object, count ignored', () => {
    expect(decodeAmf0(hex('08 00000005 0001 61 0101 0000 09'))).toEqual([{ a: true }]);
    expect(decodeAmf0(encodeAmf0EcmaArray({ duration: 0, width: 320 }))).toEqual([{ duration: 0, width: 320 }]);
  });
  test('typed object decodes as object', () => {
    expect(decodeAmf0(hex('10 0003 466f6f 0001 62 05 0000 09'))).toEqual([{ b: null }]);
  });
  test('unsupported marker decodes as undefined, xml as string', () => {
    expect(decodeAmf0(hex('0d'))).toEqual([undefined]);
    expect(decodeAmf0(hex('0f 00000002 3c61'))).toEqual(['<a']);
  });
  test('long string', () => {
    expect(decodeAmf0(hex('0c 00000002 6869'))).toEqual(['hi']);
  });
  test('date keeps milliseconds', () => {
    const d = new Date(1700000000123);
    expect((decodeAmf0(encodeAmf0([d]))[0] as Date).getTime()).toBe(1700000000123);
  });
  test('nested round trip', () => {
    const value: Amf0Value[] = [
      'onMetaData',
      { a: [1, 'two', { three: [null, undefined, false] }], b: { c: { d: 'e' } }, '': 5 },
    ];
    expect(decodeAmf0(encodeAmf0(value))).toEqual(value);
  });
  test('__proto__ key stays an own property', () => {
    const bytes = hex('03 0009 5f5f70726f746f5f5f 0101 0000 09');
    const [obj] = decodeAmf0(bytes) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(['__proto__']);
  });
  test('decodeAmf0Value returns the end offset', () => {
    const bytes = encodeAmf0(['@setDataFrame', 'onMetaData']);
    const first = decodeAmf0Value(bytes, 0);
    expect(first).toEqual({ value: '@setDataFrame', end: 16 });
    expect(decodeAmf0Value(bytes, first.end).value).toBe('onMetaData');
  });
});

describe('decodeAmf0 errors', () => {
  const truncated = ['00 3ff0', '01', '02 0005 6162', '03 0001 61', '03 0001 61 05', '0a 00000003 05', '0b 00', '0c 0000ffff 00'];
  for (const bytes of truncated) {
    test(`truncated ${bytes}`, () => {
      expectProtocolError(() => decodeAmf0(hex(bytes)), ProtocolErrorCode.Truncated);
    });
  }
  test('huge strict array count does not allocate', () => {
    expectProtocolError(() => decodeAmf0(hex('0a ffffffff 05')), ProtocolErrorCode.Truncated);
  });
  test('references, AVM+ and reserved markers are unsupported', () => {
    for (const b of ['07 0001', '11 00', '04', '0e']) expectProtocolError(() => decodeAmf0(hex(b)), ProtocolErrorCode.Unsupported);
  });
  test('unknown marker and stray object end are malformed', () => {
    expectProtocolError(() => decodeAmf0(hex('12')), ProtocolErrorCode.Malformed);
    expectProtocolError(() => decodeAmf0(hex('09')), ProtocolErrorCode.Malformed);
  });
  test('deep nesting -> TooDeep', () => {
    const deep = new Uint8Array(100_000).fill(0x0a); // strict arrays of one element, nested
    for (let i = 0; i < deep.length; i += 5) {
      deep.set([0x0a, 0, 0, 0, 1], i);
    }
    expectProtocolError(() => decodeAmf0(deep), ProtocolErrorCode.TooDeep);
    let nested: Amf0Value = 1;
    for (let i = 0; i < 40; i++) nested = { n: nested };
    const bytes = encodeAmf0([nested]);
    expectProtocolError(() => decodeAmf0(bytes), ProtocolErrorCode.TooDeep);
    expect(decodeAmf0(bytes, { maxDepth: 64 })).toEqual([nested]);
  });
});
