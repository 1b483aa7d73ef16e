// Data packet header codec (draft-sharabayko-srt-01 §3.1): F=0 | seq(31) ; PP(2) O(1) KK(2)
// R(1) msgno(26) ; timestamp ; destination socket id ; payload.
import { type ByteAllocator, newBytes } from '../shared/byte-allocator.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { MSGNO_MASK, SEQ_MASK, SRT_HEADER_BYTES, type DataKeyFlag, type PacketPosition } from './constants.ts';
import type { SrtDataPacket } from './packet-types.ts';

export function decodeDataPacket(bytes: Uint8Array): SrtDataPacket {
  if (bytes.length < SRT_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: packet of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w0 = view.getUint32(0);
  if (w0 & 0x8000_0000) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: control packet given to the data decoder');
  const w1 = view.getUint32(4);
  return {
    type: 'data',
    seq: w0 & SEQ_MASK,
    position: (w1 >>> 30) as PacketPosition,
    inOrder: ((w1 >>> 29) & 1) === 1,
    keyFlag: ((w1 >>> 27) & 3) as DataKeyFlag,
    retransmitted: ((w1 >>> 26) & 1) === 1,
    messageNumber: w1 & MSGNO_MASK,
    timestampUs: view.getUint32(8),
    destSocketId: view.getUint32(12),
    payload: bytes.subarray(SRT_HEADER_BYTES),
  };
}

/** The datagram of a data packet, in bytes from `allocate` (a transport may pass a reused scratch). */
export function encodeDataPacket(p: SrtDataPacket, allocate: ByteAllocator = newBytes): Uint8Array {
  const size = SRT_HEADER_BYTES + p.payload.length;
  const out = allocate(size);
  if (out.byteLength !== size) throw new RangeError(`an SRT data packet of ${size} bytes does not fit a buffer of ${out.byteLength}`);
  const view = new DataView(out.buffer, out.byteOffset, size);
  view.setUint32(0, p.seq & SEQ_MASK);
  const w1 =
    ((p.position & 3) << 30) | ((p.inOrder ? 1 : 0) << 29) | ((p.keyFlag & 3) << 27) | ((p.retransmitted ? 1 : 0) << 26) | (p.messageNumber & MSGNO_MASK);
  view.setUint32(4, w1 >>> 0);
  view.setUint32(8, p.timestampUs >>> 0);
  view.setUint32(12, p.destSocketId >>> 0);
  out.set(p.payload, SRT_HEADER_BYTES);
  return out;
}
