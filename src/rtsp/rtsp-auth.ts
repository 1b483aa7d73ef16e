// RTSP client authentication: WWW-Authenticate challenges and Authorization credentials, Basic (RFC 7617) and
// Digest (RFC 7616 §3.3-§3.4, RFC 2617 §3.2) with MD5 or SHA-256, qop=auth with cnonce and nc.
import { createHash } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { parseAuthHeader, quote } from './auth-params.ts';

export const DigestAlgorithm = { Md5: 'MD5', Sha256: 'SHA-256' } as const;
export type DigestAlgorithm = (typeof DigestAlgorithm)[keyof typeof DigestAlgorithm];

export type AuthChallenge =
  | Readonly<{ scheme: 'basic'; realm: string }>
  | Readonly<{
      scheme: 'digest';
      realm: string;
      nonce: string;
      opaque?: string;
      algorithm: DigestAlgorithm;
      /** "auth" when the server offers it; undefined for RFC 2069 style digests */
      qop?: 'auth';
      stale: boolean;
    }>;

export type Credentials = Readonly<{ username: string; password: string }>;

const HASH_NAME: Readonly<Record<DigestAlgorithm, string>> = { MD5: 'md5', 'SHA-256': 'sha256' };

export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(HASH_NAME[algorithm]).update(text, 'utf8').digest('hex');
}

/** Parses one WWW-Authenticate value; undefined for schemes we do not speak (or algorithms like SHA-512-256). */
export function parseChallenge(value: string): AuthChallenge | undefined {
  const { scheme, params } = parseAuthHeader(value);
  const s = scheme.toLowerCase();
  if (s === 'basic') return { scheme: 'basic', realm: params.get('realm') ?? '' };
  if (s !== 'digest') return undefined;
  const nonce = params.get('nonce');
  if (nonce === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, 'Digest challenge without nonce');
  const alg = (params.get('algorithm') ?? 'MD5').toUpperCase();
  const algorithm = alg === 'MD5' ? DigestAlgorithm.Md5 : alg === 'SHA-256' ? DigestAlgorithm.Sha256 : undefined;
  if (algorithm === undefined) return undefined;
  const qops = (params.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
  const opaque = params.get('opaque');
  return {
    scheme: 'digest',
    realm: params.get('realm') ?? '',
    nonce,
    algorithm,
    ...(opaque === undefined ? {} : { opaque }),
    ...(qops.includes('auth') ? { qop: 'auth' as const } : {}),
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
  };
}

/** The strongest challenge among a response's WWW-Authenticate values: Digest SHA-256, Digest MD5, then Basic. */
export function pickChallenge(values: readonly string[]): AuthChallenge | undefined {
  const rank = (c: AuthChallenge) => (c.scheme === 'basic' ? 0 : c.algorithm === DigestAlgorithm.Md5 ? 1 : 2);
  let best: AuthChallenge | undefined;
  for (const v of values) {
    const c = parseChallenge(v);
    if (c && (!best || rank(c) > rank(best))) best = c;
  }
  return best;
}

export type DigestInput = Readonly<{ method: string; uri: string; cnonce: string; nc: number }>;

/** The request-digest (RFC 7616 §3.4.1). */
export function digestResponse(
  algorithm: DigestAlgorithm,
  ha1: string,
  nonce: string,
  method: string,
  uri: string,
  qop: { cnonce: string; nc: string } | undefined,
): string {
  const ha2 = digestHash(algorithm, `${method}:${uri}`);
  return qop
    ? digestHash(algorithm, `${ha1}:${nonce}:${qop.nc}:${qop.cnonce}:auth:${ha2}`)
    : digestHash(algorithm, `${ha1}:${nonce}:${ha2}`);
}

export function digestHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

const ncText = (nc: number) => (nc >>> 0).toString(16).padStart(8, '0');

/** The Authorization value answering `challenge` for one request; `cnonce` comes from the caller (no randomness here). */
export function authorizationHeader(challenge: AuthChallenge, creds: Credentials, input: DigestInput): string {
  if (challenge.scheme === 'basic') {
    return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
  }
  const ha1 = digestHa1(challenge.algorithm, creds.username, challenge.realm, creds.password);
  const qop = challenge.qop ? { cnonce: input.cnonce, nc: ncText(input.nc) } : undefined;
  const response = digestResponse(challenge.algorithm, ha1, challenge.nonce, input.method, input.uri, qop);
  const parts = [
    `username=${quote(creds.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (qop) parts.push('qop=auth', `nc=${qop.nc}`, `cnonce=${quote(qop.cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

/** Remembers the challenge and counts nonce uses, so every request after a 401 carries fresh credentials. */
export class RtspAuthenticator {
  private nc = 0;
  private challenge: AuthChallenge | undefined;

  constructor(
    private readonly creds: Credentials,
    private readonly cnonce: string,
  ) {}

  /** Takes a 401's WWW-Authenticate values; false when none is usable (do not retry). */
  onUnauthorized(values: readonly string[]): boolean {
    const next = pickChallenge(values);
    if (!next) return false;
    const prevNonce = this.challenge?.scheme === 'digest' ? this.challenge.nonce : undefined;
    const retriable = this.challenge === undefined || (next.scheme === 'digest' && (next.stale || next.nonce !== prevNonce));
    this.challenge = next;
    this.nc = 0;
    return retriable;
  }

  /** The Authorization value for a request, or undefined before any challenge. */
  header(method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined;
    this.nc++;
    return authorizationHeader(this.challenge, this.creds, { method, uri, cnonce: this.cnonce, nc: this.nc });
  }
}
