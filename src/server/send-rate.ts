// A connection's outgoing bit rate for the engine API, from its byte counter: the average since the
// previous reading, once that is at least a second old (readings come when someone looks: the
// console every few seconds, a metrics scrape), else the last figure; the first reading averages
// from the start of the connection.
const MIN_WINDOW_US = 1_000_000;

export class SendRate {
  private lastBytes = 0;
  private lastUs: number | null = null;
  private bps = 0;

  read(totalBytes: number, nowUs: number): number {
    if (this.lastUs === null) {
      this.lastUs = nowUs;
      this.lastBytes = 0;
    }
    const elapsedUs = nowUs - this.lastUs;
    if (elapsedUs >= MIN_WINDOW_US || (this.bps === 0 && elapsedUs > 0)) {
      this.bps = Math.round(((totalBytes - this.lastBytes) * 8 * 1e6) / elapsedUs);
      if (elapsedUs >= MIN_WINDOW_US) {
        this.lastUs = nowUs;
        this.lastBytes = totalBytes;
      }
    }
    return this.bps;
  }
}
