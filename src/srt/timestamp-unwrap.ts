// Extends 32-bit microsecond packet timestamps (draft-sharabayko-srt-01 §3: they wrap every
// ~71.6 minutes; §4.5 TSBPD) to a monotonic number, so delivery times keep counting past a wrap.
const SPACE = 0x1_0000_0000;
const HALF = 0x8000_0000;

export class TimestampUnwrapper {
  private last: number | undefined;

  /** The extended value nearest the latest one seen: a retransmitted older packet maps back, not forward. */
  extend(timestampUs: number): number {
    const ts = timestampUs >>> 0;
    if (this.last === undefined) {
      this.last = ts;
      return ts;
    }
    const base = this.last - (this.last % SPACE);
    let candidate = base + ts;
    if (candidate - this.last > HALF) candidate -= SPACE;
    else if (this.last - candidate > HALF) candidate += SPACE;
    if (candidate > this.last) this.last = candidate;
    return candidate;
  }
}
