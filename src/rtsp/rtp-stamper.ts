// The per-stream RTP header step (RFC 3550 §5.1): sequence numbers, SSRC, payload type and a random timestamp
// offset (chosen by the caller, §5.1 "should be random") applied to shared packetized frames.
import type { PacketizedFrame } from './packetize.ts';
import { encodeRtpPacket } from './rtp-packet.ts';

export type RtpStamperInit = Readonly<{ ssrc: number; payloadType: number; initialSequence: number; timestampOffset: number }>;

export class RtpStamper {
  private seq: number;
  packetCount = 0;
  octetCount = 0;
  /** the last RTP timestamp sent, for sender reports */
  lastTimestamp: number | undefined;

  constructor(private readonly init: RtpStamperInit) {
    this.seq = init.initialSequence & 0xffff;
  }

  get nextSequence(): number {
    return this.seq;
  }

  /** RTP timestamp of a media time in codec clock ticks. */
  timestampOf(rtpTime: number): number {
    return (this.init.timestampOffset + rtpTime) >>> 0;
  }

  stamp(frame: PacketizedFrame): Uint8Array[] {
    return frame.chunks.map((c) => {
      const timestamp = this.timestampOf(frame.rtpTime + c.timestampDelta);
      const packet = encodeRtpPacket({
        marker: c.marker,
        payloadType: this.init.payloadType,
        sequenceNumber: this.seq,
        timestamp,
        ssrc: this.init.ssrc,
        payload: c.payload,
      });
      this.seq = (this.seq + 1) & 0xffff;
      this.packetCount++;
      this.octetCount += c.payload.length;
      this.lastTimestamp = timestamp;
      return packet;
    });
  }
}
