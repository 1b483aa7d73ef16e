import { describe, expect, test } from 'bun:test';
import { seqAdd, seqCmp, seqDec, seqDiff, seqInc, seqLt, seqRangeLength } from '../../src/srt/seq.ts';
import { TimestampUnwrapper } from '../../src/srt/timestamp-unwrap.ts';
import { LossSet } from '../../src/srt/loss-set.ts';

const MAX = 0x7fff_ffff;

describe('31-bit sequence arithmetic', () => {
  test('increments and decrements wrap at 2^31', () => {
    expect(seqInc(MAX)).toBe(0);
    expect(seqDec(0)).toBe(MAX);
    expect(seqAdd(MAX - 1, 5)).toBe(3);
    expect(seqAdd(2, -5)).toBe(MAX - 2);
  });
  test('distance and comparison across the wrap', () => {
    expect(seqDiff(MAX - 1, 2)).toBe(4);
    expect(seqDiff(2, MAX - 1)).toBe(-4);
    expect(seqCmp(1, MAX)).toBeGreaterThan(0);
    expect(seqLt(MAX, 0)).toBe(true);
    expect(seqLt(0, MAX)).toBe(false);
    expect(seqRangeLength(MAX, 1)).toBe(3);
    expect(seqDiff(5, 5)).toBe(0);
  });
});

describe('timestamp unwrap', () => {
  test('keeps counting past the 32-bit wrap and maps late packets back', () => {
    const u = new TimestampUnwrapper();
    expect(u.extend(0xffff_ff00)).toBe(0xffff_ff00);
    expect(u.extend(0x10)).toBe(0x1_0000_0010);
    expect(u.extend(0xffff_fff0)).toBe(0xffff_fff0); // a retransmission from before the wrap
    expect(u.extend(0x20)).toBe(0x1_0000_0020);
  });
});

describe('loss set', () => {
  test('merges, splits and trims ranges across the wrap', () => {
    const s = new LossSet();
    s.add(MAX - 1, MAX);
    s.add(0, 2);
    expect(s.list()).toEqual([{ from: MAX - 1, to: 2 }]);
    expect(s.size).toBe(5);
    s.remove(0);
    expect(s.list()).toEqual([{ from: MAX - 1, to: MAX }, { from: 1, to: 2 }]);
    s.add(10, 10);
    expect(s.removeBefore(2)).toBe(3);
    expect(s.list()).toEqual([{ from: 2, to: 2 }, { from: 10, to: 10 }]);
    expect(s.shift()).toBe(2);
    expect(s.has(10)).toBe(true);
  });
});
