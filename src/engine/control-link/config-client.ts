// Keeps the engine's configuration in step with the config server: GET /v1/config at start
// (retrying with capped exponential backoff and jitter while the control plane is down),
// again whenever asked (POST /v1/reload on the engine API) and every poll interval as a safety
// net. Only a newer revision is handed on. Each applied snapshot is also written to the data
// directory, so an engine that starts while the control plane is unreachable serves its last
// known configuration instead of nothing.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigSnapshot } from '../../shared/config-protocol.ts';
import type { Logger } from '../../shared/logger.ts';
import { parseConfigSnapshot, SnapshotError } from './config-snapshot.ts';

export const CONFIG_CACHE_FILE = 'engine-config-cache.json';

export type Scheduler = Readonly<{
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}>;

const REAL_SCHEDULER: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type SnapshotSource = 'server' | 'cache';

export type ConfigClientOptions = Readonly<{
  /** fetches the raw snapshot (GET /v1/config); throws when the config server cannot answer */
  fetchSnapshot: () => Promise<unknown>;
  logger: Logger;
  /** where the last snapshot is kept; null: nowhere */
  dataDir?: string | null;
  pollIntervalMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** at start, how long to keep trying the server before serving the cached snapshot */
  startGraceMs?: number;
  /** at the backoff cap, one failure line per this long */
  capLogIntervalMs?: number;
  scheduler?: Scheduler;
  random?: () => number;
  now?: () => number;
}>;

export class ConfigClient {
  current: ConfigSnapshot | null = null;
  currentSource: SnapshotSource | null = null;
  /** consecutive failed fetches */
  failures = 0;
  private readonly listeners: Array<(snapshot: ConfigSnapshot, source: SnapshotSource) => void> = [];
  private readonly scheduler: Scheduler;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private timer: unknown = null;
  private graceTimer: unknown = null;
  private inFlight = false;
  private again = false;
  private stopped = false;
  private lastFailureLogAtMs = -Infinity;
  private resolveStart: ((snapshot: ConfigSnapshot) => void) | null = null;

  constructor(private readonly options: ConfigClientOptions) {
    this.scheduler = options.scheduler ?? REAL_SCHEDULER;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.pollIntervalMs = options.pollIntervalMs ?? 10_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
  }

  /** -1 until a snapshot is known */
  get revision(): number {
    return this.current?.revision ?? -1;
  }

  get ready(): boolean {
    return this.current !== null;
  }

  /** whether the last fetch succeeded */
  get reachable(): boolean {
    return this.failures === 0 && this.currentSource === 'server';
  }

  /** Called with every newer snapshot after the first (which start() returns). */
  onSnapshot(listener: (snapshot: ConfigSnapshot, source: SnapshotSource) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves with the first configuration: the server's, or after the grace period the cached one. */
  start(): Promise<ConfigSnapshot> {
    const first = new Promise<ConfigSnapshot>((resolve) => (this.resolveStart = resolve));
    const graceMs = this.options.startGraceMs ?? 3000;
    this.graceTimer = this.scheduler.setTimeout(() => {
      this.graceTimer = null;
      if (this.current === null) this.adoptCached();
    }, graceMs);
    this.fetchNow();
    return first;
  }

  /** Fetch now (a reload notice); a fetch already running is followed by one more. */
  refresh(): void {
    if (this.stopped) return;
    this.fetchNow();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    if (this.graceTimer !== null) this.scheduler.clearTimeout(this.graceTimer);
    this.timer = null;
    this.graceTimer = null;
  }

  /** The delay before retry number `failures` (1-based): exponential, capped, with equal jitter. */
  backoffMs(failures: number): number {
    const base = this.backoffBaseMs(failures);
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  private backoffBaseMs(failures: number): number {
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(failures - 1, 30));
  }

  private fetchNow(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    this.inFlight = true;
    void this.fetchOnce().finally(() => {
      this.inFlight = false;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.fetchNow();
      }
    });
  }

