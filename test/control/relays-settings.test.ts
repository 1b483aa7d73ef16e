import { describe, expect, test } from 'bun:test';
import { domainError, makeFixture } from './helpers.ts';

describe('PullSourceService', () => {
  test('CRUD with URL schemes rtmp, rtmps, http, https; one source per stream', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'relay', sourceType: 'pull' });
    const urls = ['rtmp://a.example/app/s', 'rtmps://a.example/app/s', 'http://a.example/s.flv', 'https://a.example/s/index.m3u8'];
    const created = urls.map((url, i) => services.pulls.create({ app: 'relay', stream: `s${i}`, url }));
    expect(services.pulls.list('relay').map((p) => p.url)).toEqual(urls);
    expect(created[0]).toEqual({ id: created[0]!.id, app: 'relay', stream: 's0', url: urls[0]!, enabled: true });
    expect((await domainError(() => services.pulls.create({ app: 'relay', stream: 's0', url: urls[0]! }))).code).toBe('conflict');
    expect((await domainError(() => services.pulls.update(created[1]!.id, { stream: 's0' }))).code).toBe('conflict');
    expect(services.pulls.update(created[1]!.id, { enabled: false }).enabled).toBe(false);
    services.pulls.delete(created[1]!.id);
    expect((await domainError(() => services.pulls.get(created[1]!.id))).code).toBe('not-found');
  });

  // srt:// and udp:// are pull kinds now: refused only when they break their own rules (no port, an unknown key)
  test.each(['ftp://a.example/x', 'srt://a.example', 'udp://a.example:5000?bogus=1', 'rtmp://', 'not a url', 'file:///etc/passwd'])(
    'refuses the url %p',
    async (url) => {
      const { services } = makeFixture();
      services.apps.create({ name: 'relay', sourceType: 'pull' });
      const err = await domainError(() => services.pulls.create({ app: 'relay', stream: 's', url }));
      expect(err.code).toBe('invalid');
      expect(err.field).toBe('url');
    },
  );

  test('only pull apps take pull sources; unknown app is not-found', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    expect((await domainError(() => services.pulls.create({ app: 'live', stream: 's', url: 'rtmp://x/y' }))).field).toBe('app');
    expect((await domainError(() => services.pulls.create({ app: 'nope', stream: 's', url: 'rtmp://x/y' }))).code).toBe('not-found');
  });
});

describe('ForwardTargetService', () => {
  test('CRUD, rtmp/rtmps only, urlsFor matches the stream or all streams and skips disabled', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const all = services.forwards.create({ app: 'live', url: 'rtmp://a.example/app/all' });
    const cam = services.forwards.create({ app: 'live', stream: 'cam', url: 'rtmps://b.example/app/cam' });
    const off = services.forwards.create({ app: 'live', url: 'rtmp://c.example/app/off', enabled: false });
    expect(all.stream).toBeNull();
    expect(services.forwards.urlsFor('live', 'cam')).toEqual([all.url, cam.url]);
    expect(services.forwards.urlsFor('live', 'other')).toEqual([all.url]);
    services.forwards.update(off.id, { enabled: true });
    expect(services.forwards.urlsFor('live', 'other')).toEqual([all.url, off.url]);
    expect(services.forwards.update(cam.id, { stream: null }).stream).toBeNull();
    expect((await domainError(() => services.forwards.create({ app: 'live', url: 'http://x/y' }))).field).toBe('url');
    expect((await domainError(() => services.forwards.update(all.id, { url: 'https://x/y' }))).field).toBe('url');
    services.forwards.delete(all.id);
    expect((await domainError(() => services.forwards.delete(all.id))).code).toBe('not-found');
  });

  test('relay changes appear in the snapshot with a newer revision', () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const r = services.config.revision();
    const f = services.forwards.create({ app: 'live', stream: 'cam', url: 'rtmp://a.example/app/cam' });
    const snap = services.config.snapshot();
    expect(snap.revision).toBe(r + 1);
    expect(snap.forwards).toEqual([f]);
  });
});

describe('SettingsService', () => {
  test('defaults, partial updates, and the snapshot follows', () => {
    const { services } = makeFixture();
    expect(services.settings.get()).toEqual({
      listen: { rtmpHost: '0.0.0.0', rtmpPort: 1935, httpHost: '0.0.0.0', httpPort: 8080 },
      hls: { targetDurationMs: 2000, partTargetMs: 150, windowSegments: 6, alwaysRemux: false, muxerCloseAfterMs: 60_000 },
    });
    const r = services.config.revision();
    const next = services.settings.update({ listen: { rtmpPort: 1936 }, hls: { windowSegments: 8 } });
    expect(next.listen).toEqual({ rtmpHost: '0.0.0.0', rtmpPort: 1936, httpHost: '0.0.0.0', httpPort: 8080 });
    expect(next.hls.windowSegments).toBe(8);
    expect(services.settings.get()).toEqual(next);
    expect(services.config.snapshot()).toMatchObject({ revision: r + 1, listen: next.listen, hls: next.hls });
    services.settings.update({ listen: { rtmpPort: 1936 } });
    expect(services.config.revision()).toBe(r + 1);
  });

  test.each([
    [{ listen: { rtmpPort: 0 } }, 'listen.rtmpPort'],
    [{ listen: { httpPort: 65536 } }, 'listen.httpPort'],
    [{ listen: { httpPort: 80.5 } }, 'listen.httpPort'],
    [{ listen: { httpPort: 1935 } }, 'listen.httpPort'],
    [{ listen: { rtmpHost: '' } }, 'listen.rtmpHost'],
    [{ listen: { httpHost: 'bad host!' } }, 'listen.httpHost'],
    [{ hls: { partTargetMs: 700 } }, 'hls.partTargetMs'],
    [{ hls: { targetDurationMs: 900, partTargetMs: 334 } }, 'hls.partTargetMs'],
    [{ hls: { windowSegments: 1 } }, 'hls.windowSegments'],
  ] as const)('refuses %j (field %s) and changes nothing', async (patch, field) => {
    const { services } = makeFixture();
    const before = services.settings.get();
    const err = await domainError(() => services.settings.update(patch as never));
    expect(err.code).toBe('invalid');
    expect(err.field).toBe(field);
    expect(services.settings.get()).toEqual(before);
  });

  test('accepts IPv6 and host names, part target exactly a third', () => {
    const { services } = makeFixture();
    expect(services.settings.update({ listen: { rtmpHost: '::', httpHost: 'media.example.com' } }).listen.rtmpHost).toBe('::');
    expect(services.settings.update({ hls: { targetDurationMs: 999, partTargetMs: 333 } }).hls.partTargetMs).toBe(333);
  });
});
