// The bounded job queue of snapshot decoding: at most `maxRunning` decoders at once (one per CPU core),
// at most `maxQueued` jobs waiting, and one job per key (stream) waiting or running: a stream whose
// previous job has not finished skips its turn instead of stacking work. Holds no clock and no I/O:
// the runner it is given does the work.
export type OfferResult = 'queued' | 'busy' | 'full';

export type SnapshotQueueCounters = { queued: number; skippedBusy: number; skippedFull: number; completed: number; failed: number };

export class SnapshotQueue<K> {
  private readonly waiting: Array<{ key: K; job: () => Promise<void> }> = [];
  /** keys with a job waiting or running */
  private readonly pending = new Set<K>();
  private running = 0;
  readonly counters: SnapshotQueueCounters = { queued: 0, skippedBusy: 0, skippedFull: 0, completed: 0, failed: 0 };
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly maxRunning: number,
    readonly maxQueued: number,
    private readonly onError: (key: K, err: unknown) => void = () => {},
  ) {
    if (!(maxRunning >= 1) || !(maxQueued >= 0)) throw new RangeError('SnapshotQueue: maxRunning must be at least 1 and maxQueued at least 0');
  }

  get runningCount(): number {
    return this.running;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Takes `job` for `key` unless that key already has one (busy) or the queue is full. */
  offer(key: K, job: () => Promise<void>): OfferResult {
    if (this.pending.has(key)) {
      this.counters.skippedBusy++;
      return 'busy';
    }
    if (this.running >= this.maxRunning && this.waiting.length >= this.maxQueued) {
      this.counters.skippedFull++;
      return 'full';
    }
    this.pending.add(key);
    this.counters.queued++;
    this.waiting.push({ key, job });
    this.pump();
    return 'queued';
  }

  /** Resolves once nothing is waiting or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.maxRunning && this.waiting.length > 0) {
      const { key, job } = this.waiting.shift()!;
      this.running++;
      void this.runOne(key, job);
    }
    if (this.running === 0 && this.waiting.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async runOne(key: K, job: () => Promise<void>): Promise<void> {
    try {
      await job();
      this.counters.completed++;
    } catch (err) {
      this.counters.failed++;
      this.onError(key, err);
    } finally {
      this.running--;
      this.pending.delete(key);
      this.pump();
    }
  }
}
