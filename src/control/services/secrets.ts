// Random secrets, hashes and constant-time comparison shared by keys, tokens, sessions and URLs.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../shared/constant-time.ts';

/** `bytes` random bytes as base64url (URL-safe: fits a stream key or a query value) */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomHex(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}

/** SHA-256 hex: enough for high-entropy random secrets (keys, tokens, session ids) */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function hmacSha256Hex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

export { constantTimeEqual };

/** A new prefixed secret (`weir_…`, `wsk_…`): the plain value (shown once), its hash and its display prefix (both stored). */
export type MintedSecret = Readonly<{ secret: string; hash: string; displayPrefix: string }>;

export function mintSecret(prefix: string, displayChars: number): MintedSecret {
  const secret = prefix + randomToken(32);
  return { secret, hash: sha256Hex(secret), displayPrefix: secret.slice(0, prefix.length + displayChars) };
}

/** the last candidate whose stored hash is the presented secret's, comparing every one without stopping early */
export function matchHashed<T>(secret: string, candidates: Iterable<T>, hashOf: (candidate: T) => string): T | null {
  const presented = sha256Hex(secret);
  let found: T | null = null;
  for (const candidate of candidates) {
    if (constantTimeEqual(presented, hashOf(candidate))) found = candidate;
  }
  return found;
}
