// RTSP credentials mapped onto the admission query. Basic: the password is the stream key, or a signed URL's expires
// (user) and sign (password). Digest (signed URLs): our nonce checked here, the response passed on as digest.*
// parameters, which the control plane checks against the signature it computes. Refusals: 401 with the challenges
// that would do, or 403.
import { describe, expect, test } from 'bun:test';
import { rtspDigestMatches, signedUrlMessage, SignedUrlService } from '../../src/control/services/signed-url-service.ts';
import type { Store } from '../../src/control/store/index.ts';
import { hmacSha256Hex } from '../../src/control/services/secrets.ts';
import { authorizationHeader, pickChallenge } from '../../src/rtsp/rtsp-auth.ts';
import { admissionQuery, BASIC_CHALLENGE, DigestNonces, NONCE_LIFETIME_MS, refusal } from '../../src/server/rtsp/rtsp-credentials.ts';
import { RtspRefusal } from '../../src/server/rtsp/rtsp-scope.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const SIGN = 'ab'.repeat(32);
const clock = { now: 1_700_000_000_000 };
const nonces = new DigestNonces(() => clock.now);
const ctx = { method: 'DESCRIBE', nonces };
/** a store with one app, all SignedUrlService reads */
const fakeStore = (signingSecret: string) => ({ apps: { get: (name: string) => (name === 'live' ? { name, signingSecret } : undefined) } }) as unknown as Store;