  private async fetchOnce(): Promise<void> {
    let snapshot: ConfigSnapshot;
    try {
      snapshot = parseConfigSnapshot(await this.options.fetchSnapshot());
    } catch (err) {
      // A server that answered (an HTTP error status, or a snapshot that breaks the contract) is
      // not "unreachable": say so, it is a different fix.
      const answered = err instanceof SnapshotError || (err as { status?: unknown })?.status !== undefined;
      if (!this.stopped) this.onFailure((err as Error)?.message ?? String(err), answered);
      return;
    }
    if (this.stopped) return;
    if (this.failures > 0 && this.current !== null) {
      this.options.logger.info('config server reachable again', { failures: this.failures });
    }
    this.failures = 0;
    this.schedule(this.pollIntervalMs);
    this.offer(snapshot, 'server');
  }

  private onFailure(reason: string, answered: boolean): void {
    this.failures++;
    const delayMs = this.backoffMs(this.failures);
    this.schedule(delayMs);
    // One line per backoff step; once the delay is capped, one line per capLogIntervalMs.
    const newStep = this.failures === 1 || this.backoffBaseMs(this.failures) > this.backoffBaseMs(this.failures - 1);
    const nowMs = this.now();
    if (!newStep && nowMs - this.lastFailureLogAtMs < (this.options.capLogIntervalMs ?? 60_000)) return;
    this.lastFailureLogAtMs = nowMs;
    this.options.logger.warn(answered ? 'config server gave no usable configuration' : 'config server unreachable', {
      reason,
      attempt: this.failures,
      retryInMs: delayMs,
      serving: this.current ? `revision ${this.current.revision} (${this.currentSource})` : 'nothing yet',
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = null;
      this.fetchNow();
    }, delayMs);
  }

  private offer(snapshot: ConfigSnapshot, source: SnapshotSource): void {
    const current = this.current;
    if (current !== null && snapshot.revision <= current.revision) {
      if (snapshot.revision < current.revision) {
        this.options.logger.warn('config server sent an older revision; keeping the newer one', {
          received: snapshot.revision,
          current: current.revision,
        });
      } else if (source === 'server') {
        this.currentSource = 'server';
      }
      return;
    }
    this.current = snapshot;
    this.currentSource = source;
    if (source === 'server') this.persist(snapshot);
    this.options.logger.info('configuration received', { revision: snapshot.revision, source, apps: snapshot.apps.map((a) => a.name).join(',') });
    const resolve = this.resolveStart;
    if (resolve) {
      this.resolveStart = null;
      if (this.graceTimer !== null) this.scheduler.clearTimeout(this.graceTimer);
      this.graceTimer = null;
      resolve(snapshot);
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(snapshot, source);
      } catch (err) {
        this.options.logger.error('applying configuration failed', { revision: snapshot.revision, reason: (err as Error).message });
      }
    }
  }

  private cachePath(): string | null {
    return this.options.dataDir ? join(this.options.dataDir, CONFIG_CACHE_FILE) : null;
  }

  private persist(snapshot: ConfigSnapshot): void {
    const path = this.cachePath();
    if (!path) return;
    try {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(snapshot, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, path);
    } catch (err) {
      this.options.logger.warn('could not save the configuration cache', { path, reason: (err as Error).message });
    }
  }

  /** The control plane is unreachable at start: serve the last snapshot this engine saw, if any. */
  private adoptCached(): void {
    const path = this.cachePath();
    if (!path) return;
    let snapshot: ConfigSnapshot;
    try {
      snapshot = parseConfigSnapshot(JSON.parse(readFileSync(path, 'utf8')));
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing) this.options.logger.warn('configuration cache unreadable', { path, reason: (err as Error).message });
      return;
    }
    this.options.logger.warn('config server unreachable at start: serving the cached configuration', { path, revision: snapshot.revision });
    this.offer(snapshot, 'cache');
  }
}
