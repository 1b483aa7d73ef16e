// Numbered, forward-only schema migrations, applied in order inside one transaction each and
// recorded in `schema_migrations`. Never edit a released migration: append a new one.
import type { Database } from 'bun:sqlite';

export type Migration = Readonly<{ version: number; name: string; sql: string }>;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    // the CREATE TABLEs alike in shape (id, app, stream, …, created_at_ms) are different tables, and a released
    // migration is never rewritten, so its CHECK lists stay literal rather than derived from today's constants
    sql: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

      CREATE TABLE config_revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL) STRICT;
      INSERT INTO config_revision (id, value) VALUES (1, 0);

      CREATE TABLE apps (
        name TEXT PRIMARY KEY,
        source_type TEXT NOT NULL CHECK (source_type IN ('push', 'pull')),
        hls INTEGER NOT NULL CHECK (hls IN (0, 1)),
        ll_hls INTEGER NOT NULL CHECK (ll_hls IN (0, 1)),
        publish_policy TEXT NOT NULL CHECK (publish_policy IN ('open', 'stream-key', 'signed-url', 'hook')),
        play_policy TEXT NOT NULL CHECK (play_policy IN ('open', 'signed-url', 'hook')),
        hook_url TEXT,
        signing_secret TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX apps_name_nocase ON apps (name COLLATE NOCASE);

      CREATE TABLE stream_keys (
        id TEXT PRIMARY KEY,
        app TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
        stream TEXT,
        key_hash TEXT NOT NULL UNIQUE,
        key_prefix TEXT NOT NULL,
        label TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        revoked_at_ms INTEGER
      ) STRICT;
      CREATE INDEX stream_keys_app ON stream_keys (app);

      CREATE TABLE pull_sources (
        id TEXT PRIMARY KEY,
        app TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
        stream TEXT NOT NULL,
        url TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        created_at_ms INTEGER NOT NULL,
        UNIQUE (app, stream)
      ) STRICT;

      CREATE TABLE forward_targets (
        id TEXT PRIMARY KEY,
        app TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
        stream TEXT,
        url TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        created_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX forward_targets_app ON forward_targets (app);

      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        language TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX users_username_nocase ON users (username COLLATE NOCASE);

      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        token_prefix TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_used_at_ms INTEGER,
        revoked_at_ms INTEGER
      ) STRICT;
      CREATE INDEX api_tokens_user ON api_tokens (user_id);

      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_expires ON sessions (expires_at_ms);
    `,
  },
  {
    version: 2,
    name: 'apps origin url (per-app edge mode)',
    sql: `ALTER TABLE apps ADD COLUMN origin_url TEXT;`,
  },
  {
    version: 3,
    name: 'apps outage policy (admission while the config server cannot answer)',
    sql: `ALTER TABLE apps ADD COLUMN outage_policy TEXT NOT NULL DEFAULT 'admitted'
            CHECK (outage_policy IN ('admitted', 'closed', 'open'));`,
  },
  {
    version: 4,
    name: 'apps recording settings (issue 13)',
    sql: `ALTER TABLE apps ADD COLUMN recording_enabled INTEGER NOT NULL DEFAULT 0 CHECK (recording_enabled IN (0, 1));
      ALTER TABLE apps ADD COLUMN recording_format TEXT NOT NULL DEFAULT 'fmp4' CHECK (recording_format IN ('fmp4', 'ts'));
      ALTER TABLE apps ADD COLUMN recording_segment_sec INTEGER NOT NULL DEFAULT 6 CHECK (recording_segment_sec >= 1);
      ALTER TABLE apps ADD COLUMN recording_path TEXT;
      ALTER TABLE apps ADD COLUMN recording_retention_days INTEGER NOT NULL DEFAULT 0 CHECK (recording_retention_days >= 0);
      ALTER TABLE apps ADD COLUMN recording_quota_mb INTEGER NOT NULL DEFAULT 0 CHECK (recording_quota_mb >= 0);`,
  },
  {
    version: 5,
    name: 'apps snapshot settings (issue 13)',
    sql: `ALTER TABLE apps ADD COLUMN snapshot_enabled INTEGER NOT NULL DEFAULT 0 CHECK (snapshot_enabled IN (0, 1));
      ALTER TABLE apps ADD COLUMN snapshot_interval_sec INTEGER NOT NULL DEFAULT 10 CHECK (snapshot_interval_sec >= 1);
      ALTER TABLE apps ADD COLUMN snapshot_keep INTEGER NOT NULL DEFAULT 1 CHECK (snapshot_keep >= 1);`,
  },
  {
    version: 6,
    name: 'apps SRT listen port (per-app SRT listener, issue 14)',
    sql: `ALTER TABLE apps ADD COLUMN srt_port INTEGER CHECK (srt_port IS NULL OR (srt_port BETWEEN 1 AND 65535));
      CREATE UNIQUE INDEX apps_srt_port ON apps (srt_port) WHERE srt_port IS NOT NULL;`,
  },
];

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** applies the migrations newer than the database; returns the versions applied */
export function runMigrations(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  nowMs: () => number = Date.now,
): number[] {
  db.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT`,
  );
  const row = db.query<{ v: number | null }, []>('SELECT MAX(version) AS v FROM schema_migrations').get();
  const current = row?.v ?? 0;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new MigrationError(`database schema version ${current} is newer than this program (${latest})`);
  }
  const record = db.query('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.run(m.sql);
      record.run(m.version, m.name, nowMs());
    })();
    applied.push(m.version);
  }
  return applied;
}

export function schemaVersion(db: Database): number {
  return db.query<{ v: number | null }, []>('SELECT MAX(version) AS v FROM schema_migrations').get()?.v ?? 0;
}