describe('Basic', () => {
  test('no header, or a scheme we do not read: the URL query as it is', () => {
    expect(admissionQuery('token=1', undefined, ctx)).toBe('token=1');
    expect(admissionQuery('', 'Bearer abc', ctx)).toBe('');
  });

  test('the password is the stream key, set over one in the URL; the user is not used', () => {
    expect(admissionQuery('', basic('obs', 'wsk_abc-_1'), ctx)).toBe('key=wsk_abc-_1');
    expect(admissionQuery('key=old&x=1', basic('anyone', 'wsk_new'), ctx)).toBe('key=wsk_new&x=1');
    // only the first ':' splits user from password
    expect(new URLSearchParams(admissionQuery('', basic('u', 'a:b&c'), ctx)).get('key')).toBe('a:b&c');
  });

  test('digits and 64 hex digits are a signed URL: expires and sign', () => {
    expect(admissionQuery('', basic('1700000000', SIGN), ctx)).toBe(`expires=1700000000&sign=${SIGN}`);
    expect(admissionQuery('', basic('1700000000', 'short'), ctx)).toBe('key=short');
  });

  test('an empty password adds nothing; a header that does not decode to user:password is a 400', () => {
    expect(admissionQuery('a=1', basic('user', ''), ctx)).toBe('a=1');
    for (const header of ['Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
      let caught: unknown;
      try {
        admissionQuery('', header, ctx);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RtspRefusal);
      expect((caught as RtspRefusal).status).toBe(400);
    }
  });
});

describe('Digest nonces', () => {
  test('ours and fresh are taken; older than the lifetime, tampered or foreign are not', () => {
    const nonce = nonces.issue();
    expect(nonces.valid(nonce)).toBe(true);
    expect(new DigestNonces(() => clock.now).valid(nonce)).toBe(false); // another engine run's secret
    expect(nonces.valid(nonce.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).toBe(false);
    expect(nonces.valid(`${clock.now + 1}.${nonce.split('.')[1]}`)).toBe(false);
    for (const junk of ['', '.', 'abc', '1.2.3']) expect(nonces.valid(junk)).toBe(false);
    clock.now += NONCE_LIFETIME_MS + 1;
    expect(nonces.valid(nonce)).toBe(false);
  });
});

describe('Digest for signed URLs, engine and control plane together', () => {
  const secret = 'app-signing-secret';
  const expires = '1700003600';
  const sign = hmacSha256Hex(secret, signedUrlMessage('live', 'cam', Number(expires), 'play'));
  const uri = 'rtsp://127.0.0.1:8554/live/cam';
  const challenges = () => refusal({ reason: 'missing signature', credentials: 'signed-url' }, nonces).headers.map(([, v]) => v);

  for (const algorithm of ['SHA-256', 'MD5'] as const) {
    test(`${algorithm}: Weir's own client answers the challenge; the control plane accepts the right signature only`, () => {
      const challenge = pickChallenge(challenges().filter((c) => c.includes(`algorithm=${algorithm}`)))!;
      expect(challenge).toMatchObject({ scheme: 'digest', algorithm, realm: 'weir', qop: 'auth' });
      const header = authorizationHeader(challenge, { username: expires, password: sign }, { method: 'DESCRIBE', uri, cnonce: 'c0ffee', nc: 1 });
      const query = new URLSearchParams(admissionQuery('', header, ctx));
      expect(query.get('expires')).toBe(expires);
      expect(query.get('sign')).toBeNull();
      const digest = {
        algorithm, realm: query.get('digest.realm')!, nonce: query.get('digest.nonce')!, method: query.get('digest.method')!,
        uri: query.get('digest.uri')!, response: query.get('digest.response')!, qop: { nc: query.get('digest.nc')!, cnonce: query.get('digest.cnonce')! },
      };
      expect(digest.method).toBe('DESCRIBE');
      expect(rtspDigestMatches(digest, expires, sign)).toBe(true);
      expect(rtspDigestMatches(digest, expires, 'cd'.repeat(32))).toBe(false);
      expect(rtspDigestMatches(digest, '1700003601', sign)).toBe(false);
      expect(rtspDigestMatches({ ...digest, method: 'ANNOUNCE' }, expires, sign)).toBe(false);
    });
  }

  test('digest.* in the request URL is dropped (also percent-encoded): only a checked Digest answer sets them', () => {
    expect(admissionQuery('a=1&digest.response=x&digest%2Enonce=y', undefined, ctx)).toBe('a=1');
    expect(admissionQuery('expires=1&digest.response=x', basic('u', 'wsk_k'), ctx)).toBe('expires=1&key=wsk_k');
  });

  test('the control plane takes digest.* only from the RTSP server (rtspDigest), never for another protocol', () => {
    const service = new SignedUrlService(fakeStore(secret), () => 1_700_000_000_000);
    const challenge = pickChallenge(challenges())!;
    const header = authorizationHeader(challenge, { username: expires, password: sign }, { method: 'DESCRIBE', uri, cnonce: 'c', nc: 1 });
    const query = admissionQuery('', header, ctx);
    expect(service.verify('live', 'cam', query, 'play', { rtspDigest: true })).toEqual({ ok: true, expiresAtMs: Number(expires) * 1000 });
    expect(service.verify('live', 'cam', query, 'play')).toEqual({ ok: false, reason: 'missing signature' });
    expect(service.verify('live', 'cam', query, 'publish', { rtspDigest: true })).toEqual({ ok: false, reason: 'invalid signature' });
  });

  test('a Digest answer to a nonce that is not ours, from a user that is not digits or for another realm counts as none', () => {
    const ours = pickChallenge(challenges())!;
    if (ours.scheme !== 'digest') throw new Error('digest');
    const answer = (over: Partial<typeof ours>, username = expires) =>
      admissionQuery('a=1', authorizationHeader({ ...ours, ...over }, { username, password: sign }, { method: 'DESCRIBE', uri, cnonce: 'x', nc: 1 }), ctx);
    expect(answer({})).toContain('digest.response=');
    expect(answer({ nonce: new DigestNonces(() => clock.now).issue() })).toBe('a=1');
    expect(answer({ realm: 'other' })).toBe('a=1');
    expect(answer({}, 'admin')).toBe('a=1');
  });
});

test('refusal: 401 with Digest (SHA-256, then MD5) and Basic for a signature, Basic alone for a key, 403 otherwise', () => {
  const signed = refusal({ reason: 'missing signature', credentials: 'signed-url' }, nonces);
  expect(signed.status).toBe(401);
  const values = signed.headers.map(([k, v]) => `${k}: ${v}`);
  expect(values).toHaveLength(3);
  expect(values[0]).toMatch(/^WWW-Authenticate: Digest realm="weir", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/);
  expect(values[1]).toMatch(/^WWW-Authenticate: Digest realm="weir", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
  expect(values[2]).toBe(`WWW-Authenticate: ${BASIC_CHALLENGE}`);
  const keyed = refusal({ reason: 'invalid stream key', credentials: 'stream-key' }, nonces);
  expect([keyed.status, keyed.headers]).toEqual([401, [['WWW-Authenticate', BASIC_CHALLENGE]]]);
  const unknown = refusal({ reason: 'unknown app' }, nonces);
  expect([unknown.status, unknown.headers]).toEqual([403, []]);
});
