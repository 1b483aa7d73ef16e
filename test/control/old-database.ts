// Migration tests: a database made by the migrations before one, with one app ('old', LL-HLS off,
// signing secret 'abc', created at 123) written the way it was then, opened as today's store.
import { Database } from 'bun:sqlite';
import { expect } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, openStore, runMigrations, schemaVersion, type Store } from '../../src/control/store/index.ts';

/**
 * Builds the database at the schema just before `version`, opens it (migrating it to the latest),
 * runs `check` on the store, closes it, then `afterClose` with the file's path; the folder goes after.
 */
export function withOldAppDatabase(version: number, check: (store: Store) => void, afterClose?: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'weir-migration-'));
  try {
    const path = join(dir, 'weir.db');
    const db = new Database(path, { create: true, strict: true });
    runMigrations(db, MIGRATIONS.filter((m) => m.version < version));
    expect(schemaVersion(db)).toBe(version - 1);
    db.run(
      `INSERT INTO apps (name, source_type, hls, ll_hls, publish_policy, play_policy, hook_url, signing_secret, created_at_ms)
       VALUES ('old', 'push', 1, 0, 'open', 'open', NULL, 'abc', 123)`,
    );
    db.close();
    const store = openStore(path);
    try {
      expect(schemaVersion(store.db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
      check(store);
    } finally {
      store.close();
    }
    afterClose?.(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The version of the migration whose name starts so (found by name, so renumbering on merges changes nothing). */
export function migrationVersion(namePrefix: string): number {
  const migration = MIGRATIONS.find((m) => m.name.startsWith(namePrefix));
  if (!migration) throw new Error(`no migration named '${namePrefix}…'`);
  return migration.version;
}
