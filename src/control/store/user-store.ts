// users table: console and API accounts; passwords only as Bun.password (argon2id) hashes.
import type { Database, Statement } from 'bun:sqlite';

// a list, its type and a record: alike in shape to config-protocol.ts's CLIENT_ROLES/ClientState, a different list
export const USER_ROLES = ['admin', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export type UserRecord = Readonly<{
  id: string;
  username: string;
  passwordHash: string;
  role: UserRole;
  language: string;
  createdAtMs: number;
}>;

type UserRow = {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  language: string;
  created_at_ms: number;
};

function mapUserRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role as UserRole,
    language: row.language,
    createdAtMs: row.created_at_ms,
  };
}

const COLUMNS = 'id, username, password_hash, role, language, created_at_ms';

export class UserStore {
  private readonly listStmt: Statement<UserRow, []>;
  private readonly countStmt: Statement<{ n: number }, []>;
  private readonly countAdminsStmt: Statement<{ n: number }, []>;
  private readonly getStmt: Statement<UserRow, [string]>;
  private readonly byNameStmt: Statement<UserRow, [string]>;
  private readonly insertStmt: Statement<unknown, [Record<string, string | number>]>;
  private readonly updateStmt: Statement<unknown, [string, string, string]>;
  private readonly passwordStmt: Statement<unknown, [string, string]>;
  private readonly deleteStmt: Statement<unknown, [string]>;

  constructor(private readonly db: Database) {
    this.listStmt = db.query(`SELECT ${COLUMNS} FROM users ORDER BY created_at_ms, username`);
    this.countStmt = db.query('SELECT COUNT(*) AS n FROM users');
    this.countAdminsStmt = db.query(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin'`);
    this.getStmt = db.query(`SELECT ${COLUMNS} FROM users WHERE id = ?`);
    this.byNameStmt = db.query(`SELECT ${COLUMNS} FROM users WHERE username = ? COLLATE NOCASE`);
    this.insertStmt = db.query(
      `INSERT INTO users (${COLUMNS}) VALUES ($id, $username, $password_hash, $role, $language, $created_at_ms)`,
    );
    this.updateStmt = db.query('UPDATE users SET role = ?, language = ? WHERE id = ?');
    this.passwordStmt = db.query('UPDATE users SET password_hash = ? WHERE id = ?');
    this.deleteStmt = db.query('DELETE FROM users WHERE id = ?');
  }

  list(): UserRecord[] {
    return this.listStmt.all().map(mapUserRow);
  }

  count(): number {
    return this.countStmt.get()?.n ?? 0;
  }

  countAdmins(): number {
    return this.countAdminsStmt.get()?.n ?? 0;
  }

  // get/findByUsername alike in shape to app-store.ts's get/findIgnoringCase: one prepared lookup each, mapped or null.
  get(id: string): UserRecord | null {
    const row = this.getStmt.get(id);
    return row ? mapUserRow(row) : null;
  }

  /** usernames are unique ignoring case, and looked up that way */
  findByUsername(username: string): UserRecord | null {
    const row = this.byNameStmt.get(username);
    return row ? mapUserRow(row) : null;
  }

  insert(user: UserRecord): void {
    this.insertStmt.run({
      id: user.id,
      username: user.username,
      password_hash: user.passwordHash,
      role: user.role,
      language: user.language,
      created_at_ms: user.createdAtMs,
    });
  }

  /** inserts `user` only if the table is empty (one transaction); false if someone exists */
  insertIfNone(user: UserRecord): boolean {
    return this.db.transaction(() => {
      if (this.count() > 0) return false;
      this.insert(user);
      return true;
    })();
  }

  update(user: UserRecord): void {
    this.updateStmt.run(user.role, user.language, user.id);
  }

  setPasswordHash(id: string, passwordHash: string): void {
    this.passwordStmt.run(passwordHash, id);
  }

  /** deletes the user and (by cascade) their sessions and API tokens */
  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}
