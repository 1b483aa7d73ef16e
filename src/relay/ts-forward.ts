// Forwards one live stream as MPEG-TS to an srt:// listener (Weir calls) or a udp:// address: joins
// the stream's one shared MPEG-TS output (the same bytes SRT viewers get) as a viewer, so the target
// gets PAT/PMT, the current GOP and then live media. Like the RTMP forward (stream-forward.ts) it
// reconnects with backoff while the publisher that started it is live and stops when it leaves. Its
// lifecycle (watcher, backoff, attach) repeats stream-forward.ts's until a shared base is cut out of both.
import type { LiveStream, PublisherHandle, StreamReader } from '../hub/live-stream.ts';
import { mpegtsPacketEncoder, MPEGTS_FORMAT } from '../outputs/mpegts-encoder.ts';
import type { OutputRegistry } from '../outputs/output-registry.ts';
import type { OutputViewer, SerializedOutput } from '../outputs/serialized-output.ts';
import type { Logger } from '../shared/logger.ts';
import { parseSrtLinkUrl, parseUdpLinkUrl } from '../shared/ts-link-url.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { redactUrl } from './relay-url.ts';
import { RelayStatusRecord } from './relay-status.ts';
import { SrtTsTarget, UdpTsTarget, type TsLinkTarget, type TsTargetEvents } from './ts-link-target.ts';

export type TsForwardOptions = Readonly<{
  id: string;
  url: string;
  kind: 'srt' | 'udp';
  stream: LiveStream;
  publisher: PublisherHandle;
  outputs: OutputRegistry;
  backoff: BackoffOptions;
  logger: Logger;
  onBytesOut?: (n: number) => void;
  onStopped?: (forward: TsForward) => void;
}>;

export class TsForward {
  readonly status: RelayStatusRecord;
  private target: TsLinkTarget | null = null;
  private attached: { output: SerializedOutput; viewer: OutputViewer } | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private readonly watcher: StreamReader = {
    onPacket: () => undefined,
    onPublisherStart: () => undefined,
    onPublisherStop: () => this.stop('the source stopped publishing'),
    onStreamEnd: () => this.stop('the stream ended'),
  };

  constructor(private readonly options: TsForwardOptions) {
    const { stream } = options;
    this.status = new RelayStatusRecord(options.id, 'forward', stream.app, stream.name, redactUrl(options.url));
    this.backoff = new Backoff(options.backoff);
    this.log = options.logger.child({ relay: 'forward', id: options.id, stream: stream.path, target: options.kind });
    this.status.link = () => this.target?.linkStats?.() ?? null;
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
    const target = this.target;
    this.target = null;
    target?.close();
    this.status.state = 'stopped';
    this.status.liveSinceMs = 0;
    this.status.nextRetryAtMs = 0;
    this.log.info('forward stopped', { reason });
    this.options.onStopped?.(this);
  }

  private connect(): void {
    if (this.options.stream.publisher !== this.options.publisher) return this.stop('the source is no longer live');
    this.status.state = 'connecting';
    this.status.nextRetryAtMs = 0;
    let target: TsLinkTarget;
    const events: TsTargetEvents = {
      onReady: () => {
        if (this.target === target) this.onReady(target);
      },
      onClosed: (error) => {
        if (this.target !== target) return;
        this.status.droppedMessages += target.dropped;
        this.target = null;
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
      target = this.options.kind === 'srt' ? new SrtTsTarget(parseSrtLinkUrl(this.options.url), events) : new UdpTsTarget(parseUdpLinkUrl(this.options.url), events);
    } catch (error) {
      this.status.lastError = (error as Error).message;
      return this.stop(`bad target URL: ${(error as Error).message}`);
    }
    this.target = target;
    this.log.info('forward connecting', { url: this.status.url });
    target.start();
  }

  private onReady(target: TsLinkTarget): void {
    if (this.options.stream.publisher !== this.options.publisher) return this.stop('the source is no longer live');
    const viewer: OutputViewer = {
      sendControl: (bytes) => void target.send(bytes, true, true),
      sendMedia: (bytes, randomAccess) => void target.send(bytes, randomAccess, false),
      onPublisherStart: () => undefined,
      onPublisherStop: () => this.stop('the source stopped publishing'),
      onStreamEnd: () => this.stop('the stream ended'),
    };
    const output = this.options.outputs.obtain(this.options.stream, MPEGTS_FORMAT, mpegtsPacketEncoder());
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
    if (this.options.stream.publisher !== this.options.publisher) {
      this.status.lastError = reason;
      return this.stop('the source is no longer live');
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
