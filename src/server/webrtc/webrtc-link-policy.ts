// How a WHEP viewer whose link cannot carry the stream is treated. UDP has no send queue that fills (lag-policy.ts
// judges TCP viewers by theirs): what the browser says in RTCP is the measure instead. Its REMB is its estimate of
// what the path carries; its receiver reports' fraction lost, and the NACKs it sends against the packets we sent,
// are the loss. The stream's video rate is measured from what it offers this viewer (every viewer is offered the
// same frames). REMB below it, or loss over degradeLoss, for degradeAfterMs: degraded (inter frames dropped, audio
// and keyframes kept: decodable at a lower frame rate). A browser's first REMBs are its estimator warming up
// (Chromium's starts under what it receives and climbs for seconds), so REMB counts only rembWarmupMs after the
// first. Full video again once REMB clears the video rate with headroom and loss is low for a hold; the hold
// doubles (up to maxHoldMs) each time full video sets the link
// back within maxHoldMs, so a link that cannot carry the stream is not refilled every few seconds. Degraded, and
// still more sent than REMB allows or over cutOffLoss for cutOffAfterMs: the link cannot take even audio and
// keyframes, and the viewer is closed. Pure: the clock is the caller's.

export type WebRtcLinkLimits = Readonly<{
  /** REMB under the stream's video rate, or loss over degradeLoss, this long: degrade */
  degradeAfterMs: number;
  degradeLoss: number;
  /** full video again when REMB is at least the video rate times this and loss at most recoverLoss for the hold */
  recoverHeadroom: number;
  recoverLoss: number;
  /** the first hold before full video is tried again; it doubles up to maxHoldMs on relapses */
  minHoldMs: number;
  maxHoldMs: number;
  /** degraded and still over REMB, or over cutOffLoss, this long: closed */
  cutOffAfterMs: number;
  cutOffLoss: number;
  /** a REMB or receiver report older than this no longer speaks for the link */
  staleMs: number;
  /** REMB is not acted on until this long after the first one */
  rembWarmupMs: number;
}>;

export const DEFAULT_WEBRTC_LINK_LIMITS: WebRtcLinkLimits = {
  degradeAfterMs: 2000,
  degradeLoss: 0.1,
  recoverHeadroom: 1.1,
  recoverLoss: 0.02,
  minHoldMs: 3000,
  maxHoldMs: 60_000,
  cutOffAfterMs: 10_000,
  cutOffLoss: 0.3,
  staleMs: 5000,
  rembWarmupMs: 5000,
};

export type WebRtcLinkAction = 'none' | 'degrade' | 'full-video' | 'cut-off';

/** the span rates are measured over */
const WINDOW_MS = 2000;
const BUCKET_MS = 100;
const BUCKETS = WINDOW_MS / BUCKET_MS;

/** A sum over the last WINDOW_MS, in fixed buckets (bounded whatever the packet rate). */
class WindowSum {
  private readonly sums = new Float64Array(BUCKETS);
  private readonly starts = new Float64Array(BUCKETS).fill(Number.NEGATIVE_INFINITY);
  private firstMs: number | null = null;

  add(nowMs: number, value: number): void {
    this.firstMs ??= nowMs;
    const start = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS;
    const i = Math.floor(nowMs / BUCKET_MS) % BUCKETS;
    if (this.starts[i] !== start) {
      this.starts[i] = start;
      this.sums[i] = 0;
    }
    this.sums[i]! += value;
  }

  sum(nowMs: number): number {
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) if (nowMs - this.starts[i]! < WINDOW_MS) total += this.sums[i]!;
    return total;
  }

  /** measured over a whole window yet */
  full(nowMs: number): boolean {
    return this.firstMs !== null && nowMs - this.firstMs >= WINDOW_MS;
  }
}

export type WebRtcLinkState = Readonly<{
  degraded: boolean;
  /** the stream's rate as offered to this viewer (all of it, and its video), and what we sent it, bits/s over the last window */
  offeredBps: number;
  videoBps: number;
  sentBps: number;
  /** the latest REMB still fresh and past the warm-up, or null */
  rembBps: number | null;
  loss: number;
}>;

