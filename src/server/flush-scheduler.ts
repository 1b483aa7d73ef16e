// Collects the writers that gained bytes and flushes each once per batch, so a publisher read
// that fans out many messages costs each viewer one write. Control bytes go out at the end of
// the tick; media may wait a few milliseconds more (merged write, as SRS's mw_latency) so that
// audio and video frames share one write: far fewer syscalls per viewer for a little latency.
interface Flushable {
  flush(): void;
}

/** writers waiting for a flush, by how long their batch waits (0: end of this tick) */
const batches = new Map<number, Flushable[]>();

export function scheduleFlush(writer: Flushable, delayMs = 0): void {
  let batch = batches.get(delayMs);
  if (!batch) {
    const pending: Flushable[] = [];
    batch = pending;
    batches.set(delayMs, pending);
    const run = (): void => {
      if (batches.get(delayMs) === pending) batches.delete(delayMs);
      for (const w of pending) w.flush();
    };
    if (delayMs > 0) setTimeout(run, delayMs);
    else queueMicrotask(run);
  }
  batch.push(writer);
}
