// A lane's viewers that have a transport of their own, as dense arrays: while a viewer is caught
// up its flag is set, and the lane writes each window's batch to its transport straight from
// here. The loop over 800 sockets then reaches nothing of the viewer's but the transport; going
// through each viewer's writer and sink cost about a seventh of the engine's CPU at 800 viewers
// (bench/RESULTS.md, tenth pass). What a member's writer would have counted per write is settled
// from this table's running totals when the member leaves or is read.
import type { MediaBatch } from './media-batch.ts';

/** Takes bytes as they are; returns how many it took (fewer: the rest is the member's to keep). */
export interface BatchTransport {
  write(bytes: Uint8Array): number;
}

/** A viewer's writer, as a table it is a member of sees it. */
export interface DirectMember {
  /** joined `table` at `slot`: set the slot's flag while caught up */
  joinedTable(table: DirectTable, slot: number): void;
  /** another member left and this one now sits at `slot` (its flag moved with it) */
  movedTo(slot: number): void;
  /** removed from the table: settle what it was written, and clear the flag */
  leftTable(): void;
  /**
   * The transport took `taken` bytes of `batch` and no more (-1: it threw `error`). Called once the
   * lane's loop is done, after the table's totals counted the batch as written whole.
   */
  shortWrite(batch: MediaBatch, taken: number, error: unknown): void;
  /** a window while the flag is not set: the batch goes through the writer */
  writeBatch(batch: MediaBatch): void;
}

/** What one window's loop left to do (null: nothing; at 0 ms a lane flushes every tick, so no empty arrays). */
export type TableWrite = {
  /** flagged members whose transport took the whole batch */
  whole: number;
  /** members that took less, what they took, and the error if the transport threw */
  short: Array<{ member: DirectMember; taken: number; error: unknown }> | null;
  /** members whose flag was not set */
  unflagged: DirectMember[] | null;
};

export class DirectTable {
  /** 1: caught up, the lane writes to the transport itself; 0: batches go through the member */
  flags = new Uint8Array(8);
  private readonly transports: BatchTransport[] = [];
  private readonly members: DirectMember[] = [];
  private readonly slots = new Map<DirectMember, number>();
  /** bytes of every batch written here, the same for each flagged member (a member counts from its entry) */
  bytesWritten = 0;
  /** batches written here */
  windows = 0;
  /** stream time the last batch reached, and the one before (a short write's member reached only that) */
  untilMs = 0;
  previousUntilMs = 0;
  /** size of the last batch (a short write's member did not get all of it) */
  lastBatchBytes = 0;

  get size(): number {
    return this.members.length;
  }

  add(member: DirectMember, transport: BatchTransport): void {
    if (this.slots.has(member)) return;
    const slot = this.members.length;
    if (slot === this.flags.length) {
      const grown = new Uint8Array(slot * 2);
      grown.set(this.flags);
      this.flags = grown;
    }
    this.members.push(member);
    this.transports.push(transport);
    this.flags[slot] = 0;
    this.slots.set(member, slot);
    member.joinedTable(this, slot);
  }

  remove(member: DirectMember): void {
    const slot = this.slots.get(member);
    if (slot === undefined) return;
    member.leftTable();
    this.slots.delete(member);
    const last = this.members.length - 1;
    if (slot !== last) {
      const moved = this.members[last]!;
      this.members[slot] = moved;
      this.transports[slot] = this.transports[last]!;
      this.flags[slot] = this.flags[last]!;
      this.slots.set(moved, slot);
      moved.movedTo(slot);
    }
    this.flags[last] = 0;
    this.members.pop();
    this.transports.pop();
  }

  /**
   * Writes `batch` to every flagged member's transport, then counts it in the running totals as
   * written whole. Members are not called here: what the caller must hand to them comes back.
   */
  write(batch: MediaBatch): TableWrite {
    const bytes = batch.bytes;
    const length = bytes.byteLength;
    const flags = this.flags;
    const transports = this.transports;
    const result: TableWrite = { whole: 0, short: null, unflagged: null };
    for (let slot = 0; slot < transports.length; slot++) {
      if (flags[slot] !== 1) {
        (result.unflagged ??= []).push(this.members[slot]!);
        continue;
      }
      let taken: number;
      let error: unknown = null;
      try {
        taken = transports[slot]!.write(bytes);
      } catch (err) {
        taken = -1;
        error = err;
      }
      if (taken >= length) result.whole++;
      else (result.short ??= []).push({ member: this.members[slot]!, taken: taken < 0 && error === null ? 0 : taken, error });
    }
    const last = batch.entries[batch.entries.length - 1];
    this.previousUntilMs = this.untilMs;
    if (last) this.untilMs = last.timestampMs;
    this.lastBatchBytes = length;
    this.bytesWritten += length;
    this.windows++;
    return result;
  }
}
