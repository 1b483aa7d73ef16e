// The one comparison of secrets (tokens, keys, signatures, the engine secret) for both
// processes. Both sides are hashed first, so the time taken depends neither on where the
// strings differ nor on whether their lengths do.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;
}

/** The same for bytes (a DTLS Finished's verify_data): equal lengths are public there. */
export function constantTimeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
