// Random secrets, hashes and constant-time comparison shared by keys, tokens, sessions and URLs.
import { createHash, createHmac, randomBytes } from 'node:crypto';

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

export { constantTimeEqual } from '../../shared/constant-time.ts';
