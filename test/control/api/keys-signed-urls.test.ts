// /api/v1/apps/{app}/keys and /api/v1/apps/{app}/signed-urls.
import { beforeEach, describe, expect, test } from 'bun:test';
import { expectProblem, useAdminApi } from './helpers.ts';

const fixture = useAdminApi();
beforeEach(async () => {
  await fixture.api('POST', '/apps', { name: 'cam', publishPolicy: 'stream-key' });
});
const api = fixture.api;

describe('stream keys', () => {
  test('the plain key is shown once, at creation, and it admits that stream', async () => {
    const created = await api('POST', '/apps/cam/keys', { stream: 'studio', label: 'OBS' });
    expect(created.status).toBe(201);
    const { key, publishUrl, publishUrls, ...streamKey } = created.body;
    expect(key).toMatch(/^wsk_/);
    expect(streamKey).toMatchObject({ app: 'cam', stream: 'studio', label: 'OBS', revokedAtMs: null, createdAtMs: fixture.h.clock.now });
    expect(key.startsWith(streamKey.prefix)).toBe(true);
    expect(publishUrl).toBe(`rtmp://localhost/cam/studio?key=${encodeURIComponent(key)}`);
    // the fake engine reports no SRT/RTSP listeners: no URLs for them (the listeners tests below have them)
    expect(publishUrls).toEqual({ rtmp: publishUrl, srt: null, rtsp: null });
    expect(fixture.h.services.streamKeys.verify('cam', 'studio', key)).toBe(true);

    const listed = await api('GET', '/apps/cam/keys');
    expect(listed.body.items).toEqual([streamKey]);
    expect(listed.text).not.toContain(key);
    const one = await api('GET', `/apps/cam/keys/${streamKey.id}`);
    expect(one.body).toEqual(streamKey);
    expect(one.text).not.toContain(key);
  });

  test('an any-stream key has no publish URL', async () => {
    const created = await api('POST', '/apps/cam/keys', {});
    expect(created.status).toBe(201);
    expect(created.body.stream).toBeNull();
    expect(created.body.publishUrl).toBeNull();
  });

  test('revoke: 204, listed as revoked, refused by the engine check from then on', async () => {
    const { body } = await api('POST', '/apps/cam/keys', { stream: 'studio' });
    expect((await api('DELETE', `/apps/cam/keys/${body.id}`)).status).toBe(204);
    expect((await api('DELETE', `/apps/cam/keys/${body.id}`)).status).toBe(204); // idempotent
    expect((await api('GET', '/apps/cam/keys')).body.items[0].revokedAtMs).toBe(fixture.h.clock.now);
    expect(fixture.h.services.streamKeys.verify('cam', 'studio', body.key)).toBe(false);
  });

  test("another app's key or an unknown app is 404; bad input is 400 with field paths", async () => {
    const { body } = await api('POST', '/apps/cam/keys', { stream: 'studio' });
    expectProblem(await api('GET', `/apps/live/keys/${body.id}`), 404, 'not-found');
    expectProblem(await api('DELETE', `/apps/live/keys/${body.id}`), 404, 'not-found');
    expectProblem(await api('GET', '/apps/nope/keys'), 404, 'not-found');
    expectProblem(await api('POST', '/apps/nope/keys', {}), 404, 'not-found');
    const bad = expectProblem(await api('POST', '/apps/cam/keys', { stream: 'a/b', label: 7 }), 400, 'invalid');
    expect(bad.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/label', '/stream']);
    expect((await api('GET', '/apps/cam/keys')).body.items).toHaveLength(1);
  });
});

describe('signed URLs', () => {
  test('a play URL carries expires and sign, works until it expires, and lists every play protocol', async () => {
    const res = await api('POST', '/apps/cam/signed-urls', { stream: 'show', expiresInSec: 600 });
    expect(res.status).toBe(200);
    const expires = Math.floor(fixture.h.clock.now / 1000) + 600;
    expect(res.body).toMatchObject({ app: 'cam', stream: 'show', action: 'play', expires, expiresAtMs: expires * 1000 });
    expect(res.body.query).toBe(`expires=${expires}&sign=${res.body.sign}`);
    expect(res.body.urls).toEqual({
      rtmp: `rtmp://localhost/cam/show?${res.body.query}`,
      httpFlv: `http://localhost:8080/cam/show.flv?${res.body.query}`,
      wsFlv: `ws://localhost:8080/cam/show.flv?${res.body.query}`,
      hls: `http://localhost:8080/cam/show/index.m3u8?${res.body.query}`,
      llHls: `http://localhost:8080/cam/show/ll.m3u8?${res.body.query}`,
      srt: null,
      rtsp: null,
      // the fake engine reports no listeners: no WebRTC
      whep: null,
    });
    expect(fixture.h.services.signedUrls.verify('cam', 'show', res.body.query, 'play').ok).toBe(true);
    expect(fixture.h.services.signedUrls.verify('cam', 'show', res.body.query, 'publish').ok).toBe(false);
    fixture.h.clock.now += 601_000;
    expect(fixture.h.services.signedUrls.verify('cam', 'show', res.body.query, 'play').ok).toBe(false);
  });

  test('a publish URL is RTMP only; rotating the secret voids it', async () => {
    const res = await api('POST', '/apps/cam/signed-urls', { stream: 'show', expiresInSec: 60, action: 'publish' });
    expect(res.body.urls.rtmp).toBe(`rtmp://localhost/cam/show?${res.body.query}`);
    expect(res.body.urls.hls).toBeNull();
    expect(fixture.h.services.signedUrls.verify('cam', 'show', res.body.query, 'publish').ok).toBe(true);
    expect((await api('POST', '/apps/cam/signing-secret')).status).toBe(204);
    expect(fixture.h.services.signedUrls.verify('cam', 'show', res.body.query, 'publish').ok).toBe(false);
  });

  test('invalid expiry, action or stream is 400; unknown app 404', async () => {
    const bad = expectProblem(await api('POST', '/apps/cam/signed-urls', { stream: 'show', expiresInSec: 0, action: 'watch' }), 400, 'invalid');
    expect(bad.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/action', '/expiresInSec']);
    expectProblem(await api('POST', '/apps/cam/signed-urls', { stream: 'show', expiresInSec: 1.5 }), 400, 'invalid');
    expectProblem(await api('POST', '/apps/cam/signed-urls', { stream: '', expiresInSec: 60 }), 400, 'invalid');
    expectProblem(await api('POST', '/apps/cam/signed-urls', { expiresInSec: 60 }), 400, 'invalid');
    expectProblem(await api('POST', '/apps/nope/signed-urls', { stream: 'show', expiresInSec: 60 }), 404, 'not-found');
  });
});
