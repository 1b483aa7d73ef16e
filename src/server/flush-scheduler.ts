// Collects the writers that gained bytes and flushes each once per batch, so a publisher read
// that fans out many messages costs each viewer one write. Control bytes go out at the end of
// the tick; media may wait a few milliseconds more (merged write, as SRS's mw_latency) so that
// audio and video frames share one write: far fewer syscalls per viewer for a little latency.
interface Flushable {
  flush(): void;
}

let immediate: Flushable[] = [];
let delayed: Flushable[] = [];
let mergeWriteMs = 0;

function flushImmediate(): void {
  const batch = immediate;
  immediate = [];
  for (const writer of batch) writer.flush();
}

function flushDelayed(): void {
  const batch = delayed;
  delayed = [];
  for (const writer of batch) writer.flush();
}

/** How long media may wait to be merged with what follows; 0 flushes at the end of each tick. */
export function setMergeWriteMs(ms: number): void {
  mergeWriteMs = Math.max(0, ms);
}

export function scheduleFlush(writer: Flushable, urgency: 'control' | 'media' = 'control'): void {
  if (urgency === 'media' && mergeWriteMs > 0) {
    if (delayed.length === 0) setTimeout(flushDelayed, mergeWriteMs);
    delayed.push(writer);
    return;
  }
  if (immediate.length === 0) queueMicrotask(flushImmediate);
  immediate.push(writer);
}
