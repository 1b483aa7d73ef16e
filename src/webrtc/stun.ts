// STUN messages as ICE connectivity checks use them (RFC 8489 §5-§6, §14; RFC 8445 §7.2.2, §16.1): the header,
// attributes, MESSAGE-INTEGRITY (HMAC-SHA1 under the short-term password) and FINGERPRINT, in both directions.
import { readUint16BE, readUint32BE } from '../media/bytes.ts';
import { createHmac } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { crc32 } from './crc32.ts';

export const STUN_MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;
const FINGERPRINT_XOR = 0x5354554e;
/** Attributes an ICE check carries; the larger the message, the likelier it is garbage. */
export const STUN_MAX_MESSAGE_BYTES = 1500;

// StunAttr and the message types are alike in shape to remux/mp4-box-types.ts's flag tables and rtsp/sdp.ts's types:
// declarations only.
export const StunClass = { Request: 0, Indication: 1, Success: 2, Error: 3 } as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

export const StunMethod = { Binding: 0x001 } as const;

export const StunAttr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  XorMappedAddress: 0x0020,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  Software: 0x8022,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;

export type StunAttribute = Readonly<{ type: number; value: Uint8Array }>;

export type StunMessage = Readonly<{
  cls: StunClass;
  method: number;
  transactionId: Uint8Array;
  attributes: readonly StunAttribute[];
  /** offset of MESSAGE-INTEGRITY in the message, for checking it; undefined when absent */
  integrityAt?: number;
  /** offset of FINGERPRINT; undefined when absent */
  fingerprintAt?: number;
  /** the whole message as received (a view) */
  raw: Uint8Array;
}>;

function fail(code: ProtocolErrorCode, what: string): never {
  throw new ProtocolError(code, `STUN: ${what}`);
}

/** RFC 7983 §7: the first byte of a STUN message is 0-3 (DTLS 20-63, RTP/RTCP 128-191). */
export function looksLikeStun(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_BYTES && bytes[0]! < 4 && readUint32BE(bytes, 4) === STUN_MAGIC_COOKIE;
}

export function parseStunMessage(bytes: Uint8Array): StunMessage {
  if (bytes.length < HEADER_BYTES) fail(ProtocolErrorCode.Truncated, `${bytes.length} bytes`);
  if (bytes.length > STUN_MAX_MESSAGE_BYTES) fail(ProtocolErrorCode.TooLarge, `${bytes.length} bytes`);
  const type = readUint16BE(bytes, 0);
  if (type & 0xc000) fail(ProtocolErrorCode.Malformed, 'first two bits not zero');
  const length = readUint16BE(bytes, 2);
  if (length % 4 !== 0) fail(ProtocolErrorCode.Malformed, `length ${length} not a multiple of 4`);
  if (HEADER_BYTES + length !== bytes.length) fail(ProtocolErrorCode.Truncated, `length ${length} for ${bytes.length - HEADER_BYTES} bytes of body`);
  if (readUint32BE(bytes, 4) !== STUN_MAGIC_COOKIE) fail(ProtocolErrorCode.Malformed, 'no magic cookie');
  const cls = (((type >> 7) & 0x2) | ((type >> 4) & 0x1)) as StunClass;
  const method = (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
  const attributes: StunAttribute[] = [];
  let integrityAt: number | undefined;
  let fingerprintAt: number | undefined;
  let at = HEADER_BYTES;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) fail(ProtocolErrorCode.Truncated, 'attribute header');
    const attrType = readUint16BE(bytes, at);
    const attrLength = readUint16BE(bytes, at + 2);
    const end = at + 4 + attrLength;
    if (end > bytes.length) fail(ProtocolErrorCode.Truncated, `attribute 0x${attrType.toString(16)} of ${attrLength} bytes`);
    // §14.7: nothing may follow FINGERPRINT; §14.5: only FINGERPRINT may follow MESSAGE-INTEGRITY
    if (fingerprintAt !== undefined) fail(ProtocolErrorCode.Malformed, 'attribute after FINGERPRINT');
    if (integrityAt !== undefined && attrType !== StunAttr.Fingerprint) fail(ProtocolErrorCode.Malformed, 'attribute after MESSAGE-INTEGRITY');
    if (attrType === StunAttr.MessageIntegrity) {
      if (attrLength !== 20) fail(ProtocolErrorCode.Malformed, `MESSAGE-INTEGRITY of ${attrLength} bytes`);
      integrityAt = at;
    } else if (attrType === StunAttr.Fingerprint) {
      if (attrLength !== 4) fail(ProtocolErrorCode.Malformed, `FINGERPRINT of ${attrLength} bytes`);
      fingerprintAt = at;
    }
    attributes.push({ type: attrType, value: bytes.subarray(at + 4, end) });
    at = end + ((4 - (attrLength % 4)) % 4);
  }
  if (at !== bytes.length) fail(ProtocolErrorCode.Truncated, 'attribute padding');
  return {
    cls,
    method,
    transactionId: bytes.subarray(8, HEADER_BYTES),
    attributes,
    ...(integrityAt !== undefined ? { integrityAt } : {}),
    ...(fingerprintAt !== undefined ? { fingerprintAt } : {}),
    raw: bytes,
  };
}

export function stunAttribute(message: StunMessage, type: number): Uint8Array | undefined {
  return message.attributes.find((a) => a.type === type)?.value;
}

/** FINGERPRINT present and right (§14.7); false when absent or wrong. */
export function checkFingerprint(message: StunMessage): boolean {
  const at = message.fingerprintAt;
  if (at === undefined) return false;
  const covered = withLength(message.raw.subarray(0, at), at + 8 - HEADER_BYTES);
  return ((crc32(covered) ^ FINGERPRINT_XOR) >>> 0) === readUint32BE(message.raw, at + 4);
}

