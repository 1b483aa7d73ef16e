// What a receiver reports back per source (RFC 3550 §6.4.1 report block fields, §A.3 loss, §A.8 interarrival jitter).
// Arrival times and "now" come from the caller, so this stays clock-free.
import type { ReportBlock } from './rtcp.ts';
import type { RtpSequenceTracker } from './rtp-sequence.ts';

/** Interarrival jitter in RTP timestamp units (RFC 3550 §A.8). */
export class JitterEstimator {
  private lastTransit: number | undefined;
  private jitter = 0;

  constructor(private readonly clockRate: number) {}

  /** `arrivalMs` from a monotonic clock the caller reads when the packet arrived. */
  onPacket(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const transit = arrival - (rtpTimestamp >>> 0);
    if (this.lastTransit !== undefined) {
      let d = Math.abs(transit - this.lastTransit);
      if (d > 0x8000_0000) d = Math.abs(d - 0x1_0000_0000); // the RTP timestamp wrapped between packets
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  get value(): number {
    return Math.floor(this.jitter);
  }
}

/** The last SR received from a source: its NTP time and when (caller's monotonic ms) it arrived. */
export type LastSenderReport = Readonly<{ ntpSeconds: number; ntpFraction: number; receivedAtMs: number }>;

export function receiverReportBlock(input: Readonly<{
  ssrc: number;
  sequence: RtpSequenceTracker;
  jitter: number;
  lastSr?: LastSenderReport;
  nowMs: number;
}>): ReportBlock {
  const lsr = input.lastSr ? (((input.lastSr.ntpSeconds & 0xffff) << 16) | (input.lastSr.ntpFraction >>> 16)) >>> 0 : 0;
  const dlsr = input.lastSr ? Math.max(0, Math.round(((input.nowMs - input.lastSr.receivedAtMs) / 1000) * 65536)) >>> 0 : 0;
  return {
    ssrc: input.ssrc >>> 0,
    fractionLost: input.sequence.takeFractionLost(),
    cumulativeLost: input.sequence.cumulativeLost,
    extendedHighestSeq: input.sequence.extendedHighest >>> 0,
    jitter: input.jitter >>> 0,
    lastSr: lsr,
    delaySinceLastSr: dlsr,
  };
}
