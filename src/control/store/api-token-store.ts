// api_tokens table: Bearer tokens for scripts, stored as SHA-256 hashes with a display prefix.
import type { Database, Statement } from 'bun:sqlite';

export type ApiTokenRecord = Readonly<{
  id: string;
  userId: string;
  name: string;
  tokenHash: string;
  prefix: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}>;

type ApiTokenRow = {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  token_prefix: string;
  created_at_ms: number;
  last_used_at_ms: number | null;
  revoked_at_ms: number | null;
};

// Alike in shape to the stream-key, relay and session stores' row mappers: each renames its own table's columns into its
// record; kept apart so a table's SQL, row type and record type stay together in its one store file.
function mapApiTokenRow(row: ApiTokenRow): ApiTokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    tokenHash: row.token_hash,
    prefix: row.token_prefix,
    createdAtMs: row.created_at_ms,
    lastUsedAtMs: row.last_used_at_ms,
    revokedAtMs: row.revoked_at_ms,
  };
}

const COLUMNS = 'id, user_id, name, token_hash, token_prefix, created_at_ms, last_used_at_ms, revoked_at_ms';

export class ApiTokenStore {
  private readonly listStmt: Statement<ApiTokenRow, []>;
  private readonly listByUserStmt: Statement<ApiTokenRow, [string]>;
  private readonly getStmt: Statement<ApiTokenRow, [string]>;
  private readonly byPrefixStmt: Statement<ApiTokenRow, [string]>;
  private readonly insertStmt: Statement<unknown, [Record<string, string | number | null>]>;
  private readonly touchStmt: Statement<unknown, [number, string]>;
  private readonly revokeStmt: Statement<unknown, [number, string]>;

  constructor(db: Database) {
    this.listStmt = db.query(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at_ms, rowid`);
    this.listByUserStmt = db.query(`SELECT ${COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_at_ms, rowid`);
    this.getStmt = db.query(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`);
    this.byPrefixStmt = db.query(`SELECT ${COLUMNS} FROM api_tokens WHERE token_prefix = ? AND revoked_at_ms IS NULL`);
    this.insertStmt = db.query(
      `INSERT INTO api_tokens (${COLUMNS}) VALUES ($id, $user_id, $name, $token_hash, $token_prefix,
         $created_at_ms, $last_used_at_ms, $revoked_at_ms)`,
    );
    this.touchStmt = db.query('UPDATE api_tokens SET last_used_at_ms = ? WHERE id = ?');
    this.revokeStmt = db.query('UPDATE api_tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL');
  }

  list(userId?: string): ApiTokenRecord[] {
    const rows = userId === undefined ? this.listStmt.all() : this.listByUserStmt.all(userId);
    return rows.map(mapApiTokenRow);
  }

  get(id: string): ApiTokenRecord | null {
    const row = this.getStmt.get(id);
    return row ? mapApiTokenRow(row) : null;
  }

  /** unrevoked tokens whose display prefix is `prefix` (the candidates to compare) */
  activeByPrefix(prefix: string): ApiTokenRecord[] {
    return this.byPrefixStmt.all(prefix).map(mapApiTokenRow);
  }

  insert(token: ApiTokenRecord): void {
    this.insertStmt.run({
      id: token.id,
      user_id: token.userId,
      name: token.name,
      token_hash: token.tokenHash,
      token_prefix: token.prefix,
      created_at_ms: token.createdAtMs,
      last_used_at_ms: token.lastUsedAtMs,
      revoked_at_ms: token.revokedAtMs,
    });
  }

  touch(id: string, atMs: number): void {
    this.touchStmt.run(atMs, id);
  }

  revoke(id: string, atMs: number): void {
    this.revokeStmt.run(atMs, id);
  }
}
