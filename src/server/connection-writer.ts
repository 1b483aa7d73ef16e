// The one place backpressure lives: every byte a connection sends goes through its writer,
// which merges what a tick queued into one write, keeps what the transport did not take,
// resumes on drain, and degrades a slow viewer (drop to the next keyframe) or cuts it off.
import { scheduleFlush } from './flush-scheduler.ts';

export interface ByteSink {
  /** Offers bytes; returns how many the transport took. Fewer than offered: wait for resume(). */
  write(bytes: Uint8Array): number;
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
};

/** Totals over every writer of a process (for metrics): writers come and go, these stay. */
export type WriterTotals = { droppedMessages: number; slowDisconnects: number };

type Entry = { bytes: Uint8Array; droppable: boolean };

export class ConnectionWriter {
  readonly stats: WriterStats = { bytesQueued: 0, bytesWritten: 0, droppedMessages: 0, overflows: 0 };
  private queue: Entry[] = [];
  private blocked = false;
  private dropping = false;
  private closed = false;
  /** which batch this writer is queued in; a control write promotes a media-only one */
  private scheduled: 'none' | 'control' | 'media' = 'none';
  private writtenAtLastOverflow = -1;
  private endAfterFlush = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly limits: WriterLimits,
    /** called once when the writer gives up on the connection (too slow, or the transport failed) */
    private readonly onFatal: (reason: string) => void,
    /** told how many bytes the transport took, after each write (for byte counters) */
    private readonly onWritten?: (bytes: number) => void,
    /** engine-wide totals this writer adds its drops and slow-viewer cut-offs to */
    private readonly totals?: WriterTotals,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  get queuedBytes(): number {
    return this.stats.bytesQueued;
  }

  /** Bytes that must arrive (protocol replies, headers): never dropped, bounded by the hard limit. */
  writeControl(bytes: Uint8Array): void {
    if (this.closed) return;
    this.enqueue(bytes, false);
    if (this.stats.bytesQueued > this.limits.hardLimitBytes) this.fail('send queue over its hard limit', true);
  }

  /** A media message that may be dropped; returns false when it was. */
  writeMedia(bytes: Uint8Array, randomAccess: boolean): boolean {
    if (this.closed) return false;
    if (this.dropping) {
      if (!randomAccess) {
        this.countDrop();
        return false;
      }
      this.dropping = false;
    }
    if (this.stats.bytesQueued + bytes.byteLength > this.limits.softLimitBytes) {
      this.overflow();
      if (this.closed) return false;
      if (!randomAccess || this.stats.bytesQueued + bytes.byteLength > this.limits.softLimitBytes) {
        this.countDrop();
        this.dropping = true;
        return false;
      }
    }
    this.enqueue(bytes, true);
    return true;
  }

  /** The transport can take more. */
  resume(): void {
    this.blocked = false;
    this.flush();
  }

  /** Closes once everything queued has been written (or at once if the transport is stuck). */
  endGracefully(): void {
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
    if (this.closed) return false;
    this.closed = true;
    this.queue = [];
    this.stats.bytesQueued = 0;
    return true;
  }

  flush(): void {
    this.scheduled = 'none';
    if (this.closed || this.blocked) return;
    if (this.queue.length > 0) {
      const pending = this.queue.length === 1 ? this.queue[0]!.bytes : this.merge();
      let taken: number;
      try {
        taken = this.sink.write(pending);
      } catch (err) {
        this.fail(`write failed: ${(err as Error).message}`);
        return;
      }
      if (taken < 0) taken = 0;
      this.stats.bytesWritten += taken;
      if (taken > 0) this.onWritten?.(taken);
      if (taken >= pending.byteLength) {
        this.queue = [];
        this.stats.bytesQueued = 0;
      } else {
        // What the kernel did not take is already committed on the wire: never droppable.
        const rest = pending.subarray(taken);
        this.queue = [{ bytes: rest, droppable: false }];
        this.stats.bytesQueued = rest.byteLength;
        this.blocked = true;
        return;
      }
    }
    if (this.endAfterFlush) this.close();
  }

  private merge(): Uint8Array {
    const merged = new Uint8Array(this.stats.bytesQueued);
    let offset = 0;
    for (const entry of this.queue) {
      merged.set(entry.bytes, offset);
      offset += entry.bytes.byteLength;
    }
    return merged;
  }

  private enqueue(bytes: Uint8Array, droppable: boolean): void {
    if (bytes.byteLength === 0) return;
    this.queue.push({ bytes, droppable });
    this.stats.bytesQueued += bytes.byteLength;
    if (this.blocked) return;
    const urgency = droppable ? 'media' : 'control';
    if (this.scheduled === 'none' || (this.scheduled === 'media' && urgency === 'control')) {
      this.scheduled = urgency;
      scheduleFlush(this, urgency === 'media' ? (this.limits.mergeWriteMs ?? 0) : 0);
    }
  }

  private overflow(): void {
    this.stats.overflows++;
    // Still behind since the last overflow (less than a budget delivered): cut it off.
    if (
      this.writtenAtLastOverflow >= 0 &&
      this.stats.bytesWritten - this.writtenAtLastOverflow < this.limits.softLimitBytes
    ) {
      this.fail('viewer too slow: still behind after dropping to a keyframe', true);
      return;
    }
    this.writtenAtLastOverflow = this.stats.bytesWritten;
    const kept: Entry[] = [];
    let keptBytes = 0;
    for (const entry of this.queue) {
      if (entry.droppable) {
        this.countDrop();
        continue;
      }
      kept.push(entry);
      keptBytes += entry.bytes.byteLength;
    }
    this.queue = kept;
    this.stats.bytesQueued = keptBytes;
  }

  private countDrop(): void {
    this.stats.droppedMessages++;
    if (this.totals) this.totals.droppedMessages++;
  }

  private fail(reason: string, slow = false): void {
    if (!this.release()) return;
    if (slow && this.totals) this.totals.slowDisconnects++;
    this.sink.abort();
    this.onFatal(reason);
  }
}
