import { describe, expect, test } from 'bun:test';
import { domainError, makeFixture } from './helpers.ts';

describe('AppService', () => {
  test('creates with defaults and lists without the signing secret', () => {
    const { services, clock } = makeFixture();
    const app = services.apps.create({ name: 'show_1' });
    expect(app).toEqual({
      name: 'show_1',
      sourceType: 'push',
      hls: true,
      llHls: true,
      publishPolicy: 'open',
      playPolicy: 'open',
      hookUrl: null,
      outagePolicy: 'admitted',
      recording: { enabled: false, format: 'fmp4', segmentDurationSec: 6, path: null, retentionDays: 0, quotaMb: 0 },
      snapshot: { enabled: false, intervalSec: 10, keep: 1 },
      createdAtMs: clock.ms,
    });
    expect(services.apps.list()).toEqual([app]);
    expect(JSON.stringify(services.apps.list())).not.toContain(services.apps.signingSecret('show_1'));
    expect(services.apps.signingSecret('show_1')).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each(['a', 'x'.repeat(41), 'has space', 'dot.ted', 'slash/x', 'ünï', ''])('refuses the name %p', async (name) => {
    const { services } = makeFixture();
    const err = await domainError(() => services.apps.create({ name }));
    expect(err.code).toBe('invalid');
    expect(err.status).toBe(400);
    expect(err.field).toBe('name');
  });

  test('accepts 2 and 40 characters of [A-Za-z0-9_-]', () => {
    const { services } = makeFixture();
    expect(services.apps.create({ name: 'ab' }).name).toBe('ab');
    expect(services.apps.create({ name: 'A-z_9'.padEnd(40, 'x') }).name).toHaveLength(40);
  });

  test('a taken name is a conflict, also in another case', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    expect((await domainError(() => services.apps.create({ name: 'live' }))).code).toBe('conflict');
    const err = await domainError(() => services.apps.create({ name: 'Live' }));
    expect(err.code).toBe('conflict');
    expect(err.status).toBe(409);
  });

  test('hook policies need a hook URL (http or https)', async () => {
    const { services } = makeFixture();
    expect((await domainError(() => services.apps.create({ name: 'h1', publishPolicy: 'hook' }))).field).toBe('hookUrl');
    expect((await domainError(() => services.apps.create({ name: 'h1', playPolicy: 'hook', hookUrl: 'ftp://x/' }))).code).toBe(
      'invalid',
    );
    const app = services.apps.create({ name: 'h1', publishPolicy: 'hook', hookUrl: 'http://127.0.0.1:9/auth' });
    expect(app.hookUrl).toBe('http://127.0.0.1:9/auth');
    expect((await domainError(() => services.apps.update('h1', { hookUrl: null }))).code).toBe('invalid');
  });

  test('bad enum values are invalid and change nothing', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const before = services.config.revision();
    const err = await domainError(() => services.apps.update('live', { publishPolicy: 'nope' as never }));
    expect(err.field).toBe('publishPolicy');
    expect(services.apps.get('live').publishPolicy).toBe('open');
    expect(services.config.revision()).toBe(before);
  });

  // Set-up alike in shape to stream-keys.test.ts's (an app, a revision listener): each then changes and checks its own service.
  test('update changes the revision and notifies; a no-op update does not', () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const heard: number[] = [];
    services.config.subscribe((r) => heard.push(r));
    const r0 = services.config.revision();
    expect(services.apps.update('live', { llHls: false }).llHls).toBe(false);
    expect(services.config.revision()).toBe(r0 + 1);
    services.apps.update('live', { llHls: false });
    expect(services.config.revision()).toBe(r0 + 1);
    expect(heard).toEqual([r0 + 1]);
  });

  test('unknown apps are not-found', async () => {
    const { services } = makeFixture();
    for (const fn of [
      () => services.apps.get('nope'),
      () => services.apps.update('nope', {}),
      () => services.apps.delete('nope'),
      () => services.apps.signingSecret('nope'),
    ]) {
      const err = await domainError(fn);
      expect(err.code).toBe('not-found');
      expect(err.status).toBe(404);
    }
  });

  test('delete cascades stream keys, pull sources and forward targets', () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    services.apps.create({ name: 'relay', sourceType: 'pull' });
    services.streamKeys.create({ app: 'live' });
    services.forwards.create({ app: 'live', url: 'rtmp://example.com/app/x' });
    services.pulls.create({ app: 'relay', stream: 'cam', url: 'rtmp://example.com/app/cam' });
    services.forwards.create({ app: 'relay', url: 'rtmp://example.com/app/y' });
    services.apps.delete('live');
    expect(services.streamKeys.list()).toEqual([]);
    expect(services.forwards.list().map((f) => f.app)).toEqual(['relay']);
    services.apps.delete('relay');
    expect(services.pulls.list()).toEqual([]);
    expect(services.forwards.list()).toEqual([]);
    expect(services.config.snapshot().apps).toEqual([]);
  });

  test('rotating the signing secret changes it and bumps the config revision (the engine drops answers cached for old URLs)', () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const r = services.config.revision();
    const before = services.apps.signingSecret('live');
    const after = services.apps.rotateSigningSecret('live');
    expect(after).not.toBe(before);
    expect(services.apps.signingSecret('live')).toBe(after);
    expect(services.config.revision()).toBe(r + 1);
  });

  test('a pull app with pull sources cannot become a push app', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'relay', sourceType: 'pull' });
    const pull = services.pulls.create({ app: 'relay', stream: 'cam', url: 'https://example.com/cam.flv' });
    expect((await domainError(() => services.apps.update('relay', { sourceType: 'push' }))).code).toBe('conflict');
    services.pulls.delete(pull.id);
    expect(services.apps.update('relay', { sourceType: 'push' }).sourceType).toBe('push');
  });
});
