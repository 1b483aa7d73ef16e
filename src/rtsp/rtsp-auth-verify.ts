// RTSP server-side Digest verification (RFC 7616 §3.3 challenge, §3.4 response check; RFC 2326 §12.5/§12.44).
// The caller issues and remembers nonces and keeps only HA1 (never the password); comparisons are constant-time.
import { timingSafeEqual } from 'node:crypto';
import { parseAuthHeader, quote } from './auth-params.ts';
import { DigestAlgorithm, digestResponse } from './rtsp-auth.ts';

export type DigestVerifyInput = Readonly<{
  /** the Authorization header value */
  authorization: string;
  method: string;
  realm: string;
  /** true when the server issued this nonce and it is still fresh */
  nonceValid: (nonce: string) => boolean;
  /** HA1 = H(username:realm:password) for this algorithm, undefined for an unknown user */
  ha1For: (username: string, algorithm: DigestAlgorithm) => string | undefined;
}>;

export type DigestVerdict =
  | Readonly<{ ok: true; username: string }>
  | Readonly<{ ok: false; reason: 'not-digest' | 'malformed' | 'realm' | 'stale' | 'user' | 'response'; username?: string }>;

export function digestChallenge(realm: string, nonce: string, algorithm: DigestAlgorithm, opaque?: string): string {
  const parts = [`realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `algorithm=${algorithm}`];
  if (opaque !== undefined) parts.push(`opaque=${quote(opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyDigest(input: DigestVerifyInput): DigestVerdict {
  let parsed: ReturnType<typeof parseAuthHeader>;
  try {
    parsed = parseAuthHeader(input.authorization);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (parsed.scheme.toLowerCase() !== 'digest') return { ok: false, reason: 'not-digest' };
  const p = parsed.params;
  const username = p.get('username');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  if (username === undefined || nonce === undefined || uri === undefined || response === undefined) return { ok: false, reason: 'malformed' };
  const alg = (p.get('algorithm') ?? 'MD5').toUpperCase();
  const algorithm = alg === 'MD5' ? DigestAlgorithm.Md5 : alg === 'SHA-256' ? DigestAlgorithm.Sha256 : undefined;
  if (!algorithm) return { ok: false, reason: 'malformed', username };
  if ((p.get('realm') ?? '') !== input.realm) return { ok: false, reason: 'realm', username };
  if (!input.nonceValid(nonce)) return { ok: false, reason: 'stale', username };
  const qop = p.get('qop');
  let qopInput: { cnonce: string; nc: string } | undefined;
  if (qop !== undefined) {
    const cnonce = p.get('cnonce');
    const nc = p.get('nc');
    if (qop.toLowerCase() !== 'auth' || cnonce === undefined || nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc)) {
      return { ok: false, reason: 'malformed', username };
    }
    qopInput = { cnonce, nc };
  }
  const ha1 = input.ha1For(username, algorithm);
  // compute anyway for an unknown user so the timing does not tell which users exist
  const expected = digestResponse(algorithm, ha1 ?? '0'.repeat(64), nonce, input.method, uri, qopInput);
  const match = sameText(expected, response.toLowerCase());
  if (ha1 === undefined) return { ok: false, reason: 'user', username };
  return match ? { ok: true, username } : { ok: false, reason: 'response', username };
}
