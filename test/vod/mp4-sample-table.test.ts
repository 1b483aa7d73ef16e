// parseSampleTable on hand-built tables: 64-bit chunk offsets (co64), several stsc runs, a uniform
// sample size, stss and signed ctts offsets; and tables that disagree with each other.
import { describe, expect, test } from 'bun:test';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { readBoxHeader } from '../../src/vod/mp4-box.ts';
import { parseSampleTable } from '../../src/vod/mp4-sample-table.ts';

const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u64 = (n: number): number[] => [...u32(Math.floor(n / 2 ** 32)), ...u32(n >>> 0)];
const box = (type: string, ...payload: number[][]): number[] => {
  const body = payload.flat();
  return [...u32(8 + body.length), ...[...type].map((c) => c.charCodeAt(0)), ...body];
};
const full = (type: string, ...payload: number[][]): number[] => box(type, [0, 0, 0, 0], ...payload);

type Tables = { stts?: number[][]; ctts?: number[][]; stss?: number[]; stsz?: { uniform: number; count: number; sizes?: number[] }; stsc?: number[][]; co64?: number[] };

function stbl(t: Tables): Uint8Array {
  const stts = t.stts ?? [[6, 100]];
  const stsz = t.stsz ?? { uniform: 0, count: 6, sizes: [10, 20, 30, 40, 50, 60] };
  const stsc = t.stsc ?? [[1, 2, 1], [2, 1, 1]]; // chunk 1: 2 samples; chunks 2..: 1 sample each
  const co64 = t.co64 ?? [5 * 2 ** 32, 5 * 2 ** 32 + 1000, 5 * 2 ** 32 + 2000, 5 * 2 ** 32 + 3000, 5 * 2 ** 32 + 4000];
  const boxes = [
    full('stts', u32(stts.length), ...stts.map(([n, d]) => [...u32(n!), ...u32(d!)])),
    ...(t.ctts ? [box('ctts', [1, 0, 0, 0], u32(t.ctts.length), ...t.ctts.map(([n, o]) => [...u32(n!), ...u32(o! >>> 0)]))] : []),
    ...(t.stss ? [full('stss', u32(t.stss.length), ...t.stss.map(u32))] : []),
    full('stsz', u32(stsz.uniform), u32(stsz.count), ...(stsz.sizes ?? []).map(u32)),
    full('stsc', u32(stsc.length), ...stsc.map((e) => e.flatMap(u32))),
    full('co64', u32(co64.length), ...co64.map(u64)),
  ];
  return new Uint8Array(box('stbl', ...boxes));
}

const parse = (bytes: Uint8Array, fileSize = 6 * 2 ** 32) => parseSampleTable(bytes, readBoxHeader(bytes, 0, bytes.length), fileSize);

describe('parseSampleTable', () => {
  test('co64 offsets past 4 GiB, stsc runs, stss, signed ctts', () => {
    const table = parse(stbl({ stss: [1, 4], ctts: [[1, 200], [1, -100], [4, 0]] }));
    const base = 5 * 2 ** 32;
    expect(table.count).toBe(6);
    expect([...table.offsets]).toEqual([base, base + 10, base + 1000, base + 2000, base + 3000, base + 4000]);
    expect([...table.sizes]).toEqual([10, 20, 30, 40, 50, 60]);
    expect([...table.dts]).toEqual([0, 100, 200, 300, 400, 500]);
    expect(table.endDts).toBe(600);
    expect([...table.ctsOffsets]).toEqual([200, -100, 0, 0, 0, 0]);
    expect([...table.sync]).toEqual([1, 0, 0, 1, 0, 0]);
  });

  test('a uniform sample size and no stss (every sample a sync sample)', () => {
    const table = parse(stbl({ stsz: { uniform: 7, count: 6 }, stsc: [[1, 3, 1]], co64: [100, 500] }), 1000);
    expect([...table.offsets]).toEqual([100, 107, 114, 500, 507, 514]);
    expect([...table.sync]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  test.each([
    ['stts covering other than stsz', { stts: [[5, 100]] }, /stts covers 5 samples, stsz has 6/],
    ['a sync sample past the last', { stss: [7] }, /stss: sample 7 of 6/],
    ['ctts covering too many', { ctts: [[7, 0]] }, /ctts covers more/],
    ['chunks that cannot hold every sample', { co64: [0, 100] }, /place 3 of 6 samples/],
    ['stsc runs out of order', { stsc: [[2, 1, 1], [1, 1, 1]] }, /stsc entry 0/],
    ['no samples per chunk', { stsc: [[1, 0, 1]] }, /no samples per chunk/],
    ['a sample past the end of the file', {}, /runs past the end of the file/],
  ] as const)('%s is a ProtocolError', (_name, tables, message) => {
    let caught: unknown;
    try {
      parse(stbl(tables as Tables), _name === 'a sample past the end of the file' ? 5 * 2 ** 32 + 100 : undefined);
    } catch (err) {
      caught = err;
    }
    expect(isProtocolError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
