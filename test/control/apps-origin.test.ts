// Per-app edge origin (issue 6 item 2): validation, store round trip, snapshot, and the
// migration that adds apps.origin_url to a database made before it existed.
import { describe, expect, test } from 'bun:test';
import { openStore } from '../../src/control/store/index.ts';
import { withOldAppDatabase } from './old-database.ts';
import { DEFAULT_ENGINE_CONFIG, engineConfigFromSnapshot } from '../../src/shared/engine-config.ts';
import { domainError, makeFixture } from './helpers.ts';

describe('app originUrl: validation', () => {
  test.each([
    'rtmp://origin/{app}/{stream}',
    'rtmps://origin.example.com:443/{app}/{stream}',
    'http://10.0.0.1:8080/{app}/{stream}.flv',
    'https://cdn.example.com/{app}/{stream}/index.m3u8',
    'rtmp://origin:1935/live/{stream}?token=x',
    'rtmp://origin/fixed/stream',
  ])('accepts %p', (originUrl) => {
    const { services } = makeFixture();
    expect(services.apps.create({ name: 'edge', originUrl }).originUrl).toBe(originUrl);
  });

  test.each([
    'ftp://origin/{app}/{stream}',
    'srt://origin:9000',
    'origin/{app}/{stream}',
    'rtmp:///{app}',
    'rtmp://origin/{app}/{name}',
    'rtmp://origin/{app}/{stream',
    '{app}://origin/x',
    '',
    'rtmp://origin/' + 'x'.repeat(2100),
  ])('refuses %#', async (originUrl) => {
    const { services } = makeFixture();
    const err = await domainError(() => services.apps.create({ name: 'edge', originUrl }));
    expect(err.code).toBe('invalid');
    expect(err.field).toBe('originUrl');
    services.apps.create({ name: 'other' });
    const err2 = await domainError(() => services.apps.update('other', { originUrl }));
    expect(err2.code).toBe('invalid');
    expect(err2.field).toBe('originUrl');
  });

  test('a non-string is refused', async () => {
    const { services } = makeFixture();
    const err = await domainError(() => services.apps.create({ name: 'edge', originUrl: 42 as never }));
    expect(err.field).toBe('originUrl');
  });
});

describe('app originUrl: round trip', () => {
  test('create, read back, change, clear; the revision moves only on a change; the snapshot carries it', () => {
    const { services, store } = makeFixture();
    const plain = services.apps.create({ name: 'plain' });
    expect('originUrl' in plain).toBe(false); // unset: absent
    const created = services.apps.create({ name: 'edge', originUrl: 'rtmp://origin/{app}/{stream}' });
    expect(created.originUrl).toBe('rtmp://origin/{app}/{stream}');
    expect(services.apps.get('edge').originUrl).toBe('rtmp://origin/{app}/{stream}');
    expect(store.apps.get('edge')?.originUrl).toBe('rtmp://origin/{app}/{stream}');

    const snapshot = services.config.snapshot();
    expect(snapshot.apps.find((a) => a.name === 'edge')?.originUrl).toBe('rtmp://origin/{app}/{stream}');
    expect(snapshot.apps.find((a) => a.name === 'plain')?.originUrl ?? null).toBeNull();
    const engineConfig = engineConfigFromSnapshot(DEFAULT_ENGINE_CONFIG, snapshot);
    expect(engineConfig.apps.find((a) => a.name === 'edge')?.originUrl).toBe('rtmp://origin/{app}/{stream}');
    expect(engineConfig.apps.find((a) => a.name === 'plain')?.originUrl ?? null).toBeNull();

    const revision = services.config.revision();
    services.apps.update('edge', { hls: true }); // unchanged
    expect(services.config.revision()).toBe(revision);
    services.apps.update('edge', { originUrl: 'https://origin/{app}/{stream}.flv' });
    expect(services.config.revision()).toBe(revision + 1);
    expect(services.apps.get('edge').originUrl).toBe('https://origin/{app}/{stream}.flv');
    services.apps.update('edge', { playPolicy: 'open' }); // not sent: kept
    expect(services.apps.get('edge').originUrl).toBe('https://origin/{app}/{stream}.flv');
    services.apps.update('edge', { originUrl: null });
    expect(services.config.revision()).toBe(revision + 2);
    expect(services.apps.get('edge').originUrl ?? null).toBeNull();
    expect(store.apps.get('edge')?.originUrl ?? null).toBeNull();
  });
});

describe('app originUrl: migration', () => {
  test('a database at schema 1 with apps gains origin_url (null) and keeps its rows', () => {
    withOldAppDatabase(
      2,
      (store) => {
        const columns = store.db.query<{ name: string }, []>('PRAGMA table_info(apps)').all().map((c) => c.name);
        expect(columns).toContain('origin_url');
        const old = store.apps.get('old');
        expect(old).toMatchObject({ name: 'old', llHls: false, signingSecret: 'abc', createdAtMs: 123 });
        expect(old?.originUrl ?? null).toBeNull();
        store.apps.update({ ...old!, originUrl: 'rtmp://origin/{app}/{stream}' }, true);
        expect(store.apps.get('old')?.originUrl).toBe('rtmp://origin/{app}/{stream}');
      },
      (path) => {
        // Reopening applies nothing more and keeps the value.
        const again = openStore(path);
        try {
          expect(again.apps.get('old')?.originUrl).toBe('rtmp://origin/{app}/{stream}');
        } finally {
          again.close();
        }
      },
    );
  });
});
