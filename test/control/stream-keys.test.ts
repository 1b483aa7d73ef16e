import { describe, expect, test } from 'bun:test';
import { domainError, makeFixture } from './helpers.ts';

describe('StreamKeyService', () => {
  test('creating, revoking and deleting a key each move the config revision and tell the engine', () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const heard: number[] = [];
    services.config.subscribe((revision) => heard.push(revision));
    const start = services.config.revision();
    const { streamKey } = services.streamKeys.create({ app: 'live', stream: 'cam1' });
    services.streamKeys.revoke(streamKey.id);
    services.streamKeys.delete(streamKey.id);
    expect(heard).toEqual([start + 1, start + 2, start + 3]);
    expect(services.config.snapshot().revision).toBe(start + 3);
  });

  test('the plain key is returned once; lists show only the prefix; the store has only a hash', () => {
    const { services, store } = makeFixture();
    services.apps.create({ name: 'live' });
    const { streamKey, key } = services.streamKeys.create({ app: 'live', stream: 'cam1', label: 'studio' });
    expect(key).toMatch(/^wsk_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(streamKey.prefix)).toBe(true);
    expect(streamKey.prefix.length).toBeLessThan(key.length / 2);
    expect(streamKey).toMatchObject({ app: 'live', stream: 'cam1', label: 'studio', revokedAtMs: null });
    const listed = JSON.stringify(services.streamKeys.list('live'));
    expect(listed).not.toContain(key);
    expect(listed).not.toContain('keyHash');
    const rows = JSON.stringify(store.db.query('SELECT * FROM stream_keys').all());
    expect(rows).not.toContain(key);
  });

  test('verify: right key and stream, any-stream keys, wrong key, other stream, other app', () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    services.apps.create({ name: 'other' });
    const cam = services.streamKeys.create({ app: 'live', stream: 'cam1' }).key;
    const any = services.streamKeys.create({ app: 'live' }).key;
    expect(services.streamKeys.verify('live', 'cam1', cam)).toBe(true);
    expect(services.streamKeys.verify('live', 'cam2', cam)).toBe(false);
    expect(services.streamKeys.verify('live', 'cam2', any)).toBe(true);
    expect(services.streamKeys.verify('other', 'cam1', cam)).toBe(false);
    expect(services.streamKeys.verify('live', 'cam1', cam.slice(0, -1) + (cam.endsWith('A') ? 'B' : 'A'))).toBe(false);
    expect(services.streamKeys.verify('live', 'cam1', '')).toBe(false);
  });

  test('a revoked key is refused; revoke is idempotent and keeps its time', () => {
    const { services, clock } = makeFixture();
    services.apps.create({ name: 'live' });
    const { streamKey, key } = services.streamKeys.create({ app: 'live' });
    clock.advance(1000);
    const revoked = services.streamKeys.revoke(streamKey.id);
    expect(revoked.revokedAtMs).toBe(clock.ms);
    expect(services.streamKeys.verify('live', 'x', key)).toBe(false);
    clock.advance(1000);
    expect(services.streamKeys.revoke(streamKey.id).revokedAtMs).toBe(revoked.revokedAtMs);
  });

  test('errors: unknown app, bad stream name, unknown id', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    expect((await domainError(() => services.streamKeys.create({ app: 'nope' }))).code).toBe('not-found');
    expect((await domainError(() => services.streamKeys.create({ app: 'live', stream: 'a b' }))).code).toBe('invalid');
    expect((await domainError(() => services.streamKeys.revoke('nope'))).code).toBe('not-found');
    expect((await domainError(() => services.streamKeys.delete('nope'))).code).toBe('not-found');
    expect((await domainError(() => services.streamKeys.list('nope'))).code).toBe('not-found');
  });
});
