// Preloaded into an engine by bench/viewer-memory.ts (`bun --preload`): on SIGUSR2 it runs a full
// collection and writes a census of the live heap (objects and bytes by class name, from a JSC
// heap snapshot) and the process's memory figures to $WEIR_HEAP_CENSUS_FILE. Bench-only: the
// engine itself never loads it.
import { writeFileSync } from 'node:fs';

type Snapshot = { nodes: number[]; nodeClassNames: string[] };

/** JSC snapshot nodes are flat quadruples: id, size, class-name index, flags. */
export function censusOf(snapshot: Snapshot): Record<string, { count: number; bytes: number }> {
  const census: Record<string, { count: number; bytes: number }> = {};
  for (let i = 0; i + 3 < snapshot.nodes.length; i += 4) {
    const name = snapshot.nodeClassNames[snapshot.nodes[i + 2]!] ?? '?';
    const entry = (census[name] ??= { count: 0, bytes: 0 });
    entry.count++;
    entry.bytes += snapshot.nodes[i + 1]!;
  }
  return census;
}

const target = process.env.WEIR_HEAP_CENSUS_FILE;
if (target) {
  process.on('SIGUSR2', () => {
    Bun.gc(true);
    const memory = process.memoryUsage();
    const census = censusOf(Bun.generateHeapSnapshot() as unknown as Snapshot);
    writeFileSync(target, JSON.stringify({ rss: memory.rss, arrayBuffers: memory.arrayBuffers, census }));
  });
}
