// RTP fixed header codec (RFC 3550 §5.1): version, padding, extension (§5.3.1), CSRC list, marker, payload type,
// sequence number, timestamp, SSRC.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type RtpPacket = Readonly<{
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: readonly number[];
  extension?: Readonly<{ profile: number; data: Uint8Array }>;
  /** payload without padding; a view into the packet */
  payload: Uint8Array;
  /** padding byte count that was stripped (kept so a re-encode is identical) */
  paddingBytes: number;
}>;

const RTP_VERSION = 2;
export const RTP_HEADER_BYTES = 12;

function fail(code: ProtocolErrorCode, what: string): never {
  throw new ProtocolError(code, `RTP: ${what}`);
}

export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  if (bytes.length < RTP_HEADER_BYTES) fail(ProtocolErrorCode.Truncated, `${bytes.length} bytes`);
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  if (b0 >> 6 !== RTP_VERSION) fail(ProtocolErrorCode.Malformed, `version ${b0 >> 6}`);
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = RTP_HEADER_BYTES;
  if (bytes.length < at + csrcCount * 4) fail(ProtocolErrorCode.Truncated, 'CSRC list');
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++, at += 4) csrcs.push(view.getUint32(at));
  let extension: RtpPacket['extension'];
  if (hasExtension) {
    if (bytes.length < at + 4) fail(ProtocolErrorCode.Truncated, 'extension header');
    const profile = view.getUint16(at);
    const words = view.getUint16(at + 2);
    at += 4;
    if (bytes.length < at + words * 4) fail(ProtocolErrorCode.Truncated, 'extension data');
    extension = { profile, data: bytes.subarray(at, at + words * 4) };
    at += words * 4;
  }
  let end = bytes.length;
  let paddingBytes = 0;
  if (padding) {
    paddingBytes = bytes[bytes.length - 1]!;
    if (paddingBytes === 0 || end - paddingBytes < at) fail(ProtocolErrorCode.Malformed, `padding ${paddingBytes}`);
    end -= paddingBytes;
  }
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    ...(extension ? { extension } : {}),
    payload: bytes.subarray(at, end),
    paddingBytes,
  };
}

export type RtpPacketInit = Readonly<{
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  extension?: Readonly<{ profile: number; data: Uint8Array }>;
  payload: Uint8Array;
  paddingBytes?: number;
}>;

export function encodeRtpPacket(p: RtpPacketInit): Uint8Array {
  const csrcs = p.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError('RTP: more than 15 CSRCs');
  if (p.extension && p.extension.data.length % 4 !== 0) throw new RangeError('RTP: extension data not a multiple of 4 bytes');
  const paddingBytes = p.paddingBytes ?? 0;
  if (paddingBytes < 0 || paddingBytes > 255) throw new RangeError('RTP: padding');
  const extBytes = p.extension ? 4 + p.extension.data.length : 0;
  const size = RTP_HEADER_BYTES + csrcs.length * 4 + extBytes + p.payload.length + paddingBytes;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = (RTP_VERSION << 6) | (paddingBytes > 0 ? 0x20 : 0) | (p.extension ? 0x10 : 0) | csrcs.length;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  view.setUint16(2, p.sequenceNumber & 0xffff);
  view.setUint32(4, p.timestamp >>> 0);
  view.setUint32(8, p.ssrc >>> 0);
  let at = RTP_HEADER_BYTES;
  for (const c of csrcs) {
    view.setUint32(at, c >>> 0);
    at += 4;
  }
  if (p.extension) {
    view.setUint16(at, p.extension.profile);
    view.setUint16(at + 2, p.extension.data.length / 4);
    out.set(p.extension.data, at + 4);
    at += extBytes;
  }
  out.set(p.payload, at);
  if (paddingBytes > 0) out[size - 1] = paddingBytes;
  return out;
}

/** RTP and RTCP share a UDP port pair or interleaved channel pair; RTCP payload types are 200-204 (RFC 5761 §4). */
export function isRtcp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[1]! >= 192 && bytes[1]! <= 223;
}
