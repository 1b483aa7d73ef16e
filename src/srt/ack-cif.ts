// ACK control information field (draft-sharabayko-srt-01 §3.2.4): a full ACK has seven words,
// a small ACK the first four, a light ACK only the last acknowledged sequence number.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { SEQ_MASK } from './constants.ts';
import type { AckCif, AckVariant } from './packet-types.ts';

export function decodeAckCif(cif: Uint8Array): { variant: AckVariant; ack: AckCif } {
  if (cif.length < 4) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: ACK body of ${cif.length} bytes`);
  const view = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  const lastAckSeq = view.getUint32(0);
  if (lastAckSeq & 0x8000_0000) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: ACK sequence number has bit 31 set');
  if (cif.length < 16) return { variant: 'light', ack: { lastAckSeq } };
  const small: AckCif = { lastAckSeq, rttUs: view.getUint32(4), rttVarUs: view.getUint32(8), availableBufferPackets: view.getUint32(12) };
  if (cif.length < 28) return { variant: 'small', ack: small };
  return {
    variant: 'full',
    ack: { ...small, packetsPerSecond: view.getUint32(16), linkCapacityPps: view.getUint32(20), receiveRateBps: view.getUint32(24) },
  };
}

export function encodeAckCif(variant: AckVariant, ack: AckCif): Uint8Array {
  const words = variant === 'light' ? 1 : variant === 'small' ? 4 : 7;
  const out = new Uint8Array(words * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, ack.lastAckSeq & SEQ_MASK);
  if (words === 1) return out;
  view.setUint32(4, (ack.rttUs ?? 0) >>> 0);
  view.setUint32(8, (ack.rttVarUs ?? 0) >>> 0);
  view.setUint32(12, (ack.availableBufferPackets ?? 0) >>> 0);
  if (words === 4) return out;
  view.setUint32(16, (ack.packetsPerSecond ?? 0) >>> 0);
  view.setUint32(20, (ack.linkCapacityPps ?? 0) >>> 0);
  view.setUint32(24, (ack.receiveRateBps ?? 0) >>> 0);
  return out;
}
