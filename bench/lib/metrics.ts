// Per-viewer measurements of the load tool and the shared table that turns a frame's arrival
// into an end-to-end latency: the in-process publisher records when it sent each video frame
// under a key made of the frame's size and last bytes (servers rewrite timestamps; they do not
// rewrite frame bodies), and a viewer looks that key up when the frame arrives.

import { frameKey, isAudioFrame, isVideoFrame, isVideoKeyframe } from './media-probe.ts';

const MessageType = { Audio: 8, Video: 9 } as const;
const HISTOGRAM_MAX_MS = 30_000;

/** latency histogram in 0.1 ms buckets up to 30 s (last bucket catches the rest) */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(HISTOGRAM_MAX_MS * 10 + 1);
  count = 0;
  maxMs = 0;
  sumMs = 0;

  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const b = Math.min(this.buckets.length - 1, Math.floor(v * 10));
    this.buckets[b]!++;
    this.count++;
    this.sumMs += v;
    if (v > this.maxMs) this.maxMs = v;
  }

  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const target = Math.max(1, Math.ceil((p / 100) * this.count));
    let acc = 0;
    for (let b = 0; b < this.buckets.length; b++) {
      acc += this.buckets[b]!;
      if (acc >= target) return b / 10;
    }
    return this.maxMs;
  }
}

export class SendTimeTable {
  private readonly sentAt = new Map<number, number>();
  readonly histogram = new LatencyHistogram();
  /** latency samples are taken only from frames arriving at or after this time (performance.now()) */
  latencyFromMs = Number.POSITIVE_INFINITY;

  recordSend(sizeBytes: number, tail32: number, atMs: number): void {
    this.sentAt.set(frameKey(sizeBytes, tail32), atMs);
  }

  lookup(sizeBytes: number, tail32: number): number | undefined {
    return this.sentAt.get(frameKey(sizeBytes, tail32));
  }
}

export type WindowCounters = { wireBytes: number; payloadBytes: number; videoFrames: number };

export class ViewerMetrics {
  connectStartMs = 0;
  connectedMs = -1;
  firstByteMs = -1;
  firstKeyframeMs = -1;
  lastVideoMs = -1;
  wireBytes = 0;
  payloadBytes = 0;
  videoFrames = 0;
  audioFrames = 0;
  stalls = 0;
  stalledMs = 0;
  longestGapMs = 0;
  latencyCount = 0;
  latencySumMs = 0;
  latencyMaxMs = 0;
  unmatchedFrames = 0;
  closedMs = -1;
  error: string | undefined;
  windowStart: WindowCounters | undefined;
  windowEnd: WindowCounters | undefined;
  /** arrival time of the bytes being parsed (set once per socket read) */
  now = 0;

  constructor(
    readonly id: number,
    private readonly table: SendTimeTable,
    private readonly stallThresholdMs: number,
  ) {}

  /** one media message (RTMP) or tag (FLV) fully received */
  onMedia(type: number, sizeBytes: number, b0: number, b1: number, tail32: number): void {
    this.payloadBytes += sizeBytes;
    if (type === MessageType.Audio) {
      if (isAudioFrame(b0, b1)) this.audioFrames++;
      return;
    }
    if (type !== MessageType.Video || !isVideoFrame(b0, b1)) return;
    const now = this.now;
    if (this.firstKeyframeMs < 0) {
      if (!isVideoKeyframe(b0, b1)) return;
      this.firstKeyframeMs = now;
    } else {
      const gap = now - this.lastVideoMs;
      if (gap > this.longestGapMs) this.longestGapMs = gap;
      if (gap > this.stallThresholdMs) {
        this.stalls++;
        this.stalledMs += gap;
      }
    }
    this.lastVideoMs = now;
    this.videoFrames++;
    if (now >= this.table.latencyFromMs) {
      const sent = this.table.lookup(sizeBytes, tail32);
      if (sent === undefined) {
        this.unmatchedFrames++;
      } else {
        const latency = now - sent;
        this.latencyCount++;
        this.latencySumMs += latency;
        if (latency > this.latencyMaxMs) this.latencyMaxMs = latency;
        this.table.histogram.add(latency);
      }
    }
  }

  snapshot(): WindowCounters {
    return { wireBytes: this.wireBytes, payloadBytes: this.payloadBytes, videoFrames: this.videoFrames };
  }

  /** a gap still open at the end of the run counts as a stall too */
  finish(nowMs: number): void {
    if (this.firstKeyframeMs >= 0 && this.closedMs < 0) {
      const gap = nowMs - this.lastVideoMs;
      if (gap > this.longestGapMs) this.longestGapMs = gap;
      if (gap > this.stallThresholdMs) {
        this.stalls++;
        this.stalledMs += gap;
      }
    }
  }
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function round(v: number | null, digits = 1): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
