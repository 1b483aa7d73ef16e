// Handshake control information field (draft-sharabayko-srt-01 §3.2.1): ten fixed words plus
// the 128-bit peer IP, followed by HSv5 extensions, each a type(16) | length-in-words(16) header.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { SEQ_MASK } from './constants.ts';
import { decodeExtensionBody, encodeExtensionBody } from './handshake-ext.ts';
import type { HandshakeCif, HandshakeExtension } from './packet-types.ts';
import { decodePeerIp, encodePeerIp } from './peer-ip.ts';

export const HANDSHAKE_CIF_BYTES = 48;
/** More than any honest handshake carries; bounds work on hostile input. */
const MAX_EXTENSIONS = 16;

export function decodeHandshakeCif(cif: Uint8Array): HandshakeCif {
  if (cif.length < HANDSHAKE_CIF_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: handshake body of ${cif.length} bytes`);
  const view = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  const extensions: HandshakeExtension[] = [];
  let at = HANDSHAKE_CIF_BYTES;
  while (at + 4 <= cif.length) {
    if (extensions.length >= MAX_EXTENSIONS) throw new ProtocolError(ProtocolErrorCode.TooLarge, 'srt: too many handshake extensions');
    const code = view.getUint16(at);
    const lengthBytes = view.getUint16(at + 2) * 4;
    at += 4;
    if (at + lengthBytes > cif.length) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: handshake extension ${code} runs past the packet`);
    extensions.push(decodeExtensionBody(code, cif.subarray(at, at + lengthBytes)));
    at += lengthBytes;
  }
  const initialSeq = view.getUint32(8);
  if (initialSeq & 0x8000_0000) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: initial sequence number has bit 31 set');
  return {
    version: view.getUint32(0),
    encryptionField: view.getUint16(4),
    extensionField: view.getUint16(6),
    initialSeq,
    mtu: view.getUint32(12),
    flowWindow: view.getUint32(16),
    handshakeType: view.getUint32(20),
    socketId: view.getUint32(24),
    synCookie: view.getUint32(28),
    peerIp: decodePeerIp(cif.subarray(32, 48)),
    extensions,
  };
}

export function encodeHandshakeCif(hs: HandshakeCif): Uint8Array {
  const bodies = hs.extensions.map(encodeExtensionBody);
  const size = HANDSHAKE_CIF_BYTES + bodies.reduce((n, e) => n + 4 + Math.ceil(e.body.length / 4) * 4, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, hs.version >>> 0);
  view.setUint16(4, hs.encryptionField & 0xffff);
  view.setUint16(6, hs.extensionField & 0xffff);
  view.setUint32(8, hs.initialSeq & SEQ_MASK);
  view.setUint32(12, hs.mtu >>> 0);
  view.setUint32(16, hs.flowWindow >>> 0);
  view.setUint32(20, hs.handshakeType >>> 0);
  view.setUint32(24, hs.socketId >>> 0);
  view.setUint32(28, hs.synCookie >>> 0);
  out.set(encodePeerIp(hs.peerIp), 32);
  let at = HANDSHAKE_CIF_BYTES;
  for (const e of bodies) {
    const words = Math.ceil(e.body.length / 4);
    view.setUint16(at, e.code);
    view.setUint16(at + 2, words);
    out.set(e.body, at + 4);
    at += 4 + words * 4;
  }
  return out;
}
