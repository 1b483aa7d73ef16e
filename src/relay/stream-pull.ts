// One pulled stream: runs a pull client against one upstream URL and publishes what it gets
// as an ordinary live stream (registry publish + ingest with classifyTag), so every output and
// the GOP cache work as for a pushed stream. Any end reconnects with capped exponential backoff
// and jitter until stop(); the stream is unpublished while the upstream is away, so viewers
// wait through a restart and HLS marks the discontinuity.
import { classifyTag } from '../flv/classify-tag.ts';
import type { LiveStream, PublisherHandle } from '../hub/live-stream.ts';
import type { StreamRegistry } from '../hub/stream-registry.ts';
import type { Logger } from '../shared/logger.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import type { PullClient, PullClientFactory, PullClientOptions, PullPacketType } from './pull-client.ts';
import { redactUrl } from './relay-url.ts';
import { RelayStatusRecord, type RelayKind } from './relay-status.ts';

export type StreamPullOptions = Readonly<{
  id: string;
  kind: RelayKind;
  app: string;
  stream: string;
  url: string;
  streams: StreamRegistry;
  createClient: PullClientFactory;
  clientOptions: PullClientOptions;
  backoff: BackoffOptions;
  logger: Logger;
  /** engine byte counter (bytes read from sockets) */
  onBytesIn?: (n: number) => void;
}>;

export class StreamPull {
  readonly status: RelayStatusRecord;
  private client: PullClient | null = null;
  private generation = 0;
  private live: { stream: LiveStream; handle: PublisherHandle } | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly log: Logger;

  constructor(private readonly options: StreamPullOptions) {
    this.status = new RelayStatusRecord(options.id, options.kind, options.app, options.stream, redactUrl(options.url));
    this.backoff = new Backoff(options.backoff);
    this.log = options.logger.child({ relay: options.kind, id: options.id, stream: `${options.app}/${options.stream}` });
    this.status.link = () => this.client?.link?.() ?? null;
  }

  get url(): string {
    return this.options.url;
  }

  /** the live stream this pull feeds, while it does */
  get stream(): LiveStream | null {
    return this.live?.stream ?? null;
  }

  start(): void {
    if (this.stopped) return;
    this.connect();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.generation++;
    const client = this.client;
    this.client = null;
    client?.stop();
    this.unpublish();
    this.status.state = 'stopped';
    this.status.nextRetryAtMs = 0;
    this.log.info('pull stopped');
  }

  private connect(): void {
    const generation = ++this.generation;
    const current = (): boolean => generation === this.generation && !this.stopped;
    this.status.state = 'connecting';
    this.status.nextRetryAtMs = 0;
    let gotMedia = false;
    const client = this.options.createClient(
      this.options.url,
      {
        onConnected: () => {
          if (!current()) return;
          this.publish();
        },
        onPacket: (type: PullPacketType, timestampMs: number, body: Uint8Array) => {
          if (!current()) return;
          if (!this.live) this.publish();
          const live = this.live;
          if (!live) return;
          let tagClass;
          try {
            tagClass = classifyTag(type, body);
          } catch {
            return; // a tag we cannot read is skipped, as a publisher's would be
          }
          live.stream.ingest({ type, timestampMs, body, ...tagClass });
          if (!gotMedia && !tagClass.header && type !== 18) {
            gotMedia = true;
            this.backoff.reset();
          }
        },
        onBytes: (n: number) => {
          this.status.bytesIn += n;
          this.options.onBytesIn?.(n);
        },
        onDisconnected: (error: string | null) => {
          if (!current()) return;
          this.client = null;
          this.unpublish();
          this.retry(error ?? 'upstream closed the connection');
        },
      },
      (message) => this.log.debug(message),
      this.options.clientOptions,
    );
    this.client = client;
    this.log.info('pull connecting', { url: this.status.url });
    try {
      client.start();
    } catch (error) {
      if (current()) {
        this.client = null;
        this.retry((error as Error).message);
      }
    }
  }

  private publish(): void {
    if (this.live) return;
    const { app, stream: name } = this.options;
    const handle: PublisherHandle = {
      id: `${this.options.kind}:${this.options.id}`,
      kick: (reason) => {
        // Another publisher took the stream over: drop this connection and try again later.
        if (this.live?.handle !== handle) return;
        this.live = null;
        this.log.warn('pulled stream taken over', { reason });
        this.generation++;
        const client = this.client;
        this.client = null;
        client?.stop();
        this.retry(`taken over: ${reason}`);
      },
    };
    const result = this.options.streams.publish(app, name, handle);
    if (!result.ok) {
      this.log.warn('stream is busy: another publisher holds it');
      this.generation++;
      const client = this.client;
      this.client = null;
      client?.stop();
      this.retry('stream is already being published');
      return;
    }
    this.live = { stream: result.stream, handle };
    this.status.state = 'live';
    this.status.liveSinceMs = Date.now();
    this.status.lastError = null;
    this.log.info('pull live');
  }

  private unpublish(): void {
    const live = this.live;
    this.live = null;
    this.status.liveSinceMs = 0;
    if (live) this.options.streams.unpublish(live.stream, live.handle);
  }

  private retry(reason: string): void {
    if (this.stopped) return;
    const delayMs = this.backoff.next();
    this.status.retrying(reason, delayMs);
    this.log.warn('pull failed; retrying', { reason, delayMs });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delayMs);
  }
}
