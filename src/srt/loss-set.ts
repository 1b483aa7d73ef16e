// An ordered set of sequence-number ranges (draft-sharabayko-srt-01 §4.8.2 receiver loss list
// and sender's retransmission list), wrap-safe, kept as few disjoint ranges. Each range keeps
// when it was last reported, so a periodic NAK does not re-ask for what was just asked for.
import type { LossRange } from './packet-types.ts';
import { seqAdd, seqDec, seqDiff, seqInc } from './seq.ts';

type StampedRange = LossRange & { reportedUs: number };

export class LossSet {
  private ranges: StampedRange[] = [];

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
    return this.ranges.slice(0, limit).map((r) => ({ from: r.from, to: r.to }));
  }

  /** Ranges last reported at least intervalUs ago (up to limit), stamped as reported now. */
  takeDue(nowUs: number, intervalUs: number, limit: number): LossRange[] {
    const out: LossRange[] = [];
    for (const r of this.ranges) {
      if (out.length >= limit) break;
      if (nowUs - r.reportedUs < intervalUs) continue;
      r.reportedUs = nowUs;
      out.push({ from: r.from, to: r.to });
    }
    return out;
  }

  has(seq: number): boolean {
    return this.ranges.some((r) => seqDiff(r.from, seq) >= 0 && seqDiff(seq, r.to) >= 0);
  }

  /** Adds [from, to] (reported at reportedUs), merging with neighbours; a merge keeps the older stamp. */
  add(from: number, to: number, reportedUs = -Infinity): void {
    const merged: StampedRange[] = [];
    let cur: StampedRange = { from, to, reportedUs };
    let placed = false;
    for (const r of this.ranges) {
      if (seqDiff(r.to, cur.from) > 1) merged.push(r);
      else if (seqDiff(cur.to, r.from) > 1) {
        if (!placed) merged.push(cur);
        placed = true;
        merged.push(r);
      } else {
        cur = {
          from: seqDiff(r.from, cur.from) > 0 ? r.from : cur.from,
          to: seqDiff(r.to, cur.to) < 0 ? r.to : cur.to,
          reportedUs: Math.min(r.reportedUs, cur.reportedUs),
        };
      }
    }
    if (!placed) merged.push(cur);
    this.ranges = merged;
  }

  remove(seq: number): boolean {
    const i = this.ranges.findIndex((r) => seqDiff(r.from, seq) >= 0 && seqDiff(seq, r.to) >= 0);
    const r = this.ranges[i];
    if (r === undefined) return false;
    const parts: StampedRange[] = [];
    if (r.from !== seq) parts.push({ from: r.from, to: seqDec(seq), reportedUs: r.reportedUs });
    if (r.to !== seq) parts.push({ from: seqInc(seq), to: r.to, reportedUs: r.reportedUs });
    this.ranges.splice(i, 1, ...parts);
    return true;
  }

  /** Removes every number before `seq`; returns how many were removed. */
  removeBefore(seq: number): number {
    let removed = 0;
    while (this.ranges.length > 0) {
      const r = this.ranges[0] as StampedRange;
      if (seqDiff(r.from, seq) <= 0) break;
      if (seqDiff(r.to, seq) > 0) {
        removed += seqDiff(r.from, r.to) + 1;
        this.ranges.shift();
      } else {
        removed += seqDiff(r.from, seq);
        this.ranges[0] = { ...r, from: seq };
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
    else this.ranges[0] = { ...r, from: seqAdd(r.from, 1) };
    return r.from;
  }

  clear(): void {
    this.ranges = [];
  }
}
