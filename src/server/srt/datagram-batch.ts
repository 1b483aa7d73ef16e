// Puts a poll's SRT packets for one peer on the wire in as few calls as it can: one sendmmsg
// (Bun's sendMany) per batch instead of a sendto per datagram, the data packets encoded into a
// scratch buffer that is reused, since the call has copied them into the kernel when it returns.
// At 200 SRT viewers half the engine's time was under the per-datagram sendto and another
// seventh in allocating and encoding each datagram (RESULTS, "SRT viewers after batched sends").
import { encodePacket, MAX_SRT_PACKET_BYTES, type SrtPacket } from '../../srt/index.ts';

/** Bun's sendMany on an unbound-peer socket: [datagram, port, address, ...]; returns datagrams sent. */
export type SendMany = (batch: readonly (Uint8Array | number | string)[]) => number;

export type BatchResult = {
  /** bytes of the datagrams the kernel took */
  bytes: number;
  /** datagrams the kernel did not take (a full buffer, or an earlier datagram's ICMP error) */
  failed: number;
};

/** A call carries at most this many bytes of datagrams (about 49 full ones). */
export const DEFAULT_BATCH_BYTES = 64 * 1024;

export class DatagramBatcher {
  private readonly scratch: Uint8Array;
  private used = 0;
  private readonly take = (size: number): Uint8Array => {
    const start = this.used;
    this.used += size;
    return this.scratch.subarray(start, this.used);
  };

  constructor(batchBytes = DEFAULT_BATCH_BYTES) {
    if (!Number.isInteger(batchBytes) || batchBytes < MAX_SRT_PACKET_BYTES) throw new RangeError(`a batch of ${batchBytes} bytes cannot hold an SRT datagram`);
    this.scratch = new Uint8Array(batchBytes);
  }

  send(packets: readonly SrtPacket[], address: string, port: number, sendMany: SendMany): BatchResult {
    const result: BatchResult = { bytes: 0, failed: 0 };
    const batch: (Uint8Array | number | string)[] = [];
    this.used = 0;
    for (const packet of packets) {
      if (this.used + MAX_SRT_PACKET_BYTES > this.scratch.byteLength) {
        this.flush(batch, sendMany, result);
        batch.length = 0;
        this.used = 0;
      }
      batch.push(encodePacket(packet, this.take), port, address);
    }
    this.flush(batch, sendMany, result);
    return result;
  }

  /** Sends one batch and adds what went, and what did not, to `result`. */
  private flush(batch: readonly (Uint8Array | number | string)[], sendMany: SendMany, result: BatchResult): void {
    const datagrams = batch.length / 3;
    if (datagrams === 0) return;
    let sent = 0;
    try {
      // fewer than all: the kernel buffer is full; SRT's retransmission covers a lost datagram
      sent = Math.max(0, Math.min(datagrams, sendMany(batch)));
    } catch {
      // ECONNREFUSED and the like: an earlier datagram's ICMP error, reported on this send; a
      // peer that is gone times out on its own, and no one else's traffic may fail with it
    }
    result.failed += datagrams - sent;
    for (let i = 0; i < sent; i++) result.bytes += (batch[i * 3] as Uint8Array).byteLength;
  }
}
