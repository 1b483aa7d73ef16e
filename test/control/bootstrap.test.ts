import { describe, expect, test } from 'bun:test';
import { makeFixture } from './helpers.ts';

describe('bootstrap', () => {
  test('first start: default settings, app live (open, HLS and LL-HLS), admin with a generated password printed once', async () => {
    const { services } = makeFixture();
    const first = await services.bootstrap();
    expect(first.createdDefaultApp).toBe(true);
    expect(first.admin.created).toBe(true);
    expect(first.admin.username).toBe('admin');
    expect(first.admin.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(services.apps.get('live')).toMatchObject({ sourceType: 'push', hls: true, llHls: true, publishPolicy: 'open', playPolicy: 'open' });
    const snap = services.config.snapshot();
    expect(snap.listen).toEqual({ rtmpHost: '0.0.0.0', rtmpPort: 1935, httpHost: '0.0.0.0', httpPort: 8080 });
    expect(snap.hls).toEqual({ targetDurationMs: 2000, partTargetMs: 150, windowSegments: 6, alwaysRemux: false, muxerCloseAfterMs: 60_000 });
    expect(snap.revision).toBeGreaterThan(0);
    expect((await services.users.verifyPassword('admin', first.admin.generatedPassword!))?.role).toBe('admin');

    const second = await services.bootstrap();
    expect(second).toEqual({ createdDefaultApp: false, admin: { created: false, username: null, generatedPassword: null } });
    expect(services.users.list()).toHaveLength(1);
    expect(services.apps.list()).toHaveLength(1);
  });

  test('a deleted live app stays deleted after another start', async () => {
    const { services } = makeFixture();
    await services.bootstrap();
    services.apps.delete('live');
    await services.bootstrap();
    expect(services.apps.list()).toEqual([]);
  });

  test('WEIR_ADMIN_PASSWORD sets the admin password and nothing is printed', async () => {
    const { services } = makeFixture({ env: { WEIR_ADMIN_PASSWORD: 'from the env' } });
    const result = await services.bootstrap();
    expect(result.admin).toEqual({ created: true, username: 'admin', generatedPassword: null });
    expect(await services.users.verifyPassword('admin', 'from the env')).not.toBeNull();
  });

  test('concurrent bootstraps create one admin', async () => {
    const { services } = makeFixture();
    const results = await Promise.all([services.bootstrap(), services.bootstrap(), services.bootstrap()]);
    expect(results.filter((r) => r.admin.created)).toHaveLength(1);
    expect(services.users.list()).toHaveLength(1);
  });
});
