// The lifecycle every forward shares, whatever carries its bytes (RTMP: stream-forward.ts; MPEG-TS
// over SRT or UDP: ts-forward.ts): watch the publisher that started it, open a sink to the target,
// join the stream's serialize-once output as a viewer once the sink is ready, reconnect with backoff
// while that publisher is still live, and stop for good when it leaves. The sink (how to open one,
// what its readiness carries, which output it joins) is the only part a forward kind supplies.
import type { LiveStream, PublisherHandle, StreamReader } from '../hub/live-stream.ts';
import type { OutputRegistry } from '../outputs/output-registry.ts';
import type { OutputViewer, SerializedOutput } from '../outputs/serialized-output.ts';
import type { LogContext, Logger } from '../shared/logger.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { redactUrl } from './relay-url.ts';
import { RelayStatusRecord } from './relay-status.ts';

export interface ForwardSinkHandle {
  start(): void;
  close(): void;
}

/** What a sink reports; R is what its readiness carries (RTMP: the message stream id). */
export type ForwardSinkEvents<R> = Readonly<{
  onReady: (ready: R) => void;
  /** null for a close we asked for */
  onClosed: (error: string | null) => void;
  onBytesOut: (n: number) => void;
  onBytesIn: (n: number) => void;
}>;

/** How a ready sink takes the stream: the output it joins and the calls that write to it. */
export type ForwardJoin = Readonly<{
  output: SerializedOutput;
  send: Pick<OutputViewer, 'sendControl' | 'sendMedia' | 'sendBatch'>;
}>;

export type ForwardSink<S extends ForwardSinkHandle, R> = Readonly<{
  /** opens a connection to the target (throws on a bad URL); its events arrive through `events` */
  open: (events: ForwardSinkEvents<R>) => S;
  /** called once the sink is ready and the source is still live */
  join: (sink: S, ready: R) => ForwardJoin;
  /** media the sink dropped because the target was behind, added to the status when it closes */
  dropped: (sink: S) => number;
}>;

export type ForwardBaseOptions = Readonly<{
  id: string;
  url: string;
  stream: LiveStream;
  /** the publish this forward belongs to: it ends when that publisher is gone */
  publisher: PublisherHandle;
  outputs: OutputRegistry;
  backoff: BackoffOptions;
  logger: Logger;
  /** fields added to the forward's log lines */
  logContext?: LogContext;
  onBytesOut?: (n: number) => void;
}>;

export abstract class ForwardBase<S extends ForwardSinkHandle, R> {
  readonly status: RelayStatusRecord;
  private current: S | null = null;
  private attached: { output: SerializedOutput; viewer: OutputViewer } | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  /** ends the forward when its publisher leaves, also while it is between connections */
  private readonly watcher: StreamReader = {
    onPacket: () => undefined,
    onPublisherStart: () => undefined,
    onPublisherStop: () => this.stop('the source stopped publishing'),
    onStreamEnd: () => this.stop('the stream ended'),
  };

  protected constructor(
    private readonly options: ForwardBaseOptions,
    private readonly sinks: ForwardSink<S, R>,
  ) {
    const { stream } = options;
    this.status = new RelayStatusRecord(options.id, 'forward', stream.app, stream.name, redactUrl(options.url));
    this.backoff = new Backoff(options.backoff);
    this.log = options.logger.child({ relay: 'forward', id: options.id, stream: stream.path, ...options.logContext });
  }

  /** called once the forward has stopped for good */
  protected abstract stoppedForGood(): void;

  get url(): string {
    return this.options.url;
  }

  /** the open sink, if any (connecting or live) */
  protected get sink(): S | null {
    return this.current;
  }

  start(): void {
    if (this.stopped) return;
    this.options.stream.addReader(this.watcher);
    this.connect();
  }

  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.options.stream.removeReader(this.watcher);
    this.detach();
    const sink = this.current;
    this.current = null;
    sink?.close();
    this.status.state = 'stopped';
    this.status.liveSinceMs = 0;
    this.status.nextRetryAtMs = 0;
    this.log.info('forward stopped', { reason });
    this.stoppedForGood();
  }

  private sourceLive(): boolean {
    return this.options.stream.publisher === this.options.publisher;
  }

  private connect(): void {
    if (!this.sourceLive()) return this.stop('the source is no longer live');
    this.status.state = 'connecting';
    this.status.nextRetryAtMs = 0;
    let sink: S | undefined;
    const events: ForwardSinkEvents<R> = {
      onReady: (ready) => {
        if (sink !== undefined && this.current === sink) this.onReady(sink, ready);
      },
      onClosed: (error) => {
        if (sink === undefined || this.current !== sink) return;
        this.status.droppedMessages += this.sinks.dropped(sink);
        this.current = null;
        this.detach();
        if (!this.stopped) this.retry(error ?? 'connection closed');
      },
      onBytesOut: (n) => {
        this.status.bytesOut += n;
        this.options.onBytesOut?.(n);
      },
      onBytesIn: (n) => {
        this.status.bytesIn += n;
      },
    };
    try {
      sink = this.sinks.open(events);
    } catch (error) {
      this.status.lastError = (error as Error).message;
      return this.stop(`bad target URL: ${(error as Error).message}`);
    }
    this.current = sink;
    this.log.info('forward connecting', { url: this.status.url });
    sink.start();
  }

  private onReady(sink: S, ready: R): void {
    if (!this.sourceLive()) return this.stop('the source is no longer live');
    const { output, send } = this.sinks.join(sink, ready);
    const viewer: OutputViewer = {
      ...send,
      onPublisherStart: () => undefined,
      // The publish this forward belongs to ended (or the stream did): so does the forward.
      onPublisherStop: () => this.stop('the source stopped publishing'),
      onStreamEnd: () => this.stop('the stream ended'),
    };
    this.attached = { output, viewer };
    this.status.state = 'live';
    this.status.liveSinceMs = Date.now();
    this.status.lastError = null;
    this.backoff.reset();
    this.log.info('forward live');
    output.addViewer(viewer);
  }

  private detach(): void {
    const attached = this.attached;
    this.attached = null;
    attached?.output.removeViewer(attached.viewer);
  }

  private retry(reason: string): void {
    this.status.liveSinceMs = 0;
    if (!this.sourceLive()) {
      this.status.lastError = reason;
      return this.stop('the source is no longer live');
    }
    const delayMs = this.backoff.next();
    this.status.retrying(reason, delayMs);
    this.log.warn('forward failed; retrying', { reason, delayMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }
}
