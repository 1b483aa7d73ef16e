// The last packets sent on one SSRC, by sequence number, for answering NACKs (RFC 4585 §6.2.1): a fixed ring, so
// memory is bounded however many packets a receiver asks for, and a packet older than the ring is simply not resent.
// Only each packet's 12-byte header is the viewer's own; the payload is the stream's shared packetization, kept by
// reference, so a viewer's history costs a few kilobytes however large the video packets are.
import { concatBytes, readUint16BE } from '../media/bytes.ts';

const RTP_HEADER_BYTES = 12;

export class PacketHistory {
  private readonly headers: Array<Uint8Array | undefined>;
  private readonly payloads: Array<Uint8Array | undefined>;
  private readonly sequences: Int32Array;

  constructor(readonly capacity = 512) {
    this.headers = new Array<Uint8Array | undefined>(capacity);
    this.payloads = new Array<Uint8Array | undefined>(capacity);
    this.sequences = new Int32Array(capacity).fill(-1);
  }

  /** Remembers a plain RTP packet without CSRCs or extension (as RtpStamper makes them) and its shared payload. */
  add(packet: Uint8Array, payload: Uint8Array): void {
    const seq = readUint16BE(packet, 2);
    const at = seq % this.capacity;
    this.headers[at] = packet.slice(0, RTP_HEADER_BYTES);
    this.payloads[at] = payload;
    this.sequences[at] = seq;
  }

  /** The packet as it was sent, or undefined once the ring has moved past it. */
  get(sequenceNumber: number): Uint8Array | undefined {
    const at = sequenceNumber % this.capacity;
    if (this.sequences[at] !== sequenceNumber) return undefined;
    return concatBytes([this.headers[at]!, this.payloads[at]!]);
  }
}
