// sessions table: console login sessions, keyed by the SHA-256 of the cookie value.
import type { Database, Statement } from 'bun:sqlite';

export type SessionRecord = Readonly<{
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAtMs: number;
  expiresAtMs: number;
}>;

// Row type and mapper alike in shape to those of the app, user, relay and stream-key stores: another table's columns;
// kept apart so each store owns its SQL and record type (as api-token-store.ts says).
type SessionRow = {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at_ms: number;
  expires_at_ms: number;
};

function mapSessionRow(row: SessionRow): SessionRecord {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
  };
}

const COLUMNS = 'id_hash, user_id, csrf_token, created_at_ms, expires_at_ms';

export class SessionStore {
  private readonly getStmt: Statement<SessionRow, [string]>;
  private readonly insertStmt: Statement<unknown, [Record<string, string | number>]>;
  private readonly deleteStmt: Statement<unknown, [string]>;
  private readonly deleteExpiredStmt: Statement<unknown, [number]>;
  private readonly deleteForUserStmt: Statement<unknown, [string]>;

  constructor(db: Database) {
    this.getStmt = db.query(`SELECT ${COLUMNS} FROM sessions WHERE id_hash = ?`);
    this.insertStmt = db.query(
      `INSERT INTO sessions (${COLUMNS}) VALUES ($id_hash, $user_id, $csrf_token, $created_at_ms, $expires_at_ms)`,
    );
    this.deleteStmt = db.query('DELETE FROM sessions WHERE id_hash = ?');
    this.deleteExpiredStmt = db.query('DELETE FROM sessions WHERE expires_at_ms <= ?');
    this.deleteForUserStmt = db.query('DELETE FROM sessions WHERE user_id = ?');
  }

  get(idHash: string): SessionRecord | null {
    const row = this.getStmt.get(idHash);
    return row ? mapSessionRow(row) : null;
  }

  insert(session: SessionRecord): void {
    this.insertStmt.run({
      id_hash: session.idHash,
      user_id: session.userId,
      csrf_token: session.csrfToken,
      created_at_ms: session.createdAtMs,
      expires_at_ms: session.expiresAtMs,
    });
  }

  delete(idHash: string): void {
    this.deleteStmt.run(idHash);
  }

  deleteExpired(nowMs: number): number {
    return this.deleteExpiredStmt.run(nowMs).changes;
  }

  /** ends every session of a user (password change, deletion) */
  deleteForUser(userId: string): number {
    return this.deleteForUserStmt.run(userId).changes;
  }
}