/** MESSAGE-INTEGRITY present and made with `key` (§14.5; for ICE the key is the password itself, §9.2.2). */
export function checkIntegrity(message: StunMessage, key: Uint8Array): boolean {
  const at = message.integrityAt;
  if (at === undefined) return false;
  const covered = withLength(message.raw.subarray(0, at), at + 24 - HEADER_BYTES);
  const expected = createHmac('sha1', key).update(covered).digest();
  const got = message.raw.subarray(at + 4, at + 24);
  let diff = 0;
  for (let i = 0; i < 20; i++) diff |= expected[i]! ^ got[i]!;
  return diff === 0;
}

export type StunEncodeInit = Readonly<{
  cls: StunClass;
  method: number;
  transactionId: Uint8Array;
  attributes: readonly StunAttribute[];
  /** adds MESSAGE-INTEGRITY under this key */
  integrityKey?: Uint8Array;
  fingerprint?: boolean;
}>;

export function encodeStunMessage(init: StunEncodeInit): Uint8Array {
  if (init.transactionId.length !== 12) throw new RangeError('STUN: transaction id must be 12 bytes');
  const parts: Uint8Array[] = [];
  let body = 0;
  for (const a of init.attributes) {
    const padded = a.value.length + ((4 - (a.value.length % 4)) % 4);
    const out = new Uint8Array(4 + padded);
    out[0] = a.type >> 8;
    out[1] = a.type & 0xff;
    out[2] = a.value.length >> 8;
    out[3] = a.value.length & 0xff;
    out.set(a.value, 4);
    parts.push(out);
    body += out.length;
  }
  const total = HEADER_BYTES + body + (init.integrityKey ? 24 : 0) + (init.fingerprint ? 8 : 0);
  const out = new Uint8Array(total);
  const m = init.method;
  const c = init.cls;
  const type = (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | ((c & 0x1) << 4) | ((c & 0x2) << 7);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  writeU32(out, 4, STUN_MAGIC_COOKIE);
  out.set(init.transactionId, 8);
  let at = HEADER_BYTES;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  if (init.integrityKey) {
    setLength(out, at + 24 - HEADER_BYTES);
    const mac = createHmac('sha1', init.integrityKey).update(out.subarray(0, at)).digest();
    out[at] = StunAttr.MessageIntegrity >> 8;
    out[at + 1] = StunAttr.MessageIntegrity & 0xff;
    out[at + 3] = 20;
    out.set(mac, at + 4);
    at += 24;
  }
  if (init.fingerprint) {
    setLength(out, at + 8 - HEADER_BYTES);
    const crc = (crc32(out.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
    out[at] = StunAttr.Fingerprint >> 8;
    out[at + 1] = StunAttr.Fingerprint & 0xff;
    out[at + 3] = 4;
    writeU32(out, at + 4, crc);
    at += 8;
  }
  setLength(out, at - HEADER_BYTES);
  return out;
}

export type TransportAddress = Readonly<{ family: 'IPv4' | 'IPv6'; address: string; port: number }>;

/** XOR-MAPPED-ADDRESS value (§14.2). */
export function encodeXorMappedAddress(addr: TransportAddress, transactionId: Uint8Array): Uint8Array {
  const ip = addr.family === 'IPv4' ? parseIpv4(addr.address) : parseIpv6(addr.address);
  const out = new Uint8Array(4 + ip.length);
  out[1] = addr.family === 'IPv4' ? 0x01 : 0x02;
  const xport = addr.port ^ (STUN_MAGIC_COOKIE >>> 16);
  out[2] = xport >> 8;
  out[3] = xport & 0xff;
  const mask = new Uint8Array(16);
  writeU32(mask, 0, STUN_MAGIC_COOKIE);
  mask.set(transactionId, 4);
  for (let i = 0; i < ip.length; i++) out[4 + i] = ip[i]! ^ mask[i]!;
  return out;
}

export function decodeXorMappedAddress(value: Uint8Array, transactionId: Uint8Array): TransportAddress {
  if (value.length < 4) fail(ProtocolErrorCode.Truncated, 'XOR-MAPPED-ADDRESS');
  const family = value[1] === 0x01 ? 'IPv4' : value[1] === 0x02 ? 'IPv6' : fail(ProtocolErrorCode.Malformed, `address family ${value[1]}`);
  const size = family === 'IPv4' ? 4 : 16;
  if (value.length !== 4 + size) fail(ProtocolErrorCode.Malformed, 'XOR-MAPPED-ADDRESS length');
  const port = readUint16BE(value, 2) ^ (STUN_MAGIC_COOKIE >>> 16);
  const mask = new Uint8Array(16);
  writeU32(mask, 0, STUN_MAGIC_COOKIE);
  mask.set(transactionId, 4);
  const ip = Array.from({ length: size }, (_, i) => value[4 + i]! ^ mask[i]!);
  const address =
    family === 'IPv4'
      ? ip.join('.')
      : Array.from({ length: 8 }, (_, i) => ((ip[2 * i]! << 8) | ip[2 * i + 1]!).toString(16)).join(':');
  return { family, address, port };
}

function parseIpv4(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${address}`);
  return Uint8Array.from(parts);
}

function parseIpv6(address: string): Uint8Array {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...parseIpv4(v4[1]!)]);
  const [head, tail] = address.split('::') as [string, string | undefined];
  const words = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new RangeError(`not an IPv6 address: ${address}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function withLength(prefix: Uint8Array, length: number): Uint8Array {
  const copy = prefix.slice();
  setLength(copy, length);
  return copy;
}

function setLength(out: Uint8Array, length: number): void {
  out[2] = length >> 8;
  out[3] = length & 0xff;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
