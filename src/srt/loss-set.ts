// An ordered set of sequence-number ranges (draft-sharabayko-srt-01 §4.8.1 receiver loss list,
// §4.8 sender's retransmission list), wrap-safe, kept as few disjoint ranges.
import type { LossRange } from './packet-types.ts';
import { seqAdd, seqDec, seqDiff, seqInc } from './seq.ts';

export class LossSet {
  private ranges: LossRange[] = [];

  get size(): number {
    let n = 0;
    for (const r of this.ranges) n += seqDiff(r.from, r.to) + 1;
    return n;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  first(): LossRange | undefined {
    return this.ranges[0];
  }

  list(limit = Infinity): LossRange[] {
    return this.ranges.slice(0, limit).map((r) => ({ ...r }));
  }

  has(seq: number): boolean {
    return this.ranges.some((r) => seqDiff(r.from, seq) >= 0 && seqDiff(seq, r.to) >= 0);
  }

  /** Adds [from, to], merging with neighbours. */
  add(from: number, to: number): void {
    const merged: LossRange[] = [];
    let cur = { from, to };
    let placed = false;
    for (const r of this.ranges) {
      if (seqDiff(r.to, cur.from) > 1) merged.push(r);
      else if (seqDiff(cur.to, r.from) > 1) {
        if (!placed) merged.push(cur);
        placed = true;
        merged.push(r);
      } else {
        cur = { from: seqDiff(r.from, cur.from) > 0 ? r.from : cur.from, to: seqDiff(r.to, cur.to) < 0 ? r.to : cur.to };
      }
    }
    if (!placed) merged.push(cur);
    this.ranges = merged;
  }

  remove(seq: number): boolean {
    const i = this.ranges.findIndex((r) => seqDiff(r.from, seq) >= 0 && seqDiff(seq, r.to) >= 0);
    const r = this.ranges[i];
    if (r === undefined) return false;
    const parts: LossRange[] = [];
    if (r.from !== seq) parts.push({ from: r.from, to: seqDec(seq) });
    if (r.to !== seq) parts.push({ from: seqInc(seq), to: r.to });
    this.ranges.splice(i, 1, ...parts);
    return true;
  }

  /** Removes every number before `seq`; returns how many were removed. */
  removeBefore(seq: number): number {
    let removed = 0;
    while (this.ranges.length > 0) {
      const r = this.ranges[0] as LossRange;
      if (seqDiff(r.from, seq) <= 0) break;
      if (seqDiff(r.to, seq) > 0) {
        removed += seqDiff(r.from, r.to) + 1;
        this.ranges.shift();
      } else {
        removed += seqDiff(r.from, seq);
        this.ranges[0] = { from: seq, to: r.to };
        break;
      }
    }
    return removed;
  }

  /** Removes and returns the first number. */
  shift(): number | undefined {
    const r = this.ranges[0];
    if (r === undefined) return undefined;
    if (r.from === r.to) this.ranges.shift();
    else this.ranges[0] = { from: seqAdd(r.from, 1), to: r.to };
    return r.from;
  }

  clear(): void {
    this.ranges = [];
  }
}
