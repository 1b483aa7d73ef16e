// RTSP Basic credentials mapped onto the admission query: the password is the stream key, or a signed URL's
// expires (user) and sign (password); other schemes are as if absent; a Basic header that does not decode is 400.
import { describe, expect, test } from 'bun:test';
import { admissionQuery, BASIC_CHALLENGE, refusal } from '../../src/server/rtsp-credentials.ts';
import { RtspRefusal } from '../../src/server/rtsp-scope.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const SIGN = 'ab'.repeat(32);

describe('admissionQuery', () => {
  test('no header, or another scheme: the URL query as it is', () => {
    expect(admissionQuery('token=1', undefined)).toBe('token=1');
    expect(admissionQuery('', 'Digest username="a", realm="weir"')).toBe('');
  });

  test('the password is the stream key, set over one in the URL; the user is not used', () => {
    expect(admissionQuery('', basic('obs', 'wsk_abc-_1'))).toBe('key=wsk_abc-_1');
    expect(admissionQuery('key=old&x=1', basic('anyone', 'wsk_new'))).toBe('key=wsk_new&x=1');
    // a password with ':' keeps it (only the first ':' splits user from password)
    expect(new URLSearchParams(admissionQuery('', basic('u', 'a:b&c'))).get('key')).toBe('a:b&c');
  });

  test('digits and 64 hex digits are a signed URL: expires and sign', () => {
    expect(admissionQuery('', basic('1700000000', SIGN))).toBe(`expires=1700000000&sign=${SIGN}`);
    // not that shape: a key after all
    expect(admissionQuery('', basic('1700000000', 'short'))).toBe('key=short');
  });

  test('an empty password adds nothing; a header that does not decode to user:password is a 400', () => {
    expect(admissionQuery('a=1', basic('user', ''))).toBe('a=1');
    for (const header of ['Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
      let caught: unknown;
      try {
        admissionQuery('', header);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RtspRefusal);
      expect((caught as RtspRefusal).status).toBe(400);
    }
  });
});

test('refusal: 401 with a Basic challenge when a key or signature would do, else 403', () => {
  const wantsKey = refusal({ reason: 'invalid stream key', credentials: true });
  expect([wantsKey.status, wantsKey.message, wantsKey.headers]).toEqual([401, 'invalid stream key', [['WWW-Authenticate', BASIC_CHALLENGE]]]);
  const unknown = refusal({ reason: 'unknown app' });
  expect([unknown.status, unknown.headers]).toEqual([403, []]);
});
