// SRT packet codec entry (draft-sharabayko-srt-01 §3): the F bit picks data (§3.1) or control
// (§3.2); a control header is F=1 | type(15) | subtype(16) ; type-specific ; timestamp ; dest id.
import { type ByteAllocator, newBytes } from '../shared/byte-allocator.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { ControlType, MSGNO_MASK, SEQ_MASK, SRT_HEADER_BYTES } from './constants.ts';
import { decodeAckCif, encodeAckCif } from './ack-cif.ts';
import { decodeDataPacket, encodeDataPacket } from './data-packet.ts';
import { decodeHandshakeCif, encodeHandshakeCif } from './handshake-packet.ts';
import { decodeLossList, encodeLossList } from './loss-list.ts';
import type { SrtControlPacket, SrtPacket } from './packet-types.ts';

/** UDP payloads over this are not SRT (libsrt's largest MSS is 1500). */
export const MAX_SRT_PACKET_BYTES = 1500;
/** libsrt sends one padding word in control packets that carry no information. */
const PAD = new Uint8Array(4);

export function isControlPacket(bytes: Uint8Array): boolean {
  return bytes.length > 0 && ((bytes[0] ?? 0) & 0x80) !== 0;
}

export function decodePacket(bytes: Uint8Array): SrtPacket {
  if (bytes.length < SRT_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: packet of ${bytes.length} bytes`);
  if (bytes.length > MAX_SRT_PACKET_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `srt: packet of ${bytes.length} bytes`);
  return isControlPacket(bytes) ? decodeControlPacket(bytes) : decodeDataPacket(bytes);
}

export function decodeControlPacket(bytes: Uint8Array): SrtControlPacket {
  if (bytes.length < SRT_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: packet of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w0 = view.getUint32(0);
  if (!(w0 & 0x8000_0000)) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: data packet given to the control decoder');
  const controlType = (w0 >>> 16) & 0x7fff;
  const subtype = w0 & 0xffff;
  const info = view.getUint32(4);
  const header = { timestampUs: view.getUint32(8), destSocketId: view.getUint32(12) };
  const cif = bytes.subarray(SRT_HEADER_BYTES);
  switch (controlType) {
    case ControlType.Handshake:
      return { ...header, type: 'handshake', handshake: decodeHandshakeCif(cif) };
    case ControlType.Keepalive:
      return { ...header, type: 'keepalive' };
    case ControlType.Ack: {
      const { variant, ack } = decodeAckCif(cif);
      return { ...header, type: 'ack', ackNumber: info, variant, ack };
    }
    case ControlType.Nak:
      return { ...header, type: 'nak', losses: decodeLossList(cif) };
    case ControlType.CongestionWarning:
      return { ...header, type: 'congestion-warning' };
    case ControlType.Shutdown:
      return { ...header, type: 'shutdown' };
    case ControlType.AckAck:
      return { ...header, type: 'ackack', ackNumber: info };
    case ControlType.DropReq: {
      if (cif.length < 8) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: drop request body of ${cif.length} bytes`);
      const cv = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
      return { ...header, type: 'dropreq', messageNumber: info & MSGNO_MASK, firstSeq: cv.getUint32(0) & SEQ_MASK, lastSeq: cv.getUint32(4) & SEQ_MASK };
    }
    case ControlType.PeerError:
      return { ...header, type: 'peer-error', errorCode: info };
    case ControlType.UserDefined:
      return { ...header, type: 'user', subtype, body: cif };
    default:
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `srt: unknown control type 0x${controlType.toString(16)}`);
  }
}

/** A packet's datagram; data packets take their bytes from `allocate` (control packets are rare and allocate their own). */
export function encodePacket(p: SrtPacket, allocate: ByteAllocator = newBytes): Uint8Array {
  if (p.type === 'data') return encodeDataPacket(p, allocate);
  let controlType: number;
  let subtype = 0;
  let info = 0;
  let cif: Uint8Array = PAD;
  // One case a control type, alike in shape: each sets its own type, info field and CIF.
  switch (p.type) {
    case 'handshake':
      controlType = ControlType.Handshake;
      cif = encodeHandshakeCif(p.handshake);
      break;
    case 'keepalive':
      controlType = ControlType.Keepalive;
      break;
    case 'ack':
      controlType = ControlType.Ack;
      info = p.ackNumber;
      cif = encodeAckCif(p.variant, p.ack);
      break;
    case 'nak':
      controlType = ControlType.Nak;
      cif = encodeLossList(p.losses);
      break;
    case 'congestion-warning':
      controlType = ControlType.CongestionWarning;
      break;
    case 'shutdown':
      controlType = ControlType.Shutdown;
      break;
    case 'ackack':
      controlType = ControlType.AckAck;
      info = p.ackNumber;
      break;
    case 'dropreq': {
      controlType = ControlType.DropReq;
      info = p.messageNumber & MSGNO_MASK;
      cif = new Uint8Array(8);
      const cv = new DataView(cif.buffer);
      cv.setUint32(0, p.firstSeq & SEQ_MASK);
      cv.setUint32(4, p.lastSeq & SEQ_MASK);
      break;
    }
    case 'peer-error':
      controlType = ControlType.PeerError;
      info = p.errorCode;
      break;
    case 'user':
      controlType = ControlType.UserDefined;
      subtype = p.subtype;
      cif = p.body;
      break;
  }
  const out = new Uint8Array(SRT_HEADER_BYTES + cif.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (0x8000_0000 | ((controlType & 0x7fff) << 16) | (subtype & 0xffff)) >>> 0);
  view.setUint32(4, info >>> 0);
  view.setUint32(8, p.timestampUs >>> 0);
  view.setUint32(12, p.destSocketId >>> 0);
  out.set(cif, SRT_HEADER_BYTES);
  return out;
}
