// RTSP credentials as admission parameters. RTSP clients take user:password from the URL and send them only when a
// 401 challenges them (RFC 2326 §D.2), where RTMP and SRT carry a key in the URL's query. Mapping:
// - Basic (RFC 7617): the password is the stream key (key=…), or, with a user of digits and a password of 64 hex
//   digits, a signed URL's expiry and signature (expires=user, sign=password);
// - Digest (RFC 7616, MD5 and SHA-256), offered for signed URLs only: username = expires, password = sign; the
//   engine checks its nonce and passes the response on as digest.* query parameters, and the control plane, which
//   can compute the signature, checks it. Stream keys are stored only as hashes, so nothing can check a Digest
//   response made with one: for keys only Basic is offered.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseAuthHeader, quote } from '../../rtsp/auth-params.ts';
import type { AdmissionCredentials } from '../../shared/config-protocol.ts';
import { RtspRefusal } from './rtsp-refusal.ts';

export const RTSP_REALM = 'weir';
export const BASIC_CHALLENGE = `Basic realm="${RTSP_REALM}"`;
/** how long a Digest nonce is taken after it was issued */
export const NONCE_LIFETIME_MS = 120_000;

const BASIC = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i;
const SIGNED_USER = /^\d{1,12}$/;
const SIGNED_PASSWORD = /^[0-9a-fA-F]{64}$/;

/** Stateless Digest nonces: issue time and an HMAC of it under a secret of this engine run. */
export class DigestNonces {
  constructor(
    private readonly now: () => number = Date.now,
    private readonly secret: Uint8Array = new Uint8Array(randomBytes(32)),
  ) {}

  issue(): string {
    const t = String(this.now());
    return `${t}.${this.mac(t)}`;
  }

  valid(nonce: string): boolean {
    const dot = nonce.indexOf('.');
    const t = nonce.slice(0, dot);
    if (dot < 0 || !/^\d{1,15}$/.test(t)) return false;
    const mac = Buffer.from(nonce.slice(dot + 1));
    const expected = Buffer.from(this.mac(t));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return false;
    const age = this.now() - Number(t);
    return age >= 0 && age <= NONCE_LIFETIME_MS;
  }

  private mac(t: string): string {
    return createHmac('sha256', this.secret).update(t).digest('base64url');
  }
}

export type CredentialContext = Readonly<{ method: string; nonces: DigestNonces }>;

/**
 * The query admission is asked with: the request URL's, with the credentials (if any) set over it. A Digest answer
 * to a nonce of ours is passed on whole; one that is not (stale, foreign, malformed) counts as no credentials, so
 * the client is challenged again. A Basic header that does not decode is a 400.
 */
export function admissionQuery(requestQuery: string, authorization: string | undefined, c: CredentialContext): string {
  // digest.* parameters are ours to set, from a Digest answer to a nonce checked here: never taken from the URL
  const urlQuery = withoutDigestParams(requestQuery);
  if (authorization === undefined) return urlQuery;
  if (/^digest\s/i.test(authorization)) return withDigest(urlQuery, authorization, c);
  if (!/^basic(\s|$)/i.test(authorization)) return urlQuery;
  const match = BASIC.exec(authorization);
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new RtspRefusal(400, 'Authorization: Basic credentials are not user:password in base64');
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (password === '') return urlQuery;
  const params = new URLSearchParams(urlQuery);
  if (SIGNED_USER.test(user) && SIGNED_PASSWORD.test(password)) {
    params.set('expires', user);
    params.set('sign', password);
  } else {
    params.set('key', password);
  }
  return params.toString();
}

function withoutDigestParams(query: string): string {
  const params = new URLSearchParams(query);
  const ours = [...params.keys()].filter((k) => k.startsWith('digest.'));
  if (ours.length === 0) return query;
  for (const k of ours) params.delete(k);
  return params.toString();
}

function withDigest(urlQuery: string, authorization: string, c: CredentialContext): string {
  let p: ReadonlyMap<string, string>;
  try {
    p = parseAuthHeader(authorization).params;
  } catch {
    return urlQuery;
  }
  const username = p.get('username');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
  const qop = p.get('qop');
  if (username === undefined || !SIGNED_USER.test(username) || nonce === undefined || uri === undefined || response === undefined) return urlQuery;
  if ((algorithm !== 'MD5' && algorithm !== 'SHA-256') || p.get('realm') !== RTSP_REALM || !c.nonces.valid(nonce)) return urlQuery;
  const params = new URLSearchParams(urlQuery);
  params.delete('sign');
  params.set('expires', username);
  const digest: Record<string, string> = { algorithm, realm: RTSP_REALM, nonce, method: c.method, uri, response };
  if (qop !== undefined) {
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    if (qop.toLowerCase() !== 'auth' || nc === undefined || cnonce === undefined) return urlQuery;
    Object.assign(digest, { nc, cnonce });
  }
  for (const [k, v] of Object.entries(digest)) params.set(`digest.${k}`, v);
  return params.toString();
}

/**
 * An admission refusal as an RTSP answer: 401 with challenges when a key (Basic) or a signature (Digest SHA-256,
 * Digest MD5, Basic) would do, else 403. MD5 comes after SHA-256: clients that take the last Digest challenge they
 * understand (ffmpeg) then use the one they can compute.
 */
export function refusal(decision: Readonly<{ reason: string; credentials?: AdmissionCredentials }>, nonces: DigestNonces): RtspRefusal {
  if (decision.credentials === undefined) return new RtspRefusal(403, decision.reason);
  const headers: Array<readonly [string, string]> = [];
  if (decision.credentials === 'signed-url') {
    const nonce = quote(nonces.issue());
    for (const algorithm of ['SHA-256', 'MD5']) headers.push(['WWW-Authenticate', `Digest realm="${RTSP_REALM}", nonce=${nonce}, algorithm=${algorithm}, qop="auth"`]);
  }
  headers.push(['WWW-Authenticate', BASIC_CHALLENGE]);
  return new RtspRefusal(401, decision.reason, headers);
}
