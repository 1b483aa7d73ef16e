// The one place backpressure lives: every byte a connection sends goes through its writer,
// which writes a caught-up viewer's shared batches as they are (no copy), merges what a tick
// queued privately into one write, keeps what the transport did not take, resumes on drain,
// and degrades a slow viewer (lag-policy.ts: inter frames dropped, then to the next keyframe)
// or cuts it off.
import type { BatchTransport, DirectMember, DirectTable } from '../outputs/direct-table.ts';
import type { MediaBatch, MediaEntry, MediaKind } from '../outputs/media-batch.ts';
import { scheduleFlush } from './flush-scheduler.ts';
import { DEFAULT_LAG_LIMITS, LagPolicy, type LagLimits } from './lag-policy.ts';

export interface ByteSink {
  /** Offers bytes; returns how many the transport took. Fewer than offered: wait for resume(). */
  write(bytes: Uint8Array): number;
  /** the object write() hands bytes to unchanged, if there is one (a socket): outputs may write to it directly */
  readonly directTransport?: BatchTransport;
  /** Ends the connection after what was written. */
  end(): void;
  /** Drops the connection now, whatever is still buffered (a stalled peer never reads it). */
  abort(): void;
}

export interface WriterLimits {
  /** queued bytes beyond which media is dropped until the next random access point */
  softLimitBytes: number;
  /** queued bytes beyond which the connection is closed */
  hardLimitBytes: number;
  /** media may wait this long to share one write with what follows (0 or absent: end of the tick) */
  mergeWriteMs?: number;
  /** when a viewer behind live is degraded, skipped ahead and cut off (stream time) */
  lag?: LagLimits;
}

export const DEFAULT_WRITER_LIMITS: WriterLimits = {
  softLimitBytes: 4 * 1024 * 1024,
  hardLimitBytes: 16 * 1024 * 1024,
};

export type WriterStats = {
  bytesQueued: number;
  bytesWritten: number;
  droppedMessages: number;
  overflows: number;
  /** shared batches written as they were handed over */
  sharedWrites: number;
  /** batches that went through the private queue (behind, degraded, or waiting for a keyframe) */
  privateBatches: number;
  /** times the viewer was degraded to audio and keyframes */
  degradations: number;
};

/** Totals over every writer of a process (for metrics): writers come and go, these stay. */
export type WriterTotals = { droppedMessages: number; slowDisconnects: number; /** viewers degraded to audio and keyframes */ degradations: number };

/** inter: a video frame that is not a keyframe, the first thing a degraded viewer goes without */
type Entry = { bytes: Uint8Array; droppable: boolean; inter: boolean };

