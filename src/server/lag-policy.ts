// How a viewer that is behind live is treated, judged in stream time (the timestamps of the
// media it is offered) so the rule is the same for every link and bitrate: a viewer whose
// transport has been blocked for longer than degradeAfterMs is degraded (inter frames dropped,
// audio and keyframes kept); it gets full video again at a keyframe once it has caught up and a
// hold has passed (the hold doubles each time full video sets it back again soon, so a link that
// cannot carry the stream is not made to try every second); a degraded viewer still blocked
// after maxLagMs is dropped to the next keyframe, and one that then falls that far behind again
// before ever catching up cannot take even audio and keyframes.

export type LagLimits = Readonly<{
  /** blocked this long (stream time): drop inter frames */
  degradeAfterMs: number;
  /** degraded and still blocked this long: drop the queue to the next keyframe, then cut off */
  maxLagMs: number;
  /** the first hold before full video is tried again; it doubles up to maxHoldMs on relapses */
  minHoldMs: number;
  maxHoldMs: number;
}>;

export const DEFAULT_LAG_LIMITS: LagLimits = { degradeAfterMs: 1000, maxLagMs: 10_000, minHoldMs: 2000, maxHoldMs: 60_000 };

/** What the writer must do about the entry it is admitting. */
export type LagAction = 'none' | 'degrade' | 'full-video' | 'skip-to-keyframe' | 'cut-off';

export class LagPolicy {
  degraded = false;
  /** stream time of the first media offered while blocked since the queue was last written out */
  private behindSinceMs: number | null = null;
  private degradedAtMs = 0;
  private fullVideoAtMs = Number.NEGATIVE_INFINITY;
  private holdMs: number;
  /** the queue was dropped to a keyframe for lag and the viewer has not caught up since */
  private skipped = false;

  constructor(private readonly limits: LagLimits = DEFAULT_LAG_LIMITS) {
    this.holdMs = limits.minHoldMs;
  }

  /** Everything offered so far has been taken by the transport. */
  caughtUp(): void {
    this.behindSinceMs = null;
    this.skipped = false;
  }

  /** A media entry at stream time `timestampMs` is offered; `blocked`: the transport holds back. */
  observe(timestampMs: number, blocked: boolean, videoKeyframe: boolean): LagAction {
    if (!blocked) {
      if (this.behindSinceMs !== null) return 'none'; // still writing out a backlog
      if (this.degraded && videoKeyframe && timestampMs - this.degradedAtMs >= this.holdMs) {
        this.degraded = false;
        this.fullVideoAtMs = timestampMs;
        return 'full-video';
      }
      return 'none';
    }
    if (this.behindSinceMs === null) {
      this.behindSinceMs = timestampMs;
      return 'none';
    }
    const behindMs = timestampMs - this.behindSinceMs;
    if (!this.degraded) {
      if (behindMs <= this.limits.degradeAfterMs) return 'none';
      this.degraded = true;
      // Full video set it back soon after it was tried: wait longer before the next try.
      const relapsed = timestampMs - this.fullVideoAtMs < 2 * this.holdMs + this.limits.degradeAfterMs;
      this.holdMs = relapsed ? Math.min(this.holdMs * 2, this.limits.maxHoldMs) : this.limits.minHoldMs;
      this.degradedAtMs = timestampMs;
      return 'degrade';
    }
    if (behindMs <= this.limits.maxLagMs) return 'none';
    if (this.skipped) return 'cut-off';
    this.skipped = true;
    this.behindSinceMs = timestampMs;
    return 'skip-to-keyframe';
  }
}
