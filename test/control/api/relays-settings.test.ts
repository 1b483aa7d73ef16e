// /api/v1/pulls, /api/v1/forwards and /api/v1/settings.
import { describe, expect, test } from 'bun:test';
import { expectProblem, useAdminApi } from './helpers.ts';

const admin = useAdminApi();
const api = admin.api;

describe('pull sources', () => {
  test('CRUD on a pull app', async () => {
    await api('POST', '/apps', { name: 'relay', sourceType: 'pull' });
    const created = await api('POST', '/pulls', { app: 'relay', stream: 'cam1', url: 'rtmp://origin.example.com/live/cam1' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ app: 'relay', stream: 'cam1', url: 'rtmp://origin.example.com/live/cam1', enabled: true });
    const id = created.body.id;
    expect((await api('GET', `/pulls/${id}`)).body).toEqual(created.body);
    expect((await api('GET', '/pulls')).body.items).toEqual([created.body]);
    expect((await api('GET', '/pulls?app=relay')).body.items).toHaveLength(1);
    expect((await api('GET', '/pulls?app=live')).body.items).toHaveLength(0);

    const changed = await api('PATCH', `/pulls/${id}`, { enabled: false });
    expect(changed.body).toEqual({ ...created.body, enabled: false });
    expectProblem(await api('POST', '/pulls', { app: 'relay', stream: 'cam1', url: 'https://origin.example.com/cam1.flv' }), 409, 'conflict');

    expect((await api('DELETE', `/pulls/${id}`)).status).toBe(204);
    expectProblem(await api('GET', `/pulls/${id}`), 404, 'not-found');
  });

  test('bad input is 400 with field paths; a push app refuses pulls', async () => {
    await api('POST', '/apps', { name: 'relay', sourceType: 'pull' });
    const bad = expectProblem(await api('POST', '/pulls', { app: 'r', stream: 'a b', url: 5, enabled: 'yes' }), 400, 'invalid');
    expect(bad.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/app', '/enabled', '/stream', '/url']);
    const scheme = expectProblem(await api('POST', '/pulls', { app: 'relay', stream: 'a', url: 'ftp://x/y' }), 400, 'invalid');
    expect(scheme.errors[0].path).toBe('/url');
    const push = expectProblem(await api('POST', '/pulls', { app: 'live', stream: 'a', url: 'rtmp://x/y/z' }), 400, 'invalid');
    expect(push.errors[0].path).toBe('/app');
    expectProblem(await api('POST', '/pulls', { app: 'nope', stream: 'a', url: 'rtmp://x/y/z' }), 404, 'not-found');
    expect((await api('GET', '/pulls')).body.items).toEqual([]);
  });
});

describe('forward targets', () => {
  test('CRUD, for one stream or the whole app', async () => {
    const all = await api('POST', '/forwards', { app: 'live', url: 'rtmp://a.rtmp.youtube.com/live2/KEY' });
    expect(all.status).toBe(201);
    expect(all.body).toMatchObject({ app: 'live', stream: null, enabled: true });
    const one = await api('POST', '/forwards', { app: 'live', stream: 'demo', url: 'rtmps://live.example.com/app/k', enabled: false });
    expect(one.body).toMatchObject({ stream: 'demo', enabled: false });
    expect((await api('GET', '/forwards')).body.items).toHaveLength(2);

    const changed = await api('PATCH', `/forwards/${one.body.id}`, { stream: null, enabled: true });
    expect(changed.body).toMatchObject({ stream: null, enabled: true, url: 'rtmps://live.example.com/app/k' });
    expect((await api('GET', `/forwards/${one.body.id}`)).body).toEqual(changed.body);

    expect((await api('DELETE', `/forwards/${all.body.id}`)).status).toBe(204);
    expect((await api('GET', '/forwards')).body.items).toEqual([changed.body]);
    expectProblem(await api('DELETE', `/forwards/${all.body.id}`), 404, 'not-found');
  });

  test('only rtmp://, rtmps://, srt:// and udp:// destinations', async () => {
    const bad = expectProblem(await api('POST', '/forwards', { app: 'live', url: 'http://example.com/x' }), 400, 'invalid');
    expect(bad.errors[0]).toMatchObject({ in: 'body', path: '/url' });
    expect((await api('GET', '/forwards')).body.items).toEqual([]);
  });
});

describe('settings', () => {
  test('read, change a part, the engine is told; the same values again change nothing', async () => {
    const before = await api('GET', '/settings');
    expect(before.body).toEqual({
      listen: { rtmpHost: '0.0.0.0', rtmpPort: 1935, httpHost: '0.0.0.0', httpPort: 8080 },
      hls: { targetDurationMs: 2000, partTargetMs: 150, windowSegments: 6, alwaysRemux: false, muxerCloseAfterMs: 60_000 },
    });
    const changed = await api('PATCH', '/settings', { listen: { rtmpPort: 19350 }, hls: { windowSegments: 8 } });
    expect(changed.status).toBe(200);
    expect(changed.body.listen).toEqual({ ...before.body.listen, rtmpPort: 19350 });
    expect(changed.body.hls).toEqual({ ...before.body.hls, windowSegments: 8 });
    expect((await api('GET', '/settings')).body).toEqual(changed.body);
    expect(admin.h.engine.reloads).toBe(1);

    await api('PATCH', '/settings', { hls: { windowSegments: 8 } });
    expect(admin.h.engine.reloads).toBe(1);
  });

  test('bad values are 400 with field paths and change nothing', async () => {
    const bad = expectProblem(await api('PATCH', '/settings', { listen: { rtmpPort: 70000, httpHost: '' }, hls: { windowSegments: 'six' } }), 400, 'invalid');
    expect(bad.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/hls/windowSegments', '/listen/httpHost', '/listen/rtmpPort']);
    expect(bad.errors.find((e: { path: string }) => e.path === '/listen/rtmpPort').message).toBe('must be an integer from 1 to 65535');

    // the whole result is checked: equal ports, parts longer than a third of a segment
    const same = expectProblem(await api('PATCH', '/settings', { listen: { httpPort: 1935 } }), 400, 'invalid');
    expect(same.errors).toEqual([{ in: 'body', path: '/listen/httpPort', message: 'the RTMP and HTTP ports must differ' }]);
    const part = expectProblem(await api('PATCH', '/settings', { hls: { partTargetMs: 1000 } }), 400, 'invalid');
    expect(part.errors[0].path).toBe('/hls/partTargetMs');

    expect((await api('GET', '/settings')).body.listen.rtmpPort).toBe(1935);
    expect(admin.h.engine.reloads).toBe(0);
  });

  test('HLS on demand: alwaysRemux and muxerCloseAfterMs are settings the engine is told of', async () => {
    const bad = expectProblem(await api('PATCH', '/settings', { hls: { alwaysRemux: 'yes', muxerCloseAfterMs: 10 } }), 400, 'invalid');
    expect(bad.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/hls/alwaysRemux', '/hls/muxerCloseAfterMs']);
    expect(admin.h.engine.reloads).toBe(0);
    const changed = await api('PATCH', '/settings', { hls: { alwaysRemux: true, muxerCloseAfterMs: 30_000 } });
    expect(changed.status).toBe(200);
    expect(changed.body.hls).toMatchObject({ alwaysRemux: true, muxerCloseAfterMs: 30_000, windowSegments: 6 });
    expect(admin.h.engine.reloads).toBe(1);
    expect(admin.h.services.config.snapshot().hls).toMatchObject({ alwaysRemux: true, muxerCloseAfterMs: 30_000 });
  });
});
