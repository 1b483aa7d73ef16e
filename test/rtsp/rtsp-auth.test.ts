import { describe, expect, test } from 'bun:test';
import { parseAuthHeader } from '../../src/rtsp/auth-params.ts';
import { RtspAuthenticator, authorizationHeader, digestHa1, parseChallenge, pickChallenge } from '../../src/rtsp/rtsp-auth.ts';
import { digestChallenge, verifyDigest } from '../../src/rtsp/rtsp-auth-verify.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';

// RFC 7616 §3.9.1 example
const rfc7616 = {
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  creds: { username: 'Mufasa', password: 'Circle of Life' },
};

describe('client auth', () => {
  test('RFC 7616 §3.9.1 vectors: MD5 and SHA-256 with qop=auth', () => {
    for (const [alg, expected] of [
      ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
      ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ] as const) {
      const challenge = parseChallenge(`Digest realm="${rfc7616.realm}", qop="auth, auth-int", algorithm=${alg}, nonce="${rfc7616.nonce}", opaque="${rfc7616.opaque}"`);
      expect(challenge).toMatchObject({ scheme: 'digest', algorithm: alg, qop: 'auth', opaque: rfc7616.opaque });
      const header = authorizationHeader(challenge!, rfc7616.creds, { method: 'GET', uri: '/dir/index.html', cnonce: rfc7616.cnonce, nc: 1 });
      const params = parseAuthHeader(header).params;
      expect(params.get('response')).toBe(expected);
      expect(params.get('nc')).toBe('00000001');
      expect(params.get('qop')).toBe('auth');
      expect(params.get('opaque')).toBe(rfc7616.opaque);
      expect(params.get('uri')).toBe('/dir/index.html');
    }
  });

  test('RFC 2617 §3.5 vector (MD5, qop=auth) and an RFC 2069 digest without qop', () => {
    const c = parseChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;
    const h = authorizationHeader(c, { username: 'Mufasa', password: 'Circle Of Life' }, { method: 'GET', uri: '/dir/index.html', cnonce: '0a4f113b', nc: 1 });
    expect(parseAuthHeader(h).params.get('response')).toBe('6629fae49393a05397450978507c4ef1');
    const plain = parseChallenge('Digest realm="r", nonce="n"')!;
    const p = parseAuthHeader(authorizationHeader(plain, { username: 'u', password: 'p' }, { method: 'DESCRIBE', uri: 'rtsp://h/s', cnonce: 'c', nc: 1 })).params;
    expect(p.has('qop')).toBe(false);
    expect(p.has('cnonce')).toBe(false);
    expect(p.get('response')).toHaveLength(32);
  });

  test('Basic, challenge choice and unknown schemes', () => {
    expect(authorizationHeader({ scheme: 'basic', realm: 'r' }, { username: 'Aladdin', password: 'open sesame' }, { method: 'X', uri: 'u', cnonce: '', nc: 1 })).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(pickChallenge(['Basic realm="r"', 'Digest realm="r", nonce="a"', 'Digest realm="r", nonce="b", algorithm=SHA-256'])).toMatchObject({ algorithm: 'SHA-256', nonce: 'b' });
    expect(pickChallenge(['Negotiate', 'Digest realm="r", nonce="n", algorithm=SHA-512-256'])).toBeUndefined();
    expect(() => parseChallenge('Digest realm="r"')).toThrow(ProtocolError);
    expect(() => parseChallenge('Digest realm="unterminated')).toThrow(ProtocolError);
  });

  test('RtspAuthenticator counts nc, retries once per nonce, retries on stale', () => {
    const a = new RtspAuthenticator({ username: 'u', password: 'p' }, 'cn');
    expect(a.header('OPTIONS', 'rtsp://h/s')).toBeUndefined();
    expect(a.onUnauthorized(['Digest realm="r", nonce="n1", qop="auth"'])).toBe(true);
    expect(parseAuthHeader(a.header('DESCRIBE', 'rtsp://h/s')!).params.get('nc')).toBe('00000001');
    expect(parseAuthHeader(a.header('SETUP', 'rtsp://h/s/t')!).params.get('nc')).toBe('00000002');
    expect(a.onUnauthorized(['Digest realm="r", nonce="n1", qop="auth"'])).toBe(false); // same nonce again: bad password
    expect(a.onUnauthorized(['Digest realm="r", nonce="n1", qop="auth", stale=true'])).toBe(true);
    expect(a.onUnauthorized(['Basic realm="r"'])).toBe(false);
  });
});

describe('server Digest verification', () => {
  const realm = 'weir';
  const nonce = 'abc123';
  const ha1s = new Map([['cam', digestHa1('SHA-256', 'cam', realm, 's3cret')], ['cam-md5', digestHa1('MD5', 'cam-md5', realm, 's3cret')]]);
  const verify = (authorization: string, method = 'DESCRIBE') =>
    verifyDigest({
      authorization,
      method,
      realm,
      nonceValid: (n) => n === nonce,
      ha1For: (user, alg) => (alg === 'SHA-256' ? (user === 'cam' ? ha1s.get('cam') : undefined) : user === 'cam-md5' ? ha1s.get('cam-md5') : undefined),
    });

  test('accepts what the client builds, with and without qop, SHA-256 and MD5', () => {
    const c256 = parseChallenge(`${digestChallenge(realm, nonce, 'SHA-256')}, qop="auth"`)!;
    expect(verify(authorizationHeader(c256, { username: 'cam', password: 's3cret' }, { method: 'DESCRIBE', uri: 'rtsp://h/live', cnonce: 'x', nc: 3 }))).toEqual({ ok: true, username: 'cam' });
    const cMd5 = parseChallenge(digestChallenge(realm, nonce, 'MD5', 'op'))!;
    expect(verify(authorizationHeader(cMd5, { username: 'cam-md5', password: 's3cret' }, { method: 'DESCRIBE', uri: 'rtsp://h/live', cnonce: '', nc: 1 }))).toEqual({ ok: true, username: 'cam-md5' });
  });

  test('rejects a wrong password, another method, a stale nonce, an unknown user, another realm, and junk', () => {
    const c = parseChallenge(digestChallenge(realm, nonce, 'SHA-256'))!;
    const good = (password: string, user = 'cam') => authorizationHeader(c, { username: user, password }, { method: 'DESCRIBE', uri: 'rtsp://h/live', cnonce: '', nc: 1 });
    expect(verify(good('wrong'))).toMatchObject({ ok: false, reason: 'response' });
    expect(verify(good('s3cret'), 'PLAY')).toMatchObject({ ok: false, reason: 'response' });
    expect(verify(good('s3cret', 'nobody'))).toMatchObject({ ok: false, reason: 'user' });
    expect(verify(good('s3cret').replace(nonce, 'old'))).toMatchObject({ ok: false, reason: 'stale' });
    expect(verify(good('s3cret').replace('realm="weir"', 'realm="other"'))).toMatchObject({ ok: false, reason: 'realm' });
    expect(verify('Basic Y2FtOnMzY3JldA==')).toMatchObject({ ok: false, reason: 'not-digest' });
    expect(verify('Digest username="cam"')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verify('Digest username="cam, nonce=')).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
