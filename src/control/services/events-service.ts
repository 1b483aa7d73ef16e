// Engine events (publish/play start and stop) kept in a bounded ring buffer for the API.
import type { EngineEvent } from '../../shared/config-protocol.ts';
import type { EventsServiceContract, NowMs, RecordedEvent } from './types.ts';

export class EventsService implements EventsServiceContract {
  private readonly ring: (RecordedEvent | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly listeners = new Set<(event: RecordedEvent) => void>();

  constructor(
    private readonly nowMs: NowMs,
    readonly capacity: number,
  ) {
    this.ring = new Array<RecordedEvent | undefined>(Math.max(1, capacity));
  }

  record(events: readonly EngineEvent[]): void {
    const receivedAtMs = this.nowMs();
    for (const event of events) {
      const recorded: RecordedEvent = { ...event, seq: ++this.seq, receivedAtMs };
      this.ring[this.next] = recorded;
      this.next = (this.next + 1) % this.ring.length;
      for (const listener of [...this.listeners]) {
        try {
          listener(recorded);
        } catch {
          // listeners are best effort, like the events themselves
        }
      }
    }
  }

  recent(limit?: number): readonly RecordedEvent[] {
    const out: RecordedEvent[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const e = this.ring[(this.next + i) % this.ring.length];
      if (e) out.push(e);
    }
    return limit === undefined || limit >= out.length ? out : out.slice(out.length - Math.max(0, limit));
  }

  subscribe(listener: (event: RecordedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
