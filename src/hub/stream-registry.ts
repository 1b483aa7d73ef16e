// All live streams by {app}/{stream}: who publishes, who waits, and when a stream is gone.
import { LiveStream, type GopLimits, type LiveStreamHooks, type PublisherHandle } from './live-stream.ts';

export interface StreamRegistryOptions {
  /** how long a viewer waits for a publisher */
  waitForPublisherMs: number;
  /** how long viewers stay after the publisher leaves, for it to come back (default: waitForPublisherMs) */
  publisherGraceMs?: number;
  /** a new publisher of a live stream kicks the old one (which may be a dead connection timing out) */
  publisherTakeover: boolean;
  gopLimits: GopLimits;
  /** given to every stream (e.g. to log timestamp jumps with the stream's name) */
  streamHooks?: LiveStreamHooks;
  now?: () => number;
}

export type PublishResult = { ok: true; stream: LiveStream } | { ok: false; reason: 'busy' };

export class StreamRegistry {
  private readonly streams = new Map<string, LiveStream>();
  private readonly waiting = new Map<string, number>();
  private readonly graceTimers = new Map<LiveStream, ReturnType<typeof setTimeout>>();
  private readonly now: () => number;
  private readonly publishListeners: Array<(stream: LiveStream) => void> = [];
  private readonly demandListeners: Array<(stream: LiveStream) => void> = [];

  constructor(private readonly options: StreamRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  static key(app: string, name: string): string {
    return `${app}/${name}`;
  }

  find(app: string, name: string): LiveStream | undefined {
    return this.streams.get(StreamRegistry.key(app, name));
  }

  list(): LiveStream[] {
    return [...this.streams.values()];
  }

  publish(app: string, name: string, publisher: PublisherHandle): PublishResult {
    const stream = this.obtain(app, name);
    const previous = stream.publisher;
    if (previous) {
      if (!this.options.publisherTakeover) return { ok: false, reason: 'busy' };
      stream.detachPublisher();
      previous.kick('another publisher took the stream over');
    }
    this.cancelGrace(stream);
    stream.attachPublisher(publisher, this.now());
    for (const listener of this.publishListeners) listener(stream);
    return { ok: true, stream };
  }

  /** Outputs that run for every live stream (HLS) attach themselves here. */
  onPublish(listener: (stream: LiveStream) => void): void {
    this.publishListeners.push(listener);
  }

  /** A viewer waits for a stream nobody publishes (edge mode pulls it from an origin). */
  onDemand(listener: (stream: LiveStream) => void): void {
    this.demandListeners.push(listener);
  }

  unpublish(stream: LiveStream, publisher: PublisherHandle): void {
    if (stream.publisher !== publisher) return;
    stream.detachPublisher();
    if (stream.readerCount === 0 && !this.waiting.has(stream.path)) {
      this.remove(stream);
      return;
    }
    // Viewers stay a while so a restarting encoder does not cost them their connection.
    this.cancelGrace(stream);
    this.graceTimers.set(
      stream,
      setTimeout(() => {
        this.graceTimers.delete(stream);
        if (!stream.publisher) this.remove(stream);
      }, this.options.publisherGraceMs ?? this.options.waitForPublisherMs),
    );
  }

  /** Waits up to the configured time for the stream to carry media; null if it never did. */
  async waitUntilLive(app: string, name: string, signal?: AbortSignal): Promise<LiveStream | null> {
    const existing = this.find(app, name);
    if (existing?.started) return existing;
    const stream = this.obtain(app, name);
    const key = stream.path;
    this.waiting.set(key, (this.waiting.get(key) ?? 0) + 1);
    if (!stream.publisher) for (const listener of this.demandListeners) listener(stream);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.options.waitForPublisherMs);
        signal?.addEventListener('abort', () => resolve('timeout'), { once: true });
      });
      const outcome = await Promise.race([stream.whenStarted().then(() => 'live' as const), timedOut]);
      const current = this.find(app, name);
      return outcome === 'live' && current === stream && stream.started ? stream : null;
    } finally {
      clearTimeout(timer);
      const left = (this.waiting.get(key) ?? 1) - 1;
      if (left <= 0) this.waiting.delete(key);
      else this.waiting.set(key, left);
      this.collect(stream);
    }
  }

  /** Called when a reader leaves: a stream with nobody left is forgotten. */
  collect(stream: LiveStream): void {
    if (stream.publisher || stream.readerCount > 0 || this.waiting.has(stream.path)) return;
    if (this.graceTimers.has(stream)) return;
    this.remove(stream);
  }

  /** Ends every stream: used on shutdown. */
  closeAll(): void {
    for (const stream of [...this.streams.values()]) {
      stream.publisher?.kick('server shutting down');
      this.remove(stream);
    }
  }

  /** Ends every stream of an app (the app was removed): kicks its publishers, ends its viewers. */
  closeApp(app: string, reason: string): number {
    const doomed = [...this.streams.values()].filter((s) => s.app === app);
    for (const stream of doomed) {
      stream.publisher?.kick(reason);
      this.remove(stream);
    }
    return doomed.length;
  }

  private obtain(app: string, name: string): LiveStream {
    const key = StreamRegistry.key(app, name);
    let stream = this.streams.get(key);
    if (!stream) {
      stream = new LiveStream(app, name, this.options.gopLimits, this.options.streamHooks);
      this.streams.set(key, stream);
    }
    return stream;
  }

  private cancelGrace(stream: LiveStream): void {
    const timer = this.graceTimers.get(stream);
    if (timer) clearTimeout(timer);
    this.graceTimers.delete(stream);
  }

  private remove(stream: LiveStream): void {
    this.cancelGrace(stream);
    if (this.streams.get(stream.path) === stream) this.streams.delete(stream.path);
    stream.end();
  }
}
