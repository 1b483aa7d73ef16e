// Receive-rate estimate for the full ACK's rate fields (draft-sharabayko-srt-01 §3.2.4: packets
// receiving rate, estimated link capacity, receiving rate in bytes/s), smoothed per ACK period.
export class RateMeter {
  packetsPerSecond = 0;
  bytesPerSecond = 0;
  /** A slowly decaying peak of the packet rate: our stand-in for link capacity (no packet-pair probing). */
  peakPacketsPerSecond = 0;
  private windowPackets = 0;
  private windowBytes = 0;

  count(bytes: number): void {
    this.windowPackets++;
    this.windowBytes += bytes;
  }

  /** Closes one measuring window of elapsedUs. */
  close(elapsedUs: number): void {
    if (elapsedUs <= 0) return;
    const pps = (this.windowPackets * 1e6) / elapsedUs;
    const bps = (this.windowBytes * 1e6) / elapsedUs;
    this.packetsPerSecond = this.packetsPerSecond === 0 ? pps : (7 * this.packetsPerSecond + pps) / 8;
    this.bytesPerSecond = this.bytesPerSecond === 0 ? bps : (7 * this.bytesPerSecond + bps) / 8;
    this.peakPacketsPerSecond = Math.max(this.peakPacketsPerSecond * 0.99, this.packetsPerSecond);
    this.windowPackets = 0;
    this.windowBytes = 0;
  }
}
