// The control-plane store: bun:sqlite, migrations, one store per table.
export { openStore, type Store } from './open-store.ts';
export { MIGRATIONS, MigrationError, runMigrations, schemaVersion, type Migration } from './migrations.ts';
export type { AppRecord } from './app-store.ts';
export type { StreamKeyRecord } from './stream-key-store.ts';
export type { PullSourceRecord, ForwardTargetRecord } from './relay-store.ts';
export { USER_ROLES, type UserRecord, type UserRole } from './user-store.ts';
export type { ApiTokenRecord } from './api-token-store.ts';
export type { SessionRecord } from './session-store.ts';
export type { SettingValue } from './settings-store.ts';
