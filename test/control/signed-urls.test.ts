import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { domainError, makeFixture } from './helpers.ts';

describe('SignedUrlService', () => {
  test('build signs `${app}/${stream}?expires=${unix}` with the app secret (hex HMAC-SHA256)', () => {
    const { services, clock } = makeFixture();
    services.apps.create({ name: 'live' });
    const url = services.signedUrls.build('live', 'cam', 60);
    const expires = Math.floor(clock.ms / 1000) + 60;
    const sign = createHmac('sha256', services.apps.signingSecret('live')).update(`live/cam?expires=${expires}`).digest('hex');
    expect(url).toMatchObject({ app: 'live', stream: 'cam', action: 'play', expires, sign });
    expect(url.query).toBe(`expires=${expires}&sign=${sign}`);
    expect(url.path).toBe(`live/cam?expires=${expires}&sign=${sign}`);
  });

  test('valid until expiry, refused after; tampered parts are refused', () => {
    const { services, clock } = makeFixture();
    services.apps.create({ name: 'live' });
    const { query, sign, expires } = services.signedUrls.build('live', 'cam', 60);
    expect(services.signedUrls.verify('live', 'cam', query, 'play')).toEqual({ ok: true, expiresAtMs: expires * 1000 });
    expect(services.signedUrls.verify('live', 'cam', `foo=1&${query}&bar=2`, 'play').ok).toBe(true);
    expect(services.signedUrls.verify('live', 'cam2', query, 'play')).toEqual({ ok: false, reason: 'invalid signature' });
    expect(services.signedUrls.verify('live', 'cam', `expires=${expires + 1}&sign=${sign}`, 'play').ok).toBe(false);
    const flipped = sign.slice(0, -1) + (sign.endsWith('0') ? '1' : '0');
    expect(services.signedUrls.verify('live', 'cam', `expires=${expires}&sign=${flipped}`, 'play').ok).toBe(false);
    expect(services.signedUrls.verify('live', 'cam', `expires=${expires}`, 'play')).toEqual({ ok: false, reason: 'missing signature' });
    clock.advance(60_000);
    expect(services.signedUrls.verify('live', 'cam', query, 'play')).toEqual({ ok: false, reason: 'signed URL expired' });
  });

  test('a play URL does not admit a publish, and rotation invalidates old URLs', () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const play = services.signedUrls.build('live', 'cam', 60);
    const publish = services.signedUrls.build('live', 'cam', 60, 'publish');
    expect(services.signedUrls.verify('live', 'cam', play.query, 'publish').ok).toBe(false);
    expect(services.signedUrls.verify('live', 'cam', publish.query, 'publish').ok).toBe(true);
    expect(services.signedUrls.verify('live', 'cam', publish.query, 'play').ok).toBe(false);
    services.apps.rotateSigningSecret('live');
    expect(services.signedUrls.verify('live', 'cam', play.query, 'play').ok).toBe(false);
  });

  test('errors: unknown app, bad lifetime, bad stream', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    expect((await domainError(() => services.signedUrls.build('nope', 'cam', 60))).code).toBe('not-found');
    expect((await domainError(() => services.signedUrls.build('live', 'cam', 0))).field).toBe('expiresInSec');
    expect((await domainError(() => services.signedUrls.build('live', 'cam', 1.5))).code).toBe('invalid');
    expect((await domainError(() => services.signedUrls.build('live', '../x', 60))).field).toBe('stream');
    expect(services.signedUrls.verify('nope', 'cam', 'expires=1&sign=00', 'play').ok).toBe(false);
  });
});
