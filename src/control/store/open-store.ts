// Opens the control-plane database (bun:sqlite): pragmas, migrations, and one store per table.
// This directory is the only place in the control plane that speaks SQL.
import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApiTokenStore } from './api-token-store.ts';
import { AppStore } from './app-store.ts';
import { runMigrations } from './migrations.ts';
import { ForwardTargetStore, PullSourceStore } from './relay-store.ts';
import { RevisionStore } from './revision-store.ts';
import { SessionStore } from './session-store.ts';
import { SettingsStore } from './settings-store.ts';
import { StreamKeyStore } from './stream-key-store.ts';
import { UserStore } from './user-store.ts';

export interface Store {
  readonly db: Database;
  readonly revision: RevisionStore;
  readonly settings: SettingsStore;
  readonly apps: AppStore;
  readonly streamKeys: StreamKeyStore;
  readonly pulls: PullSourceStore;
  readonly forwards: ForwardTargetStore;
  readonly users: UserStore;
  readonly apiTokens: ApiTokenStore;
  readonly sessions: SessionStore;
  /** runs fn in one transaction (nested calls become savepoints); fn must be synchronous */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** opens (creating the file and its directory if needed) and migrates the database */
export function openStore(path: string | ':memory:'): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { create: true, strict: true });
  db.run('PRAGMA journal_mode = WAL');
  db.run('PRAGMA synchronous = NORMAL');
  db.run('PRAGMA foreign_keys = ON');
  db.run('PRAGMA busy_timeout = 5000');
  runMigrations(db);
  const revision = new RevisionStore(db);
  return {
    db,
    revision,
    settings: new SettingsStore(db, revision),
    apps: new AppStore(db, revision),
    streamKeys: new StreamKeyStore(db, revision),
    pulls: new PullSourceStore(db, revision),
    forwards: new ForwardTargetStore(db, revision),
    users: new UserStore(db),
    apiTokens: new ApiTokenStore(db),
    sessions: new SessionStore(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => db.close(),
  };
}
