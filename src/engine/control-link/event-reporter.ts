// Tells the control plane what happens (publish and play start/stop): events are queued,
// sent in batches (POST /v1/events) every flush interval, best effort. The queue is bounded:
// while the control plane is down the oldest events are dropped, never the engine's memory.
import type { EngineEvent } from '../../shared/config-protocol.ts';
import type { Logger } from '../../shared/logger.ts';
import type { EngineEventSink } from '../../server/engine-events.ts';


export type EventReporterOptions = Readonly<{
  send: (events: readonly EngineEvent[]) => Promise<unknown>;
  logger: Logger;
  flushIntervalMs?: number;
  maxQueued?: number;
  maxBatch?: number;
}>;

export class EventReporter implements EngineEventSink {
  dropped = 0;
  sent = 0;
  private queue: EngineEvent[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private sending = false;
  private readonly maxQueued: number;
  private readonly maxBatch: number;

  constructor(private readonly options: EventReporterOptions) {
    this.maxQueued = options.maxQueued ?? 1000;
    this.maxBatch = options.maxBatch ?? 200;
  }

  get queued(): number {
    return this.queue.length;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 500);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.flush(); // a last best-effort batch
  }

  emit(event: EngineEvent): void {
    this.queue.push(event);
    this.trim();
  }

  /** Sends what is queued (one batch at a time); failed batches go back to the front. */
  async flush(): Promise<void> {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      await this.options.send(batch);
      this.sent += batch.length;
    } catch (err) {
      this.queue = batch.concat(this.queue);
      this.trim();
      this.options.logger.debug('events not delivered; kept for the next attempt', { queued: this.queue.length, reason: (err as Error).message });
    } finally {
      this.sending = false;
    }
  }

  private trim(): void {
    const excess = this.queue.length - this.maxQueued;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.dropped += excess;
    this.options.logger.warn('event queue full: dropped the oldest events', { dropped: this.dropped });
  }
}
