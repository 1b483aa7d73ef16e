// The configuration revision: one counter bumped (inside the writing transaction) by every
// change the engine's ConfigSnapshot depends on.
import type { Database, Statement } from 'bun:sqlite';

type RevisionRow = { value: number };

export class RevisionStore {
  private readonly selectStmt: Statement<RevisionRow, []>;
  private readonly bumpStmt: Statement<RevisionRow, []>;

  constructor(db: Database) {
    this.selectStmt = db.query('SELECT value FROM config_revision WHERE id = 1');
    this.bumpStmt = db.query('UPDATE config_revision SET value = value + 1 WHERE id = 1 RETURNING value');
  }

  get(): number {
    return this.selectStmt.get()?.value ?? 0;
  }

  /** call inside the transaction of the change */
  bump(): number {
    return this.bumpStmt.get()?.value ?? 0;
  }
}
