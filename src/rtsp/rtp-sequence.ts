// RTP sequence tracking (RFC 3550 §A.1 extended sequence numbers, §A.3 loss, §6.4.1 fraction lost): tells each
// packet apart as in order, after a gap, or late/duplicate, and keeps the counts a receiver report needs.

const SEQ_MOD = 0x1_0000;
/** a jump this far ahead is taken as a restart, not as 30k lost packets (RFC 3550 §A.1 MAX_DROPOUT) */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export type SequenceVerdict =
  | Readonly<{ kind: 'first' }>
  | Readonly<{ kind: 'next' }>
  /** `lost` packets were skipped before this one */
  | Readonly<{ kind: 'gap'; lost: number }>
  /** older than the highest seen (reordered or duplicated): the caller drops it */
  | Readonly<{ kind: 'late' }>
  /** a big jump: the sender restarted its sequence */
  | Readonly<{ kind: 'restart' }>;

export class RtpSequenceTracker {
  private highest: number | undefined;
  private cycles = 0;
  private baseExtended = 0;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;

  push(sequenceNumber: number): SequenceVerdict {
    const seq = sequenceNumber & 0xffff;
    if (this.highest === undefined) {
      this.highest = seq;
      this.baseExtended = seq;
      this.received = 1;
      return { kind: 'first' };
    }
    const delta = (seq - this.highest + SEQ_MOD) % SEQ_MOD;
    if (delta === 0) return { kind: 'late' };
    if (delta < MAX_DROPOUT) {
      if (seq < this.highest) this.cycles += SEQ_MOD;
      this.highest = seq;
      this.received++;
      return delta === 1 ? { kind: 'next' } : { kind: 'gap', lost: delta - 1 };
    }
    if (delta >= SEQ_MOD - MAX_MISORDER) return { kind: 'late' };
    this.highest = seq;
    this.cycles = 0;
    this.baseExtended = seq;
    this.received = 1;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    return { kind: 'restart' };
  }

  get extendedHighest(): number {
    return this.cycles + (this.highest ?? 0);
  }

  /** Packets expected minus received since the first (RFC 3550 §A.3), clamped to 24 bits signed. */
  get cumulativeLost(): number {
    if (this.highest === undefined) return 0;
    const lost = this.extendedHighest - this.baseExtended + 1 - this.received;
    return Math.max(-0x800000, Math.min(0x7fffff, lost));
  }

  /** Fraction lost since the previous call, in 1/256 (RFC 3550 §A.3); call once per receiver report. */
  takeFractionLost(): number {
    if (this.highest === undefined) return 0;
    const expected = this.extendedHighest - this.baseExtended + 1;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    return expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
  }
}
