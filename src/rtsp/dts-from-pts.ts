// Decode timestamps for video received over RTP, which carries presentation time only (RFC 6184 §5.1, RFC 7798 §4.1).
// With a reorder depth d (from the SPS), the decode time of the i-th frame in decode order is the (i-d)-th smallest
// presentation time seen so far: never after its own pts, increasing, and known without holding frames back.
// A depth larger than the stream needs is harmless (a constant composition offset), so unknown means "assume 4".

// Its constants and fields are alike in shape to srt/sender.ts's SrtSender opening: declarations only.
export const UNKNOWN_REORDER_DEPTH = 4;
const MAX_DEPTH = 16;
/** spacing of the first d decode times, which precede the first pts (any positive value keeps them ordered) */
const LEAD_IN_TICKS = 3000;

export class DtsFromPts {
  private depth: number;
  /** presentation times not yet used as a decode time, ascending; at most depth + 1 long */
  private pending: number[] = [];
  private index = 0;
  private firstPts = 0;
  private lastDts: number | undefined;

  constructor(depth = 0) {
    this.depth = Math.min(MAX_DEPTH, Math.max(0, Math.floor(depth)));
  }

  get reorderDepth(): number {
    return this.depth;
  }

  /** Decode order starts over at a keyframe after dropped frames, or with a new SPS (maybe a new depth). */
  restart(depth = this.depth): void {
    this.depth = Math.min(MAX_DEPTH, Math.max(0, Math.floor(depth)));
    this.pending = [];
    this.index = 0;
  }

  /** The dts of the next frame in decode order. */
  next(pts: number): number {
    if (this.index === 0) this.firstPts = pts;
    let at = this.pending.length;
    while (at > 0 && this.pending[at - 1]! > pts) at--;
    this.pending.splice(at, 0, pts);
    let dts = this.index < this.depth ? this.firstPts - (this.depth - this.index) * LEAD_IN_TICKS : this.pending.shift()!;
    this.index++;
    // reordering deeper than the SPS said: keep decode time increasing (the one case where dts may pass pts)
    if (this.lastDts !== undefined && dts <= this.lastDts) dts = this.lastDts + 1;
    this.lastDts = dts;
    return dts;
  }
}
