// RTP timing (RFC 3550 §5.1 timestamp, §6.4.1 SR NTP/RTP pair): 32-bit timestamps unwrapped to a monotonic-ish
// 64-bit tick count, and the sender-report mapping from RTP time to the sender's NTP wallclock.

const WRAP = 0x1_0000_0000;

/** Extends 32-bit RTP timestamps to ticks since the first one seen (which maps to 0); goes back for B-frames. */
export class RtpTimestampUnwrapper {
  private last: number | undefined;
  private extended = 0;

  unwrap(timestamp: number): number {
    const ts = timestamp >>> 0;
    if (this.last === undefined) {
      this.last = ts;
      return 0;
    }
    this.extended += (ts - this.last + WRAP + 0x8000_0000) % WRAP - 0x8000_0000;
    this.last = ts;
    return this.extended;
  }

  reset(): void {
    this.last = undefined;
    this.extended = 0;
  }
}

export const NTP_UNIX_OFFSET_SEC = 2_208_988_800;

/** Maps RTP timestamps of one SSRC to the sender's wallclock (Unix ms), from the latest sender report. */
export class SenderReportClock {
  private ref: { rtp: number; unixMs: number } | undefined;

  constructor(private readonly clockRate: number) {}

  get synced(): boolean {
    return this.ref !== undefined;
  }

  onSenderReport(sr: Readonly<{ ntpSeconds: number; ntpFraction: number; rtpTimestamp: number }>): void {
    const unixMs = (sr.ntpSeconds - NTP_UNIX_OFFSET_SEC) * 1000 + (sr.ntpFraction / WRAP) * 1000;
    this.ref = { rtp: sr.rtpTimestamp >>> 0, unixMs };
  }

  /** The sender's wallclock for an RTP timestamp within ±2^31 ticks of the last SR, or undefined before any SR. */
  unixMsAt(rtpTimestamp: number): number | undefined {
    if (!this.ref) return undefined;
    const delta = ((rtpTimestamp >>> 0) - this.ref.rtp + WRAP + 0x8000_0000) % WRAP - 0x8000_0000;
    return this.ref.unixMs + (delta * 1000) / this.clockRate;
  }
}
