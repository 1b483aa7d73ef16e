// Maps each publisher's 32-bit RTMP timestamps onto one stream timeline that never goes
// backwards per packet type, across 32-bit wrap and across publisher restarts.
const WRAP = 0x1_0000_0000;
const HALF_WRAP = 0x8000_0000;

export class TimestampNormalizer {
  private readonly lastOutput = new Map<number, number>();
  private lastRaw: number | null = null;
  private unwrapBase = 0;
  private offset = 0;
  private highWater = -1;

  /** A new publisher starts: its first timestamp continues just after what viewers last saw. */
  startPublisher(): void {
    this.lastRaw = null;
    this.unwrapBase = 0;
  }

  normalize(type: number, raw32: number): number {
    const raw = raw32 >>> 0;
    let base = this.unwrapBase;
    if (this.lastRaw === null) {
      // The first publisher keeps its own clock; a successor continues after the high water mark.
      this.offset = this.highWater < 0 ? 0 : this.highWater + 1 - raw;
      this.lastRaw = raw;
    } else {
      const diff = raw - this.lastRaw;
      if (diff < -HALF_WRAP) {
        this.unwrapBase += WRAP;
        base = this.unwrapBase;
        this.lastRaw = raw;
      } else if (diff > HALF_WRAP) {
        base -= WRAP; // a straggler from just before a wrap we already crossed
      } else {
        this.lastRaw = raw;
      }
    }
    let value = base + raw + this.offset;
    const last = this.lastOutput.get(type);
    if (last !== undefined && value < last) value = last;
    this.lastOutput.set(type, value);
    if (value > this.highWater) this.highWater = value;
    return value;
  }
}
