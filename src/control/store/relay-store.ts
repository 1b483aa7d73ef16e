// pull_sources and forward_targets tables: what the relay side of the engine executes.
// Every write bumps the configuration revision (both are part of the ConfigSnapshot).
import type { Database, Statement } from 'bun:sqlite';
import type { ForwardTarget, PullSource } from '../../shared/config-protocol.ts';
import type { RevisionStore } from './revision-store.ts';

export type PullSourceRecord = PullSource & Readonly<{ createdAtMs: number }>;
export type ForwardTargetRecord = ForwardTarget & Readonly<{ createdAtMs: number }>;

type RelayRow = {
  id: string;
  app: string;
  stream: string | null;
  url: string;
  enabled: number;
  created_at_ms: number;
};
type Params = Record<string, string | number | null>;

function mapPullSourceRow(row: RelayRow): PullSourceRecord {
  return {
    id: row.id,
    app: row.app,
    stream: row.stream ?? '',
    url: row.url,
    enabled: row.enabled === 1,
    createdAtMs: row.created_at_ms,
  };
}

// Alike in shape to stream-key-store.ts's mapper (a different table); kept apart as every store keeps its own rows.
function mapForwardTargetRow(row: RelayRow): ForwardTargetRecord {
  return {
    id: row.id,
    app: row.app,
    stream: row.stream,
    url: row.url,
    enabled: row.enabled === 1,
    createdAtMs: row.created_at_ms,
  };
}

function toParams(r: PullSourceRecord | ForwardTargetRecord): Params {
  return { id: r.id, app: r.app, stream: r.stream, url: r.url, enabled: r.enabled ? 1 : 0, created_at_ms: r.createdAtMs };
}

const COLUMNS = 'id, app, stream, url, enabled, created_at_ms';

/** the statements shared by both relay tables; `table` is one of two constants, never input */
class RelayTable {
  readonly list: Statement<RelayRow, []>;
  readonly listByApp: Statement<RelayRow, [string]>;
  readonly get: Statement<RelayRow, [string]>;
  readonly insert: Statement<unknown, [Params]>;
  readonly update: Statement<unknown, [Params]>;
  readonly delete: Statement<unknown, [string]>;

  constructor(db: Database, table: 'pull_sources' | 'forward_targets') {
    this.list = db.query(`SELECT ${COLUMNS} FROM ${table} ORDER BY app, created_at_ms, rowid`);
    this.listByApp = db.query(`SELECT ${COLUMNS} FROM ${table} WHERE app = ? ORDER BY created_at_ms, rowid`);
    this.get = db.query(`SELECT ${COLUMNS} FROM ${table} WHERE id = ?`);
    this.insert = db.query(
      `INSERT INTO ${table} (${COLUMNS}) VALUES ($id, $app, $stream, $url, $enabled, $created_at_ms)`,
    );
    this.update = db.query(`UPDATE ${table} SET stream = $stream, url = $url, enabled = $enabled WHERE id = $id`);
    this.delete = db.query(`DELETE FROM ${table} WHERE id = ?`);
  }
}

abstract class RelayStore<R extends PullSourceRecord | ForwardTargetRecord> {
  protected constructor(
    private readonly db: Database,
    private readonly revision: RevisionStore,
    private readonly table: RelayTable,
    private readonly map: (row: RelayRow) => R,
  ) {}

  list(app?: string): R[] {
    const rows = app === undefined ? this.table.list.all() : this.table.listByApp.all(app);
    return rows.map(this.map);
  }

  get(id: string): R | null {
    const row = this.table.get.get(id);
    return row ? this.map(row) : null;
  }

  insert(record: R): void {
    this.db.transaction(() => {
      this.table.insert.run(toParams(record));
      this.revision.bump();
    })();
  }

  update(record: R): void {
    this.db.transaction(() => {
      this.table.update.run(toParams(record));
      this.revision.bump();
    })();
  }

  delete(id: string): boolean {
    return this.db.transaction(() => {
      const changed = this.table.delete.run(id).changes > 0;
      if (changed) this.revision.bump();
      return changed;
    })();
  }
}

export class PullSourceStore extends RelayStore<PullSourceRecord> {
  constructor(db: Database, revision: RevisionStore) {
    super(db, revision, new RelayTable(db, 'pull_sources'), mapPullSourceRow);
  }
}

export class ForwardTargetStore extends RelayStore<ForwardTargetRecord> {
  constructor(db: Database, revision: RevisionStore) {
    super(db, revision, new RelayTable(db, 'forward_targets'), mapForwardTargetRow);
  }
}
