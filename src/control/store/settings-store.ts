// Key/value settings (listen addresses, HLS timings, bootstrap markers); values are JSON text.
import type { Database, Statement } from 'bun:sqlite';
import type { RevisionStore } from './revision-store.ts';

type SettingRow = { key: string; value: string };
export type SettingValue = string | number | boolean | null;

function mapSettingRow(row: SettingRow): [string, SettingValue] {
  return [row.key, JSON.parse(row.value) as SettingValue];
}

export class SettingsStore {
  private readonly allStmt: Statement<SettingRow, []>;
  private readonly getStmt: Statement<SettingRow, [string]>;
  private readonly upsertStmt: Statement<unknown, [string, string]>;

  constructor(
    private readonly db: Database,
    private readonly revision: RevisionStore,
  ) {
    this.allStmt = db.query('SELECT key, value FROM settings ORDER BY key');
    this.getStmt = db.query('SELECT key, value FROM settings WHERE key = ?');
    this.upsertStmt = db.query(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  all(): Map<string, SettingValue> {
    return new Map(this.allStmt.all().map(mapSettingRow));
  }

  get(key: string): SettingValue | undefined {
    const row = this.getStmt.get(key);
    return row ? mapSettingRow(row)[1] : undefined;
  }

  /** writes every entry in one transaction; bumps the configuration revision if asked */
  setMany(entries: Readonly<Record<string, SettingValue>>, bumpRevision: boolean): void {
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(entries)) this.upsertStmt.run(key, JSON.stringify(value));
      if (bumpRevision) this.revision.bump();
    })();
  }
}
