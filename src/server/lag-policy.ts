// How a viewer that is behind live is treated, judged in stream time (the timestamps of the
// media it is offered) so the rule is the same for every link and bitrate. The writer cannot
// see what the kernel (or Bun's HTTP body buffer) still holds, only that the transport holds
// back: a viewer accrues "blocked time" while its transport holds back and pays it off at the
// same rate while it does not, so a link that is blocked most of the time adds up even when
// every drain lets a burst through. Over degradeAfterMs of blocked time: degraded (inter frames
// dropped, audio and keyframes kept). Full video again at a keyframe once it is no longer
// blocked, owes nothing, and a hold has passed; the hold doubles each time full video sets it
// back within maxHoldMs, so a link that cannot carry the stream is not made to fill its buffers
// again every few seconds. Degraded and still over maxLagMs of blocked time: dropped to the
// next keyframe; over it once more before it has paid that off: it cannot take even audio and
// keyframes. The kernel hides megabytes (Bun cannot size socket buffers), so being unblocked
// again does not prove the link can carry full video: over each 2 s in which the transport was
// blocked most of the time, what it took against what the stream offered is the link's measure;
// two such spans in a row under 95% of the stream (one could be a reader that was briefly
// starved of CPU), and full video is not tried again before maxHoldMs has passed.

export type LagLimits = Readonly<{
  /** blocked this long (stream time, net of unblocked time): drop inter frames */
  degradeAfterMs: number;
  /** degraded and blocked this long: drop the queue to the next keyframe, then cut off */
  maxLagMs: number;
  /** the first hold before full video is tried again; it doubles up to maxHoldMs on relapses */
  minHoldMs: number;
  maxHoldMs: number;
}>;

export const DEFAULT_LAG_LIMITS: LagLimits = { degradeAfterMs: 4000, maxLagMs: 12_000, minHoldMs: 2000, maxHoldMs: 60_000 };

/** What the writer must do about the entry it is admitting. */
export type LagAction = 'none' | 'degrade' | 'full-video' | 'skip-to-keyframe' | 'cut-off';

/** A gap in the stream (publisher away) is not time the viewer was blocked. */
const MAX_STEP_MS = 1000;
/** the span over which the link is measured, stream time */
const MEASURE_MS = 2000;
/** the link carries the stream if it took this share of it while blocked */
const CARRIES_STREAM = 0.95;

export class LagPolicy {
  degraded = false;
  /** stream time spent blocked, less the time since spent unblocked */
  private blockedMs = 0;
  private lastMs: number | null = null;
  private degradedAtMs = 0;
  private fullVideoAtMs = Number.NEGATIVE_INFINITY;
  private holdMs: number;
  /** dropped to a keyframe for lag and not paid off since */
  private skipped = false;
  /** the current measuring span: its start, bytes the stream offered, bytes the transport took, time blocked */
  private span = { startMs: Number.NaN, offered: 0, taken: 0, blockedMs: 0 };
  /** spans in a row, each blocked most of the time, in which the link took under 95% of the stream */
  private shortSpans = 0;

  /** Bytes of the stream offered to this viewer, dropped ones included. */
  offered(bytes: number): void {
    this.span.offered += bytes;
  }

  /** Bytes the transport took. */
  taken(bytes: number): void {
    this.span.taken += bytes;
  }

  /** Nothing owed and nothing held back: a writer may take shared batches without asking (see caughtUp). */
  get clean(): boolean {
    return !this.degraded && !this.skipped && this.blockedMs === 0;
  }

  /**
   * A clean viewer's transport took `bytes` of the stream as they came, up to stream time
   * `timestampMs`: what observe() would have been told batch by batch, told at once.
   */
  caughtUp(bytes: number, timestampMs: number): void {
    this.offered(bytes);
    this.taken(bytes);
    this.observe(timestampMs, false, false);
  }

  constructor(private readonly limits: LagLimits = DEFAULT_LAG_LIMITS) {
    this.holdMs = limits.minHoldMs;
  }

  /** A media entry at stream time `timestampMs` is offered; `blocked`: the transport holds back. */
  observe(timestampMs: number, blocked: boolean, videoKeyframe: boolean): LagAction {
    // Audio and video interleave slightly out of order: time only moves forward.
    const stepMs = this.lastMs === null ? 0 : Math.min(Math.max(timestampMs - this.lastMs, 0), MAX_STEP_MS);
    if (this.lastMs === null || timestampMs > this.lastMs) this.lastMs = timestampMs;
    this.measure(timestampMs, blocked ? stepMs : 0);
    if (!blocked) {
      this.blockedMs = Math.max(0, this.blockedMs - stepMs);
      if (this.blockedMs > 0) return 'none';
      this.skipped = false;
      const degradedForMs = timestampMs - this.degradedAtMs;
      const linkMayCarry = this.shortSpans < 2 || degradedForMs >= this.limits.maxHoldMs;
      if (this.degraded && videoKeyframe && degradedForMs >= this.holdMs && linkMayCarry) {
        this.degraded = false;
        this.fullVideoAtMs = timestampMs;
        this.shortSpans = 0;
        return 'full-video';
      }
      return 'none';
    }
    this.blockedMs += stepMs;
    if (!this.degraded) {
      if (this.blockedMs <= this.limits.degradeAfterMs) return 'none';
      this.degraded = true;
      // Full video set it back again: wait longer before the next try.
      const relapsed = timestampMs - this.fullVideoAtMs < this.limits.maxHoldMs;
      this.holdMs = relapsed ? Math.min(this.holdMs * 2, this.limits.maxHoldMs) : this.limits.minHoldMs;
      this.degradedAtMs = timestampMs;
      return 'degrade';
    }
    if (this.blockedMs <= this.limits.maxLagMs) return 'none';
    if (this.skipped) return 'cut-off';
    this.skipped = true;
    this.blockedMs = this.limits.degradeAfterMs;
    return 'skip-to-keyframe';
  }

  private measure(timestampMs: number, blockedStepMs: number): void {
    const span = this.span;
    if (Number.isNaN(span.startMs)) span.startMs = timestampMs;
    span.blockedMs += blockedStepMs;
    const lengthMs = timestampMs - span.startMs;
    if (lengthMs < MEASURE_MS) return;
    if (span.blockedMs * 2 >= lengthMs && span.offered > 0) {
      this.shortSpans = span.taken / span.offered < CARRIES_STREAM ? this.shortSpans + 1 : 0;
    }
    this.span = { startMs: timestampMs, offered: 0, taken: 0, blockedMs: 0 };
  }
}