export class WebRtcLinkPolicy {
  degraded = false;
  private readonly offeredBytes = new WindowSum();
  private readonly videoBytes = new WindowSum();
  private readonly sentBytes = new WindowSum();
  private readonly sentPackets = new WindowSum();
  private readonly nackedPackets = new WindowSum();
  private remb: { bps: number; atMs: number } | null = null;
  private firstRembMs: number | null = null;
  private report: { fractionLost: number; atMs: number } | null = null;
  private badSinceMs: number | null = null;
  private goodSinceMs: number | null = null;
  private overSinceMs: number | null = null;
  private fullVideoAtMs = Number.NEGATIVE_INFINITY;
  private holdMs: number;

  constructor(private readonly limits: WebRtcLinkLimits = DEFAULT_WEBRTC_LINK_LIMITS) {
    this.holdMs = limits.minHoldMs;
  }

  /** Media bytes of the stream offered to this viewer, dropped ones included. */
  offered(nowMs: number, bytes: number, video: boolean): void {
    this.offeredBytes.add(nowMs, bytes);
    if (video) this.videoBytes.add(nowMs, bytes);
  }

  /** An RTP packet sent to this viewer (retransmissions too). */
  sent(nowMs: number, bytes: number): void {
    this.sentBytes.add(nowMs, bytes);
    this.sentPackets.add(nowMs, 1);
  }

  onRemb(nowMs: number, bps: number): void {
    this.remb = { bps, atMs: nowMs };
    this.firstRembMs ??= nowMs;
  }

  onReport(nowMs: number, fractionLost: number): void {
    this.report = { fractionLost, atMs: nowMs };
  }

  onNack(nowMs: number, packets: number): void {
    this.nackedPackets.add(nowMs, packets);
  }

  state(nowMs: number): WebRtcLinkState {
    const fresh = (atMs: number) => nowMs - atMs <= this.limits.staleMs;
    const reported = this.report && fresh(this.report.atMs) ? this.report.fractionLost : 0;
    const sentPackets = this.sentPackets.sum(nowMs);
    const nacked = sentPackets > 0 ? Math.min(1, this.nackedPackets.sum(nowMs) / sentPackets) : 0;
    return {
      degraded: this.degraded,
      offeredBps: (this.offeredBytes.sum(nowMs) * 8 * 1000) / WINDOW_MS,
      videoBps: (this.videoBytes.sum(nowMs) * 8 * 1000) / WINDOW_MS,
      sentBps: (this.sentBytes.sum(nowMs) * 8 * 1000) / WINDOW_MS,
      rembBps: this.remb && fresh(this.remb.atMs) && nowMs - this.firstRembMs! >= this.limits.rembWarmupMs ? this.remb.bps : null,
      loss: Math.max(reported, nacked),
    };
  }

  /** What the viewer must do now; `videoKeyframe`: the frame about to be sent is one (full video resumes only there). */
  decide(nowMs: number, videoKeyframe: boolean): WebRtcLinkAction {
    // until the stream has been measured over a whole window its rate says nothing
    if (!this.offeredBytes.full(nowMs)) return 'none';
    const s = this.state(nowMs);
    const limits = this.limits;
    const bad = (s.rembBps !== null && s.rembBps < s.videoBps) || s.loss >= limits.degradeLoss;
    const good = (s.rembBps === null || s.rembBps >= s.videoBps * limits.recoverHeadroom) && s.loss <= limits.recoverLoss;
    this.badSinceMs = bad ? (this.badSinceMs ?? nowMs) : null;
    this.goodSinceMs = good ? (this.goodSinceMs ?? nowMs) : null;
    if (!this.degraded) {
      // an audio-only stream has no inter frames to drop
      if (this.badSinceMs === null || nowMs - this.badSinceMs < limits.degradeAfterMs || s.videoBps === 0) return 'none';
      this.degraded = true;
      const relapsed = nowMs - this.fullVideoAtMs < limits.maxHoldMs;
      this.holdMs = relapsed ? Math.min(this.holdMs * 2, limits.maxHoldMs) : limits.minHoldMs;
      this.goodSinceMs = null;
      this.overSinceMs = null;
      return 'degrade';
    }
    const over = (s.rembBps !== null && s.rembBps < s.sentBps) || s.loss >= limits.cutOffLoss;
    this.overSinceMs = over ? (this.overSinceMs ?? nowMs) : null;
    if (this.overSinceMs !== null && nowMs - this.overSinceMs >= limits.cutOffAfterMs) return 'cut-off';
    if (videoKeyframe && this.goodSinceMs !== null && nowMs - this.goodSinceMs >= this.holdMs) {
      this.degraded = false;
      this.fullVideoAtMs = nowMs;
      this.badSinceMs = null;
      return 'full-video';
    }
    return 'none';
  }
}
