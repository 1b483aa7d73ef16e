// Pushes one live stream to one RTMP/RTMPS target: publishes with our ClientSession, then joins
// the stream as a viewer of a serialize-once output, so the target gets the metadata, the
// sequence headers and the current GOP first, then live media. Its own ConnectionWriter bounds
// what it may hold: a slow target drops to the next keyframe and a stuck one is cut off, and
// neither ever touches the publisher or the viewers. It reconnects with backoff while the
// publisher that started it is still live, and stops for good when that publisher leaves.
import type { LiveStream, PublisherHandle, StreamReader } from '../hub/live-stream.ts';
import { rtmpPacketEncoder } from '../outputs/encoders.ts';
import type { OutputRegistry } from '../outputs/output-registry.ts';
import type { OutputViewer, SerializedOutput } from '../outputs/serialized-output.ts';
import type { WriterLimits } from '../server/connection-writer.ts';
import type { Logger } from '../shared/logger.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { RtmpClientConnection } from './rtmp-client-connection.ts';
import { redactUrl } from './relay-url.ts';
import { RelayStatusRecord } from './relay-status.ts';

const READY_TIMEOUT_MS = 10_000;
/** the chunk size ClientSession announces by default (forward outputs are keyed by it) */
const FORWARD_CHUNK_SIZE = 4096;

/** Output format family for forwards: their bytes are shared by every forward of a stream. */
export function forwardFormat(chunkSize: number, messageStreamId: number): string {
  return `forward:${chunkSize}:${messageStreamId}`;
}

export type StreamForwardOptions = Readonly<{
  id: string;
  url: string;
  stream: LiveStream;
  /** the publish this forward belongs to: it ends when that publisher is gone */
  publisher: PublisherHandle;
  outputs: OutputRegistry;
  limits: WriterLimits;
  insecureTls: boolean;
  backoff: BackoffOptions;
  logger: Logger;
  onBytesOut?: (n: number) => void;
  /** called once the forward has stopped for good */
  onStopped?: (forward: StreamForward) => void;
}>;

export class StreamForward {
  readonly status: RelayStatusRecord;
  private connection: RtmpClientConnection | null = null;
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

  constructor(private readonly options: StreamForwardOptions) {
    const { stream } = options;
    this.status = new RelayStatusRecord(options.id, 'forward', stream.app, stream.name, redactUrl(options.url));
    this.backoff = new Backoff(options.backoff);
    this.log = options.logger.child({ relay: 'forward', id: options.id, stream: stream.path });
  }

  get url(): string {
    return this.options.url;
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
    const connection = this.connection;
    this.connection = null;
    connection?.close();
    this.status.state = 'stopped';
    this.status.liveSinceMs = 0;
    this.status.nextRetryAtMs = 0;
    this.log.info('forward stopped', { reason });
    this.options.onStopped?.(this);
  }

  private sourceLive(): boolean {
    return this.options.stream.publisher === this.options.publisher;
  }

  private connect(): void {
    if (!this.sourceLive()) {
      this.stop('the source is no longer live');
      return;
    }
    this.status.state = 'connecting';
    this.status.nextRetryAtMs = 0;
    let connection: RtmpClientConnection;
    try {
      connection = new RtmpClientConnection({
        url: this.options.url,
        role: 'publish',
        insecureTls: this.options.insecureTls,
        limits: this.options.limits,
        readyTimeoutMs: READY_TIMEOUT_MS,
        onEvent: (event) => {
          if (event.type === 'ready' && this.connection === connection) this.onReady(connection, event.streamId);
        },
        onBytesOut: (n) => {
          this.status.bytesOut += n;
          this.options.onBytesOut?.(n);
        },
        onBytesIn: (n) => {
          this.status.bytesIn += n;
        },
        onClose: (error) => {
          if (this.connection !== connection) return;
          this.status.droppedMessages += connection.writer.stats.droppedMessages;
          this.connection = null;
          this.detach();
          if (!this.stopped) this.retry(error ?? 'connection closed');
        },
      });
    } catch (error) {
      this.status.lastError = (error as Error).message;
      this.stop(`bad target URL: ${(error as Error).message}`);
      return;
    }
    this.connection = connection;
    this.log.info('forward connecting', { url: this.status.url });
    connection.start();
  }

  private onReady(connection: RtmpClientConnection, messageStreamId: number): void {
    if (!this.sourceLive()) {
      this.stop('the source is no longer live');
      return;
    }
    const writer = connection.writer;
    const viewer: OutputViewer = {
      sendControl: (bytes) => writer.writeControl(bytes),
      sendMedia: (bytes, randomAccess, entry) => {
        writer.writeMedia(bytes, randomAccess, entry);
      },
      sendBatch: (batch) => writer.writeBatch(batch),
      onPublisherStart: () => undefined,
      // The publish this forward belongs to ended (or the stream did): so does the forward.
      onPublisherStop: () => this.stop('the source stopped publishing'),
      onStreamEnd: () => this.stop('the stream ended'),
    };
    const output = this.options.outputs.obtain(
      this.options.stream,
      forwardFormat(FORWARD_CHUNK_SIZE, messageStreamId),
      rtmpPacketEncoder(FORWARD_CHUNK_SIZE, messageStreamId),
    );
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
      this.stop('the source is no longer live');
      return;
    }
    const delayMs = this.backoff.next();
    this.status.state = 'retrying';
    this.status.lastError = reason;
    this.status.retries++;
    this.status.nextRetryAtMs = Date.now() + delayMs;
    this.log.warn('forward failed; retrying', { reason, delayMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }
}
