// Digest ("Flash"/"complex") handshake helpers: Genuine FMS/FP keys, digest offset schemes 0 and 1, HMAC-SHA256 signatures (RTMP 1.0 §5.2 extension as implemented by Flash Player, FMS, librtmp and ffmpeg).
import { createHmac } from 'node:crypto';

export const HANDSHAKE_PACKET_BYTES = 1536;
export const DIGEST_BYTES = 32;

/** Shared 32-byte tail of both Genuine keys. */
const KEY_TAIL = [
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d,
  0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));

/** "Genuine Adobe Flash Media Server 001" + tail (68 bytes); the first 36 bytes sign S1. */
export const GENUINE_FMS_KEY = Uint8Array.from([...ascii('Genuine Adobe Flash Media Server 001'), ...KEY_TAIL]);
export const GENUINE_FMS_KEY_PART_BYTES = 36;
/** "Genuine Adobe Flash Player 001" + tail (62 bytes); the first 30 bytes sign C1. */
export const GENUINE_FP_KEY = Uint8Array.from([...ascii('Genuine Adobe Flash Player 001'), ...KEY_TAIL]);
export const GENUINE_FP_KEY_PART_BYTES = 30;

/** Where the digest sits in C1/S1: scheme 0 (offset bytes 8..11) or scheme 1 (offset bytes 772..775). */
export const DigestScheme = { Scheme0: 0, Scheme1: 1 } as const;
export type DigestScheme = (typeof DigestScheme)[keyof typeof DigestScheme];

const SCHEME_LAYOUT = {
  [DigestScheme.Scheme0]: { offsetAt: 8, base: 12 },
  [DigestScheme.Scheme1]: { offsetAt: 772, base: 776 },
} as const;
const OFFSET_MODULUS = 728;

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return new Uint8Array(hmac.digest());
}

/** Offset of the 32-byte digest inside a 1536-byte C1/S1 under `scheme`. */
export function digestOffset(packet: Uint8Array, scheme: DigestScheme): number {
  const { offsetAt, base } = SCHEME_LAYOUT[scheme];
  const sum = packet[offsetAt]! + packet[offsetAt + 1]! + packet[offsetAt + 2]! + packet[offsetAt + 3]!;
  return (sum % OFFSET_MODULUS) + base;
}

/** HMAC over the packet with the 32 digest bytes at `offset` left out. */
function packetDigest(packet: Uint8Array, offset: number, key: Uint8Array): Uint8Array {
  return hmacSha256(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_BYTES));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Writes the digest into `packet` (1536 bytes) in place; returns the digest. */
export function imprintDigest(packet: Uint8Array, scheme: DigestScheme, key: Uint8Array): Uint8Array {
  const offset = digestOffset(packet, scheme);
  const digest = packetDigest(packet, offset, key);
  packet.set(digest, offset);
  return digest;
}

/** Finds a valid digest under scheme 0 or 1; returns the scheme and digest, or null if neither validates. */
export function findDigest(packet: Uint8Array, key: Uint8Array): { scheme: DigestScheme; digest: Uint8Array } | null {
  if (packet.length !== HANDSHAKE_PACKET_BYTES) return null;
  for (const scheme of [DigestScheme.Scheme0, DigestScheme.Scheme1]) {
    const offset = digestOffset(packet, scheme);
    const expected = packetDigest(packet, offset, key);
    if (equalBytes(expected, packet.subarray(offset, offset + DIGEST_BYTES))) {
      return { scheme, digest: packet.slice(offset, offset + DIGEST_BYTES) };
    }
  }
  return null;
}

/**
 * Signs a C2/S2 in place: the last 32 bytes become HMAC(HMAC(fullKey, peerDigest), packet[0..1504]).
 * S2 uses the full FMS key and C1's digest; C2 uses the full FP key and S1's digest.
 */
export function signResponse(packet: Uint8Array, fullKey: Uint8Array, peerDigest: Uint8Array): void {
  const key = hmacSha256(fullKey, peerDigest);
  const signed = HANDSHAKE_PACKET_BYTES - DIGEST_BYTES;
  packet.set(hmacSha256(key, packet.subarray(0, signed)), signed);
}

/** Checks a C2/S2 signature made by `signResponse`. */
export function verifyResponse(packet: Uint8Array, fullKey: Uint8Array, ownDigest: Uint8Array): boolean {
  if (packet.length !== HANDSHAKE_PACKET_BYTES) return false;
  const key = hmacSha256(fullKey, ownDigest);
  const signed = HANDSHAKE_PACKET_BYTES - DIGEST_BYTES;
  return equalBytes(hmacSha256(key, packet.subarray(0, signed)), packet.subarray(signed));
}