export class ConnectionWriter implements DirectMember {
  private readonly counts: WriterStats = {
    bytesQueued: 0, bytesWritten: 0, droppedMessages: 0, overflows: 0, sharedWrites: 0, privateBatches: 0, degradations: 0,
  };
  private queue: Entry[] = [];
  private blocked = false;
  private dropping = false;
  private closed = false;
  /** which batch this writer is queued in; a control write promotes a media-only one */
  private scheduled: 'none' | 'control' | 'media' = 'none';
  private writtenAtLastOverflow = -1;
  private endAfterFlush = false;
  private readonly lag: LagPolicy;
  /**
   * Caught up with nothing queued, held back, dropped or owed: a shared batch goes straight to
   * the transport and its bookkeeping waits (the fast path of writeBatch, one per viewer per
   * window, which touches as little of this writer as it can). Any other call clears it first.
   */
  private fast = false;
  /** bytes the fast path wrote that the lag policy has not been told of, and the stream time they reach */
  private unfoldedBytes = 0;
  private unfoldedUntilMs = 0;
  /**
   * The lane table this writer is a member of (its viewer gave the output a transport), and its
   * slot there. While it is caught up its flag there is set (inTable), the lane writes to the
   * transport itself, and what it writes is settled from the table's totals (settleTable).
   */
  private table: DirectTable | null = null;
  private slot = -1;
  private inTable = false;
  private tableBytesSettled = 0;
  private tableWindowsSettled = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly limits: WriterLimits,
    /** called once when the writer gives up on the connection (too slow, or the transport failed) */
    private readonly onFatal: (reason: string) => void,
    /** told how many bytes the transport took, after each write (for byte counters) */
    private readonly onWritten?: (bytes: number) => void,
    /** engine-wide totals this writer adds its drops and slow-viewer cut-offs to */
    private readonly totals?: WriterTotals,
  ) {
    this.lag = new LagPolicy(limits.lag ?? DEFAULT_LAG_LIMITS);
  }

  /** What this writer has done; a member of a lane table first settles what the lane wrote for it. */
  get stats(): WriterStats {
    if (this.inTable) this.settleTable(false);
    return this.counts;
  }

  /** Inter frames are being dropped: the link could not carry the stream. */
  get isDegraded(): boolean {
    return this.lag.degraded;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get queuedBytes(): number {
    return this.counts.bytesQueued;
  }

  /** Bytes that must arrive (protocol replies, headers): never dropped, bounded by the hard limit. */
  writeControl(bytes: Uint8Array): void {
    this.admitControl(bytes, true);
  }

  /**
   * A media message that may be dropped; returns false when it was. With its entry (kind and
   * stream time) the lag policy applies: behind too long, inter frames go first.
   */
  writeMedia(bytes: Uint8Array, randomAccess: boolean, entry?: MediaEntry): boolean {
    return this.admitMedia(bytes, randomAccess, entry?.kind ?? 'data', entry?.timestampMs, true);
  }

  /**
   * One flush window of a shared output. Caught up: the batch's bytes go to the transport as
   * they are, the same object for every viewer. Behind, degraded or waiting for a keyframe: its
   * entries go through the private queue one by one, and the viewer is back on the shared path
   * at the first batch after that queue was written out whole.
   */
  writeBatch(batch: MediaBatch): void {
    if (this.fast) {
      const bytes = batch.bytes;
      const taken = this.offer(bytes);
      if (taken >= bytes.byteLength) {
        this.counts.sharedWrites++;
        this.counts.bytesWritten += taken;
        this.unfoldedBytes += taken;
        const last = batch.entries[batch.entries.length - 1];
        if (last) this.unfoldedUntilMs = last.timestampMs;
        this.onWritten?.(taken);
        return;
      }
      if (taken < 0) return; // the transport failed: the writer is closed
      this.fold();
      this.sharedTakenPartly(batch, taken);
      return;
    }
    if (this.closed) return;
    this.fold();
    // What this tick already queued (a reply, the GOP of a join) goes first.
    if (this.queue.length > 0 && !this.blocked) this.flush();
    if (this.closed) return;
    if (this.queue.length === 0 && !this.blocked && !this.dropping && !this.lag.degraded) {
      this.counts.sharedWrites++;
      // Time spent caught up pays off blocked time from before (one call per batch, not per packet).
      this.observeShared(batch);
      if (this.writeOut(batch.bytes)) this.refreshFast();
      return;
    }
    this.counts.privateBatches++;
    for (const entry of batch.entries) {
      if (entry.kind === 'header') this.admitControl(entry.bytes, false);
      else this.admitMedia(entry.bytes, entry.randomAccess, entry.kind, entry.timestampMs, false);
      if (this.closed) return;
    }
    if (!this.blocked) this.flush();
  }

  private observeShared(batch: MediaBatch): void {
    const last = batch.entries[batch.entries.length - 1];
    this.lag.offered(batch.bytes.byteLength);
    if (last) this.lag.observe(last.timestampMs, false, false);
  }

  /** Tells the lag policy what the fast path wrote since it last heard. */
  private fold(): void {
    if (this.unfoldedBytes === 0) return;
    this.lag.caughtUp(this.unfoldedBytes, this.unfoldedUntilMs);
    this.unfoldedBytes = 0;
  }

  private refreshFast(): void {
    this.fast = !this.closed && !this.blocked && !this.dropping && !this.endAfterFlush && this.queue.length === 0 && this.lag.clean;
    if (this.fast && this.table !== null && !this.inTable) this.enterTable(this.table);
  }

  /** Off the fast path, and out of the lane's direct writes if it was in them. */
  private leaveFast(): void {
    this.fast = false;
    if (this.inTable) this.leaveTable(false);
  }

  joinedTable(table: DirectTable, slot: number): void {
    this.table = table;
    this.slot = slot;
    if (this.fast) this.enterTable(table);
  }

  movedTo(slot: number): void {
    this.slot = slot;
  }

  leftTable(): void {
    if (this.inTable) this.leaveTable(false);
    this.table = null;
    this.slot = -1;
  }

  shortWrite(batch: MediaBatch, taken: number, error: unknown): void {
    if (this.inTable) this.leaveTable(true);
    this.fast = false;
    if (this.closed) return;
    if (taken < 0) {
      this.fail(`write failed: ${(error as Error)?.message ?? String(error)}`);
      return;
    }
    this.sharedTakenPartly(batch, taken);
  }

  /** A shared batch the transport took only `taken` bytes of: the shared path's bookkeeping, then the rest waits in the queue. */
  private sharedTakenPartly(batch: MediaBatch, taken: number): void {
    this.counts.sharedWrites++;
    this.observeShared(batch);
    this.settle(batch.bytes, taken);
  }

  private enterTable(table: DirectTable): void {
    this.fold();
    table.flags[this.slot] = 1;
    this.inTable = true;
    this.tableBytesSettled = table.bytesWritten;
    this.tableWindowsSettled = table.windows;
  }

  private leaveTable(short: boolean): void {
    this.settleTable(short);
    this.table!.flags[this.slot] = 0;
    this.inTable = false;
  }

  /**
   * Counts what the lane wrote to the transport since the last settling. `short`: the last batch
   * was not taken whole, so it is left out here (shortWrite counts what was taken).
   */
  private settleTable(short: boolean): void {
    const table = this.table!;
    const bytes = table.bytesWritten - this.tableBytesSettled - (short ? table.lastBatchBytes : 0);
    const windows = table.windows - this.tableWindowsSettled - (short ? 1 : 0);
    this.tableBytesSettled = table.bytesWritten;
    this.tableWindowsSettled = table.windows;
    if (windows <= 0) return;
    this.counts.sharedWrites += windows;
    this.counts.bytesWritten += bytes;
    this.lag.caughtUp(bytes, short ? table.previousUntilMs : table.untilMs);
  }

  private admitControl(bytes: Uint8Array, schedule: boolean): void {
    this.leaveFast();
    if (this.closed) return;
    this.enqueue(bytes, false, false, schedule);
    if (this.counts.bytesQueued > this.limits.hardLimitBytes) this.fail('send queue over its hard limit', true);
  }

  private admitMedia(bytes: Uint8Array, randomAccess: boolean, kind: MediaKind, timestampMs: number | undefined, schedule: boolean): boolean {
    this.leaveFast();
    if (this.closed) return false;
    this.fold();
    if (timestampMs !== undefined) {
      this.lag.offered(bytes.byteLength);
      this.applyLag(this.lag.observe(timestampMs, this.blocked, kind === 'video' && randomAccess));
      if (this.closed) return false;
    }
    const inter = kind === 'video' && !randomAccess;
    if (inter && this.lag.degraded) {
      this.countDrop();
      return false;
    }
    if (this.dropping) {
      if (!randomAccess) {
        this.countDrop();
        return false;
      }
      this.dropping = false;
    }
    if (this.counts.bytesQueued + bytes.byteLength > this.limits.softLimitBytes) {
      this.overflow();
      if (this.closed) return false;
      if (!randomAccess || this.counts.bytesQueued + bytes.byteLength > this.limits.softLimitBytes) {
        this.countDrop();
        this.dropping = true;
        return false;
      }
    }
    this.enqueue(bytes, true, inter, schedule);
    return true;
  }

  private applyLag(action: ReturnType<LagPolicy['observe']>): void {
    switch (action) {
      case 'degrade':
        this.counts.degradations++;
        if (this.totals) this.totals.degradations++;
        // Inter frames already queued go too: with their keyframe's successors gone they are
        // useless, and they are most of what keeps the viewer behind.
        this.discard((entry) => entry.droppable && entry.inter);
        return;
      case 'skip-to-keyframe':
        this.counts.overflows++;
        this.discard((entry) => entry.droppable);
        this.dropping = true;
        return;
      case 'cut-off':
        this.fail('viewer too slow: cannot take even audio and keyframes', true);
        return;
      case 'full-video':
      case 'none':
        return;
    }
  }

  /** Drops the queued entries `drop` picks (never what is committed on the wire). */
  private discard(drop: (entry: Entry) => boolean): void {
    const kept: Entry[] = [];
    let keptBytes = 0;
    for (const entry of this.queue) {
      if (drop(entry)) {
        this.countDrop();
        continue;
      }
      kept.push(entry);
      keptBytes += entry.bytes.byteLength;
    }
    this.queue = kept;
    this.counts.bytesQueued = keptBytes;
  }

  /** The transport can take more. */
  resume(): void {
    this.blocked = false;
    this.flush();
  }

  /** Closes once everything queued has been written (or at once if the transport is stuck). */
  endGracefully(): void {
    this.leaveFast();
    if (this.closed) return;
    this.endAfterFlush = true;
    this.flush();
  }

  /** Ends the connection politely: the transport still sends what it already took. */
  close(): void {
    if (this.release()) this.sink.end();
  }

  /** Drops the connection at once (a kick): nothing more is sent, onFatal is not called. */
  abort(): void {
    if (this.release()) this.sink.abort();
  }

  private release(): boolean {
    this.leaveFast();
    if (this.closed) return false;
    this.closed = true;
    this.queue = [];
    this.counts.bytesQueued = 0;
    return true;
  }

  flush(): void {
    this.scheduled = 'none';
    if (this.closed || this.blocked) return;
    if (this.queue.length > 0) {
      const pending = this.queue.length === 1 ? this.queue[0]!.bytes : this.merge();
      this.queue = [];
      this.counts.bytesQueued = 0;
      if (!this.writeOut(pending)) return;
    }
    if (this.endAfterFlush) this.close();
    else this.refreshFast();
  }

  /** Offers bytes to the transport with nothing queued before them; false if it held some back. */
  private writeOut(bytes: Uint8Array): boolean {
    const taken = this.offer(bytes);
    return taken >= 0 && this.settle(bytes, taken);
  }

  /** What the transport took of the bytes; -1 if it failed (the writer is then closed). */
  private offer(bytes: Uint8Array): number {
    try {
      const taken = this.sink.write(bytes);
      return taken < 0 ? 0 : taken;
    } catch (err) {
      this.fail(`write failed: ${(err as Error).message}`);
      return -1;
    }
  }

  /** Counts what the transport took; what it did not take waits for resume(). False if it held some back. */
  private settle(bytes: Uint8Array, taken: number): boolean {
    this.counts.bytesWritten += taken;
    this.lag.taken(taken);
    if (taken > 0) this.onWritten?.(taken);
    if (taken >= bytes.byteLength) return true;
    // What the kernel did not take is already committed on the wire: never droppable.
    const rest = bytes.subarray(taken);
    this.queue = [{ bytes: rest, droppable: false, inter: false }];
    this.counts.bytesQueued = rest.byteLength;
    this.blocked = true;
    this.leaveFast();
    return false;
  }

  private merge(): Uint8Array {
    const merged = new Uint8Array(this.counts.bytesQueued);
    let offset = 0;
    for (const entry of this.queue) {
      merged.set(entry.bytes, offset);
      offset += entry.bytes.byteLength;
    }
    return merged;
  }

  private enqueue(bytes: Uint8Array, droppable: boolean, inter: boolean, schedule: boolean): void {
    if (bytes.byteLength === 0) return;
    this.queue.push({ bytes, droppable, inter });
    this.counts.bytesQueued += bytes.byteLength;
    if (this.blocked || !schedule) return;
    const urgency = droppable ? 'media' : 'control';
    if (this.scheduled === 'none' || (this.scheduled === 'media' && urgency === 'control')) {
      this.scheduled = urgency;
      scheduleFlush(this, urgency === 'media' ? (this.limits.mergeWriteMs ?? 0) : 0);
    }
  }

  private overflow(): void {
    this.counts.overflows++;
    // Still behind since the last overflow (less than a budget delivered): cut it off.
    if (
      this.writtenAtLastOverflow >= 0 &&
      this.counts.bytesWritten - this.writtenAtLastOverflow < this.limits.softLimitBytes
    ) {
      this.fail('viewer too slow: still behind after dropping to a keyframe', true);
      return;
    }
    this.writtenAtLastOverflow = this.counts.bytesWritten;
    this.discard((entry) => entry.droppable);
  }

  private countDrop(): void {
    this.counts.droppedMessages++;
    if (this.totals) this.totals.droppedMessages++;
  }

  private fail(reason: string, slow = false): void {
    if (!this.release()) return;
    if (slow && this.totals) this.totals.slowDisconnects++;
    this.sink.abort();
    this.onFatal(reason);
  }
}
