// stream_keys table: per-app (optionally per-stream) publish secrets, stored as hashes. Every
// change bumps the configuration revision: the engine drops the admission answers it cached, so
// a revoked key is refused from then on, outages included.
import type { Database, Statement } from 'bun:sqlite';
import type { RevisionStore } from './revision-store.ts';

export type StreamKeyRecord = Readonly<{
  id: string;
  app: string;
  stream: string | null;
  keyHash: string;
  prefix: string;
  label: string;
  createdAtMs: number;
  revokedAtMs: number | null;
}>;

type StreamKeyRow = {
  id: string;
  app: string;
  stream: string | null;
  key_hash: string;
  key_prefix: string;
  label: string;
  created_at_ms: number;
  revoked_at_ms: number | null;
};

function mapStreamKeyRow(row: StreamKeyRow): StreamKeyRecord {
  return {
    id: row.id,
    app: row.app,
    stream: row.stream,
    keyHash: row.key_hash,
    prefix: row.key_prefix,
    label: row.label,
    createdAtMs: row.created_at_ms,
    revokedAtMs: row.revoked_at_ms,
  };
}

const COLUMNS = 'id, app, stream, key_hash, key_prefix, label, created_at_ms, revoked_at_ms';

export class StreamKeyStore {
  private readonly listStmt: Statement<StreamKeyRow, []>;
  private readonly listByAppStmt: Statement<StreamKeyRow, [string]>;
  private readonly activeForStmt: Statement<StreamKeyRow, [string, string]>;
  private readonly getStmt: Statement<StreamKeyRow, [string]>;
  private readonly insertStmt: Statement<unknown, [Record<string, string | number | null>]>;
  private readonly revokeStmt: Statement<unknown, [number, string]>;
  private readonly deleteStmt: Statement<unknown, [string]>;

  constructor(
    private readonly db: Database,
    private readonly revision: RevisionStore,
  ) {
    this.listStmt = db.query(`SELECT ${COLUMNS} FROM stream_keys ORDER BY created_at_ms, rowid`);
    this.listByAppStmt = db.query(`SELECT ${COLUMNS} FROM stream_keys WHERE app = ? ORDER BY created_at_ms, rowid`);
    this.activeForStmt = db.query(
      `SELECT ${COLUMNS} FROM stream_keys
       WHERE app = ?1 AND revoked_at_ms IS NULL AND (stream IS NULL OR stream = ?2)`,
    );
    this.getStmt = db.query(`SELECT ${COLUMNS} FROM stream_keys WHERE id = ?`);
    this.insertStmt = db.query(
      `INSERT INTO stream_keys (${COLUMNS})
       VALUES ($id, $app, $stream, $key_hash, $key_prefix, $label, $created_at_ms, $revoked_at_ms)`,
    );
    this.revokeStmt = db.query('UPDATE stream_keys SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL');
    this.deleteStmt = db.query('DELETE FROM stream_keys WHERE id = ?');
  }

  list(app?: string): StreamKeyRecord[] {
    const rows = app === undefined ? this.listStmt.all() : this.listByAppStmt.all(app);
    return rows.map(mapStreamKeyRow);
  }

  /** unrevoked keys of `app` bound to `stream` or to any stream */
  activeFor(app: string, stream: string): StreamKeyRecord[] {
    return this.activeForStmt.all(app, stream).map(mapStreamKeyRow);
  }

  get(id: string): StreamKeyRecord | null {
    const row = this.getStmt.get(id);
    return row ? mapStreamKeyRow(row) : null;
  }

  insert(key: StreamKeyRecord): void {
    this.db.transaction(() => {
      this.insertRow(key);
      this.revision.bump();
    })();
  }

  private insertRow(key: StreamKeyRecord): void {
    this.insertStmt.run({
      id: key.id,
      app: key.app,
      stream: key.stream,
      key_hash: key.keyHash,
      key_prefix: key.prefix,
      label: key.label,
      created_at_ms: key.createdAtMs,
      revoked_at_ms: key.revokedAtMs,
    });
  }

  revoke(id: string, atMs: number): void {
    this.db.transaction(() => {
      if (this.revokeStmt.run(atMs, id).changes > 0) this.revision.bump();
    })();
  }

  delete(id: string): boolean {
    return this.db.transaction(() => {
      const deleted = this.deleteStmt.run(id).changes > 0;
      if (deleted) this.revision.bump();
      return deleted;
    })();
  }
}
