// Almost all of the engine's garbage is stream buffers: each packet's bytes as received, as
// reassembled, and as serialized per output format. The runtime schedules its collections by how
// much the JavaScript heap grew, and with 800 viewers that heap is large enough that 6-7 s of dead
// buffers pile up between two of them: at 0 ms merge windows a sawtooth of about 8 MiB resident,
// some 5 KiB per viewer on average (bench/RESULTS.md, eleventh pass). A full collection there
// takes about 6 ms, so the engine asks for one itself once its resident size grew by a budget
// since the last one, checked every `everyMs`. The time spent in them is bounded: the next one
// waits at least the last one's duration over `maxTimeShare`. An idle engine grows nothing and
// collects nothing.
import type { Logger } from '../shared/logger.ts';

export type CollectorPolicy = Readonly<{
  /** how often growth is checked (the timer's period); 0: never, the runtime's own schedule only */
  everyMs: number;
  /** resident bytes above the level right after the last collection that make the next one due */
  growthBytes: number;
  /** of wall time, at most this share goes to these collections */
  maxTimeShare: number;
}>;

export const DEFAULT_COLLECTOR_POLICY: CollectorPolicy = { everyMs: 1000, growthBytes: 2 * 1024 * 1024, maxTimeShare: 0.02 };

/** What the collector reads and does; the edge gives the process's, tests give fakes. */
export type CollectorProbe = Readonly<{
  nowMs(): number;
  residentBytes(): number;
  /** a full, synchronous collection */
  collect(): void;
}>;

export type CollectorStats = { collections: number; collectMs: number; lastCollectMs: number };

export class BufferCollector {
  readonly stats: CollectorStats = { collections: 0, collectMs: 0, lastCollectMs: 0 };
  private lastEndMs: number;
  /** resident bytes right after the last collection, or lower if the runtime's own one went further */
  private floorBytes: number;

  constructor(
    private readonly policy: CollectorPolicy,
    private readonly probe: CollectorProbe,
  ) {
    this.lastEndMs = probe.nowMs();
    this.floorBytes = probe.residentBytes();
  }

  /** One check; true if it collected. */
  tick(): boolean {
    const resident = this.probe.residentBytes();
    if (resident < this.floorBytes) this.floorBytes = resident;
    if (resident - this.floorBytes < this.policy.growthBytes) return false;
    const startMs = this.probe.nowMs();
    if (startMs - this.lastEndMs < this.stats.lastCollectMs / this.policy.maxTimeShare) return false;
    this.probe.collect();
    const endMs = this.probe.nowMs();
    const tookMs = endMs - startMs;
    this.stats.collections++;
    this.stats.collectMs += tookMs;
    this.stats.lastCollectMs = tookMs;
    this.lastEndMs = endMs;
    this.floorBytes = this.probe.residentBytes();
    return true;
  }
}

/** The process's collector on a timer that does not keep the process alive; null when the policy turns it off. */
export function startBufferCollector(policy: CollectorPolicy, logger: Logger): { stop(): void; stats: CollectorStats } | null {
  if (policy.everyMs <= 0) return null;
  const collector = new BufferCollector(policy, {
    nowMs: () => performance.now(),
    residentBytes: () => process.memoryUsage.rss(),
    collect: () => Bun.gc(true),
  });
  const timer = setInterval(() => {
    if (collector.tick()) logger.debug('collected stream buffers', { tookMs: Math.round(collector.stats.lastCollectMs * 10) / 10 });
  }, policy.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), stats: collector.stats };
}
