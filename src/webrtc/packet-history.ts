// The last packets sent on one SSRC, by sequence number, for answering NACKs (RFC 4585 §6.2.1): a fixed ring, so
// memory is bounded however many packets a receiver asks for, and a packet older than the ring is simply not resent.
export class PacketHistory {
  private readonly packets: Array<Uint8Array | undefined>;
  private readonly sequences: Int32Array;

  constructor(readonly capacity = 512) {
    this.packets = new Array<Uint8Array | undefined>(capacity);
    this.sequences = new Int32Array(capacity).fill(-1);
  }

  /** Remembers a plain RTP packet (sequence number in bytes 2-3). */
  add(packet: Uint8Array): void {
    const seq = (packet[2]! << 8) | packet[3]!;
    const at = seq % this.capacity;
    this.packets[at] = packet;
    this.sequences[at] = seq;
  }

  get(sequenceNumber: number): Uint8Array | undefined {
    const at = sequenceNumber % this.capacity;
    return this.sequences[at] === sequenceNumber ? this.packets[at] : undefined;
  }
}
