// RTSP pull sources through the REST API: rtsp:// and rtsps:// are accepted, and the camera password in the URL's
// userinfo is stored for the engine but never returned, neither to viewers nor to admins (*** sent back keeps it).
import { beforeEach, describe, expect, test } from 'bun:test';
import { call, expectProblem, login, useAdminApi } from './helpers.ts';

const URL_WITH_PASSWORD = 'rtsp://viewer:Cam-Pa55word@192.0.2.10:554/Streaming/Channels/101?transport=udp';

const fixture = useAdminApi();
beforeEach(async () => {
  await fixture.api('POST', '/apps', { name: 'cams', sourceType: 'pull' });
});
const api = fixture.api;
/** the URL the engine is given (the config snapshot) */
const engineUrl = (id: string) => fixture.h.services.config.snapshot().pulls?.find((p) => p.id === id)?.url;

describe('RTSP pull sources', () => {
  test('rtsp:// and rtsps:// are accepted; rtsp without a host is not', async () => {
    expect((await api('POST', '/pulls', { app: 'cams', stream: 'a', url: 'rtsp://192.0.2.10/cam' })).status).toBe(201);
    expect((await api('POST', '/pulls', { app: 'cams', stream: 'b', url: 'rtsps://cam.example:322/live' })).status).toBe(201);
    const bad = expectProblem(await api('POST', '/pulls', { app: 'cams', stream: 'c', url: 'rtsp:///cam' }), 400, 'invalid');
    expect(bad.errors[0].path).toBe('/url');
  });

  test('the password is never shown back: admin and viewer reads, lists and the create answer', async () => {
    const created = await api('POST', '/pulls', { app: 'cams', stream: 'door', url: URL_WITH_PASSWORD });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('Cam-Pa55word');
    expect(created.body.url).toBe('rtsp://viewer:***@192.0.2.10:554/Streaming/Channels/101?transport=udp');
    // stored whole for the engine
    expect(engineUrl(created.body.id)).toBe(URL_WITH_PASSWORD);
    for (const path of ['/pulls', `/pulls/${created.body.id}`, '/pulls?app=cams']) {
      const res = await api('GET', path);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('Cam-Pa55word');
      expect(res.text).toContain('viewer:***@192.0.2.10');
    }
    expect((await api('POST', '/users', { username: 'vera', password: 'viewer password 1' })).status).toBe(201);
    const viewer = await login(fixture.h.app, 'vera', 'viewer password 1');
    const listed = await call(fixture.h.app, 'GET', '/api/v1/pulls', { creds: { cookie: viewer.cookie } });
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain('Cam-Pa55word');
    expect(listed.body.items[0].url).toContain('***@192.0.2.10');
  });

  test('sending *** back keeps the stored password; a new password or another host replaces it', async () => {
    const created = await api('POST', '/pulls', { app: 'cams', stream: 'door', url: URL_WITH_PASSWORD });
    const id = created.body.id;
    const moved = await api('PATCH', `/pulls/${id}`, { url: 'rtsp://viewer:***@192.0.2.10:554/Streaming/Channels/102' });
    expect(moved.status).toBe(200);
    expect(moved.body.url).toBe('rtsp://viewer:***@192.0.2.10:554/Streaming/Channels/102');
    expect(engineUrl(id)).toBe('rtsp://viewer:Cam-Pa55word@192.0.2.10:554/Streaming/Channels/102');
    await api('PATCH', `/pulls/${id}`, { url: 'rtsp://viewer:new-one@192.0.2.10/cam' });
    expect(engineUrl(id)).toBe('rtsp://viewer:new-one@192.0.2.10/cam');
    // *** for another host is not the stored password's to fill in
    await api('PATCH', `/pulls/${id}`, { url: 'rtsp://viewer:***@198.51.100.7/cam' });
    expect(engineUrl(id)).toBe('rtsp://viewer:***@198.51.100.7/cam');
  });

  test('the console shows the RTSP hint to admins and the pull list without the password', async () => {
    await api('POST', '/pulls', { app: 'cams', stream: 'door', url: URL_WITH_PASSWORD });
    const admin = await login(fixture.h.app);
    const page = await call(fixture.h.app, 'GET', '/relays', { creds: { cookie: admin.cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('rtsp://user:password@camera/stream');
    expect(page.text).toContain('?transport=udp');
    expect(page.text).not.toContain('Cam-Pa55word');
    const id = (await api('GET', '/pulls')).body.items[0].id;
    const form = await call(fixture.h.app, 'GET', `/pulls/${id}/edit`, { creds: { cookie: admin.cookie } });
    expect(form.text).toContain('rtsp://viewer:***@192.0.2.10:554/Streaming/Channels/101?transport=udp');
    expect(form.text).not.toContain('Cam-Pa55word');
  });
});
