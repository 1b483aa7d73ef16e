// RTSP credentials as admission parameters. RTSP clients take user:password from the URL and send them only when a
// 401 challenges them (RFC 2326 §D.2, RFC 7617 Basic), where RTMP and SRT carry a key in the URL's query. So the
// password is the stream key (key=…), or, with a user of digits and a password of 64 hex digits, a signed URL's
// expiry and signature (expires=user, sign=password). Digest is not offered: checking it needs H(user:realm:password)
// at the verifier, and stream keys are stored only as hashes.
import { RtspRefusal } from './rtsp-scope.ts';

export const RTSP_REALM = 'weir';
export const BASIC_CHALLENGE = `Basic realm="${RTSP_REALM}"`;

const BASIC = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i;
const SIGNED_USER = /^\d{1,12}$/;
const SIGNED_PASSWORD = /^[0-9a-fA-F]{64}$/;

/**
 * The query admission is asked with: the request URL's, with the Basic credentials (if any) set over it.
 * Other schemes are left to admission as if absent. A Basic header that does not decode is a 400.
 */
export function admissionQuery(urlQuery: string, authorization: string | undefined): string {
  if (authorization === undefined || !/^basic(\s|$)/i.test(authorization)) return urlQuery;
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

/** An admission refusal as an RTSP answer: 401 with a challenge when a key or signature would do, else 403. */
export function refusal(decision: Readonly<{ reason: string; credentials?: boolean }>): RtspRefusal {
  return decision.credentials ? new RtspRefusal(401, decision.reason, [['WWW-Authenticate', BASIC_CHALLENGE]]) : new RtspRefusal(403, decision.reason);
}
