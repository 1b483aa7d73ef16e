// Collects the writers that gained bytes during this tick and flushes each once at its end,
// so a publisher read that fans out many messages costs each viewer one write.
interface Flushable {
  flush(): void;
}

let dirty: Flushable[] = [];

function flushAll(): void {
  const batch = dirty;
  dirty = [];
  for (const writer of batch) writer.flush();
}

export function scheduleFlush(writer: Flushable): void {
  if (dirty.length === 0) queueMicrotask(flushAll);
  dirty.push(writer);
}
