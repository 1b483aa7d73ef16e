// Where a shared output lays its serialized packets: one after another in large chunks, so the
// packets of a flush window are already one contiguous range and a lane's batch is a view of
// it, not a copy (joinBatch). Joining every window into a fresh buffer, four lanes at 800
// viewers, was the largest source of page faults on the fan-out path: the allocator hands freed
// buffers back to the kernel and faults new ones in. A chunk is never reused while a view of
// it may live (a viewer's private queue, the GOP a joiner gets); the garbage collector frees it
// once the last view is gone, so a chunk costs its pages once.

/** A chunk holds about a second of a 2.5 Mbit/s stream: few chunks a second, little held by the last views. */
export const ARENA_CHUNK_BYTES = 256 * 1024;

export class ByteArena {
  private chunk: Uint8Array = new Uint8Array(0);
  private used = 0;
  /** chunks started so far (for tests and diagnostics) */
  chunksStarted = 0;

  constructor(private readonly chunkBytes = ARENA_CHUNK_BYTES) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`invalid arena chunk size ${chunkBytes}`);
  }

  /**
   * `size` fresh bytes for the caller to fill, right after the previous take when they fit in
   * the current chunk. A take larger than a chunk gets a chunk of its own.
   */
  take(size: number): Uint8Array {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`invalid arena take of ${size} bytes`);
    if (size > this.chunk.byteLength - this.used) {
      this.chunk = new Uint8Array(Math.max(this.chunkBytes, size));
      this.used = 0;
      this.chunksStarted++;
    }
    const start = this.used;
    this.used += size;
    return this.chunk.subarray(start, this.used);
  }

  /** A copy of `bytes` laid in the arena (for encoders that allocate their own output). */
  copy(bytes: Uint8Array): Uint8Array {
    const out = this.take(bytes.byteLength);
    out.set(bytes);
    return out;
  }
}
