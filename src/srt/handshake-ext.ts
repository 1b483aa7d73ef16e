// Handshake extension bodies (draft-sharabayko-srt-01 §3.2.1.1 HSREQ/HSRSP, §3.2.1.3 SID; the
// congestion-control name is libsrt's SRT_CMD_CONGESTION, which the draft does not describe). libsrt byte-swaps every 32-bit word of a control packet's body on
// send, and copies strings in as bytes, so SID and congestion names travel with each 4-byte
// word reversed ("abcd" -> "dcba"); KM messages are pre-swapped and travel in order.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { ExtType } from './constants.ts';
import type { HandshakeExtension } from './packet-types.ts';

/** libsrt's limit on a stream id (SRT_STREAMID_MAX_LENGTH... 512 bytes). */
export const MAX_STREAM_ID_BYTES = 512;

export function decodeExtensionBody(code: number, body: Uint8Array): HandshakeExtension {
  switch (code) {
    case ExtType.HsReq:
    case ExtType.HsRsp: {
      if (body.length < 12) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: HSREQ/HSRSP of ${body.length} bytes`);
      const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const latency = view.getUint32(8);
      return {
        type: code === ExtType.HsReq ? 'hsreq' : 'hsrsp',
        srtVersion: view.getUint32(0),
        flags: view.getUint32(4),
        recvLatencyMs: latency >>> 16,
        sendLatencyMs: latency & 0xffff,
      };
    }
    case ExtType.KmReq:
      return { type: 'kmreq', body };
    case ExtType.KmRsp:
      return { type: 'kmrsp', body };
    case ExtType.Sid:
      if (body.length > MAX_STREAM_ID_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `srt: stream id of ${body.length} bytes`);
      return { type: 'sid', streamId: decodeSwappedString(body) };
    case ExtType.Congestion:
      return { type: 'congestion', name: decodeSwappedString(body) };
    default:
      return { type: 'other', code, body };
  }
}

export function encodeExtensionBody(ext: HandshakeExtension): { code: number; body: Uint8Array } {
  switch (ext.type) {
    case 'hsreq':
    case 'hsrsp': {
      const body = new Uint8Array(12);
      const view = new DataView(body.buffer);
      view.setUint32(0, ext.srtVersion >>> 0);
      view.setUint32(4, ext.flags >>> 0);
      view.setUint32(8, (((ext.recvLatencyMs & 0xffff) << 16) | (ext.sendLatencyMs & 0xffff)) >>> 0);
      return { code: ext.type === 'hsreq' ? ExtType.HsReq : ExtType.HsRsp, body };
    }
    case 'kmreq':
      return { code: ExtType.KmReq, body: ext.body };
    case 'kmrsp':
      return { code: ExtType.KmRsp, body: ext.body };
    case 'sid': {
      const body = encodeSwappedString(ext.streamId);
      if (body.length > MAX_STREAM_ID_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `srt: stream id of ${body.length} bytes`);
      return { code: ExtType.Sid, body };
    }
    case 'congestion':
      return { code: ExtType.Congestion, body: encodeSwappedString(ext.name) };
    case 'other':
      return { code: ext.code, body: ext.body };
  }
}

/** Reverses each 4-byte word, then drops the NUL padding. */
export function decodeSwappedString(body: Uint8Array): string {
  if (body.length % 4 !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: string extension is not whole words');
  const bytes = swapWords(body);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: string extension is not UTF-8');
  }
}

export function encodeSwappedString(text: string): Uint8Array {
  const raw = new TextEncoder().encode(text);
  const padded = new Uint8Array(Math.ceil(raw.length / 4) * 4);
  padded.set(raw);
  return swapWords(padded);
}

function swapWords(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3] ?? 0;
    out[i + 1] = bytes[i + 2] ?? 0;
    out[i + 2] = bytes[i + 1] ?? 0;
    out[i + 3] = bytes[i] ?? 0;
  }
  return out;
}
