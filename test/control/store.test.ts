import { describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, MigrationError, openStore, runMigrations, schemaVersion } from '../../src/control/store/index.ts';

const app = (name: string) => ({
  name,
  sourceType: 'push' as const,
  hls: true,
  llHls: false,
  publishPolicy: 'open' as const,
  playPolicy: 'open' as const,
  hookUrl: null,
  outagePolicy: 'admitted' as const,
  recording: { enabled: false, format: 'fmp4' as const, segmentDurationSec: 6, path: null, retentionDays: 0, quotaMb: 0 },
  snapshot: { enabled: false, intervalSec: 10, keep: 1 },
  signingSecret: 'secret',
  createdAtMs: 1,
});

describe('store', () => {
  test('migrations run once: a second run applies nothing and keeps the data', () => {
    const db = new Database(':memory:', { strict: true });
    expect(runMigrations(db)).toEqual(MIGRATIONS.map((m) => m.version));
    db.run(`INSERT INTO settings (key, value) VALUES ('k', '1')`);
    expect(runMigrations(db)).toEqual([]);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.query('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    expect(db.query('SELECT value FROM settings').get()).toEqual({ value: '1' });
  });

  test('a later migration applies on top; a database newer than the code is refused', () => {
    const db = new Database(':memory:', { strict: true });
    runMigrations(db);
    const next = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER)' }];
    expect(runMigrations(db, next)).toEqual([MIGRATIONS.length + 1]);
    expect(() => runMigrations(db)).toThrow(MigrationError);
  });

  test('a failing migration leaves nothing behind', () => {
    const db = new Database(':memory:', { strict: true });
    runMigrations(db);
    const bad = [...MIGRATIONS, { version: 99, name: 'bad', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM nowhere;' }];
    expect(() => runMigrations(db, bad)).toThrow();
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.query(`SELECT name FROM sqlite_master WHERE name = 'half'`).get()).toBeNull();
  });

  test('a file database uses WAL, foreign keys, and reopens without re-migrating', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-store-'));
    try {
      const path = join(dir, 'nested', 'weir.db');
      const s1 = openStore(path);
      expect(s1.db.query('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(s1.db.query('PRAGMA foreign_keys').get()).toEqual({ foreign_keys: 1 });
      expect(s1.db.query('PRAGMA synchronous').get()).toEqual({ synchronous: 1 });
      s1.apps.insert(app('live'));
      s1.close();
      const s2 = openStore(path);
      expect(s2.apps.list().map((a) => a.name)).toEqual(['live']);
      expect(schemaVersion(s2.db)).toBe(MIGRATIONS.length);
      s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('config writes bump the revision; deleting an app cascades keys, pulls and forwards', () => {
    const s = openStore(':memory:');
    expect(s.revision.get()).toBe(0);
    s.apps.insert(app('live'));
    expect(s.revision.get()).toBe(1);
    s.streamKeys.insert({ id: 'k1', app: 'live', stream: null, keyHash: 'h', prefix: 'p', label: '', createdAtMs: 1, revokedAtMs: null });
    s.pulls.insert({ id: 'p1', app: 'live', stream: 'a', url: 'rtmp://x/y', enabled: true, createdAtMs: 1 });
    s.forwards.insert({ id: 'f1', app: 'live', stream: null, url: 'rtmp://x/y', enabled: true, createdAtMs: 1 });
    expect(s.revision.get()).toBe(4);
    s.streamKeys.revoke('k1', 2);
    expect(s.revision.get()).toBe(5);
    s.streamKeys.revoke('k1', 3); // already revoked: nothing changed
    expect(s.revision.get()).toBe(5);
    s.streamKeys.insert({ id: 'k2', app: 'live', stream: null, keyHash: 'h2', prefix: 'p', label: '', createdAtMs: 1, revokedAtMs: null });
    expect(s.streamKeys.delete('k2')).toBe(true);
    expect(s.revision.get()).toBe(7);
    expect(s.apps.delete('live')).toBe(true);
    expect(s.revision.get()).toBe(8);
    expect(s.streamKeys.list()).toEqual([]);
    expect(s.pulls.list()).toEqual([]);
    expect(s.forwards.list()).toEqual([]);
  });

  test('app names are unique ignoring case; lookups are exact', () => {
    const s = openStore(':memory:');
    s.apps.insert(app('live'));
    expect(() => s.apps.insert(app('LIVE'))).toThrow();
    expect(s.apps.get('LIVE')).toBeNull();
    expect(s.apps.findIgnoringCase('LIVE')?.name).toBe('live');
  });

  test('a failed multi-row write changes nothing (transaction)', () => {
    const s = openStore(':memory:');
    s.apps.insert(app('live'));
    const before = s.revision.get();
    expect(() =>
      s.transaction(() => {
        s.settings.setMany({ a: 1 }, true);
        s.apps.insert(app('live'));
      }),
    ).toThrow();
    expect(s.revision.get()).toBe(before);
    expect(s.settings.get('a')).toBeUndefined();
  });
});
