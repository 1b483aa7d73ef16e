// Signed expiring URLs: HMAC-SHA256 (hex) with the app's signing secret over
// `${app}/${stream}?expires=${unix}` (play) or the same plus `&action=publish` (publish),
// carried as `expires=<unix seconds>&sign=<hex>` in the query; checked in constant time. RTSP clients may instead
// prove they hold the signature with Digest (RFC 7616): username = expires, password = sign, and the engine passes
// the Authorization parameters on as digest.* query parameters (see rtspDigestMatches).
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { invalid, notFound } from './errors.ts';
import { constantTimeEqual, hmacSha256Hex } from './secrets.ts';
import type {
  NowMs,
  SignatureCheck,
  SignedUrl,
  SignedUrlAction,
  SignedUrlServiceContract,
} from './types.ts';
import { checkStreamName } from './validation.ts';

export const SIGNED_URL_MAX_TTL_SEC = 10 * 365 * 24 * 3600;

/** the exact bytes signed; exported so docs and tests can show how to sign elsewhere */
export function signedUrlMessage(app: string, stream: string, expires: number, action: SignedUrlAction): string {
  const base = `${app}/${stream}?expires=${expires}`;
  return action === 'publish' ? `${base}&action=publish` : base;
}

export class SignedUrlService implements SignedUrlServiceContract {
  constructor(
    private readonly store: Store,
    private readonly nowMs: NowMs,
  ) {}

  build(app: string, stream: string, expiresInSec: number, action: SignedUrlAction = 'play'): SignedUrl {
    const secret = this.secret(app);
    checkStreamName(stream);
    if (!Number.isInteger(expiresInSec) || expiresInSec < 1 || expiresInSec > SIGNED_URL_MAX_TTL_SEC) {
      throw invalid('expiresInSec', `expiresInSec must be an integer from 1 to ${SIGNED_URL_MAX_TTL_SEC}`);
    }
    if (action !== 'play' && action !== 'publish') throw invalid('action', "action must be 'play' or 'publish'");
    const expires = Math.floor(this.nowMs() / 1000) + expiresInSec;
    const sign = hmacSha256Hex(secret, signedUrlMessage(app, stream, expires, action));
    const query = `expires=${expires}&sign=${sign}`;
    return { app, stream, action, expires, sign, query, path: `${app}/${stream}?${query}` };
  }

  verify(app: string, stream: string, query: string, action: SignedUrlAction, options: Readonly<{ rtspDigest?: boolean }> = {}): SignatureCheck {
    const app_ = this.store.apps.get(app);
    if (!app_) return { ok: false, reason: 'unknown app' };
    const params = new URLSearchParams(query);
    const expiresText = params.get('expires');
    const sign = params.get('sign');
    // from any other protocol digest.* would be a replay the engine never checked the nonce of
    const digest = sign === null && options.rtspDigest === true ? digestParams(params) : null;
    if (expiresText === null || (sign === null && digest === null)) return { ok: false, reason: 'missing signature' };
    if (!/^\d{1,12}$/.test(expiresText)) return { ok: false, reason: 'invalid signature' };
    const expires = Number(expiresText);
    const expected = hmacSha256Hex(app_.signingSecret, signedUrlMessage(app, stream, expires, action));
    const matches = sign !== null ? constantTimeEqual(expected, sign.toLowerCase()) : rtspDigestMatches(digest!, expiresText, expected);
    if (!matches) return { ok: false, reason: 'invalid signature' };
    const expiresAtMs = expires * 1000;
    if (expiresAtMs <= this.nowMs()) return { ok: false, reason: 'signed URL expired' };
    return { ok: true, expiresAtMs };
  }

  private secret(app: string): string {
    const record = this.store.apps.get(app);
    if (!record) throw notFound(`app '${app}'`);
    return record.signingSecret;
  }
}

/** The RTSP Digest response the engine passes on (digest.* in the query): RFC 7616 §3.4 with qop=auth or none. */
export type RtspDigest = Readonly<{
  algorithm: 'MD5' | 'SHA-256';
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  response: string;
  qop: Readonly<{ nc: string; cnonce: string }> | null;
}>;

function digestParams(params: URLSearchParams): RtspDigest | null {
  const get = (k: string) => params.get(`digest.${k}`);
  const algorithm = get('algorithm');
  const [realm, nonce, method, uri, response] = [get('realm'), get('nonce'), get('method'), get('uri'), get('response')];
  if ((algorithm !== 'MD5' && algorithm !== 'SHA-256') || realm === null || nonce === null || method === null || uri === null || response === null) return null;
  const nc = get('nc');
  const cnonce = get('cnonce');
  return { algorithm, realm, nonce, method, uri, response, qop: nc !== null && cnonce !== null ? { nc, cnonce } : null };
}

/** Whether a Digest response was made with username = expires and password = the expected signature. */
export function rtspDigestMatches(d: RtspDigest, expires: string, sign: string): boolean {
  const h = (text: string) => createHash(d.algorithm === 'MD5' ? 'md5' : 'sha256').update(text, 'utf8').digest('hex');
  const ha1 = h(`${expires}:${d.realm}:${sign}`);
  const ha2 = h(`${d.method}:${d.uri}`);
  const expected = d.qop ? h(`${ha1}:${d.nonce}:${d.qop.nc}:${d.qop.cnonce}:auth:${ha2}`) : h(`${ha1}:${d.nonce}:${ha2}`);
  return constantTimeEqual(expected, d.response.toLowerCase());
}
