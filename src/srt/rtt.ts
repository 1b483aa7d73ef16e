// Round-trip time estimate from ACK/ACKACK pairs (draft-sharabayko-srt-01 §4.10):
// RTT = 7/8 RTT + 1/8 sample, RTTVar = 3/4 RTTVar + 1/4 |RTT - sample|; starts at 100/50 ms.
export class RttEstimator {
  rttUs = 100_000;
  rttVarUs = 50_000;
  private sampled = false;

  update(sampleUs: number): void {
    if (sampleUs < 0) return;
    if (!this.sampled) {
      this.rttUs = sampleUs;
      this.rttVarUs = sampleUs / 2;
      this.sampled = true;
      return;
    }
    this.rttVarUs = (3 * this.rttVarUs + Math.abs(this.rttUs - sampleUs)) / 4;
    this.rttUs = (7 * this.rttUs + sampleUs) / 8;
  }

  /** Taken as is from the peer's ACK (the sender side has no ACKACK of its own). */
  set(rttUs: number, rttVarUs: number): void {
    this.rttUs = rttUs;
    this.rttVarUs = rttVarUs;
    this.sampled = true;
  }
}
