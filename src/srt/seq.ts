// 31-bit packet sequence number arithmetic (draft-sharabayko-srt-01 §3.1: the sequence
// number field is 31 bits and wraps; comparisons are valid within half the space).
import { SEQ_MASK } from './constants.ts';

const HALF = 0x4000_0000;
const SPACE = 0x8000_0000;

/** a + n, wrapped into 31 bits (n may be negative). */
export function seqAdd(a: number, n: number): number {
  return (((a + n) % SPACE) + SPACE) % SPACE;
}

export function seqInc(a: number): number {
  return (a + 1) & SEQ_MASK;
}

export function seqDec(a: number): number {
  return (a - 1 + SPACE) & SEQ_MASK;
}

/** Signed distance from a to b (b - a), correct while |b - a| < 2^30. */
export function seqDiff(a: number, b: number): number {
  let d = (b - a) & SEQ_MASK;
  if (d >= HALF) d -= SPACE;
  return d;
}

/** Negative if a is before b, 0 if equal, positive if after (wrap-safe). */
export function seqCmp(a: number, b: number): number {
  return -seqDiff(a, b);
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export function seqLte(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** Number of sequence numbers in the inclusive range [from, to]. */
export function seqRangeLength(from: number, to: number): number {
  return seqDiff(from, to) + 1;
}
