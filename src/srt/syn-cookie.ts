// SYN cookies for the listener's induction (draft-sharabayko-srt-01 §4.3.1): the cookie is
// a keyed hash of the peer address and a coarse time bucket, so the listener keeps no state
// for a caller until the caller echoes a valid cookie in its conclusion.
import { createHmac } from 'node:crypto';

/** One bucket per minute, as libsrt; the previous bucket is still accepted. */
export const COOKIE_BUCKET_US = 60_000_000;

export function synCookie(secret: Uint8Array, peerAddress: string, peerPort: number, nowUs: number, bucketOffset = 0): number {
  const bucket = Math.floor(nowUs / COOKIE_BUCKET_US) + bucketOffset;
  const mac = createHmac('sha256', secret).update(`${peerAddress}|${peerPort}|${bucket}`).digest();
  return mac.readUInt32BE(0);
}

export function isValidSynCookie(secret: Uint8Array, peerAddress: string, peerPort: number, nowUs: number, cookie: number): boolean {
  // Plain comparisons: a 32-bit cookie is a token of reachability, not a secret that timing leaks.
  return synCookie(secret, peerAddress, peerPort, nowUs) === cookie >>> 0 || synCookie(secret, peerAddress, peerPort, nowUs, -1) === cookie >>> 0;
}
