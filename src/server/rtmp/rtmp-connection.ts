// One RTMP TCP connection at the edge: feeds bytes to the pure ServerSession, turns its
// events into hub actions (publish, play) after admission, and writes through one writer.
import { classifyTag } from '../../flv/classify-tag.ts';
import type { LiveStream, PublisherHandle } from '../../hub/live-stream.ts';
import type { PacketType } from '../../hub/media-packet.ts';
import { rtmpFormat, rtmpPacketEncoder } from '../../outputs/encoders.ts';
import type { OutputViewer, SerializedOutput } from '../../outputs/serialized-output.ts';
import { ServerSession, type ServerSessionEvent } from '../../rtmp/server-session.ts';
import type { AddressSlots, SlotGrant } from '../address-slots.ts';
import type { AdmissionDecision } from '../admission.ts';
import type { ByteSink } from '../connection-writer.ts';
import { EdgeConnection, type EdgeRole } from '../edge-connection.ts';
import { countRefusal, type EngineContext } from '../engine-context.ts';
import { writerViewer } from '../writer-viewer.ts';

type Publishing = { streamId: number; stream: LiveStream; handle: PublisherHandle };
type Playing = { streamId: number; output: SerializedOutput; viewer: OutputViewer };

/** What the listener hands each connection: the per-address publish count, and its own release. */
export type RtmpConnectionLimits = Readonly<{ publishes: AddressSlots; onClose: () => void }>;

const randomBytes = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

export class RtmpConnection extends EdgeConnection {
  lastReceiveAtMs: number;
  private readonly session: ServerSession;
  private app: string | null = null;
  private appQuery = '';
  private publishing: Publishing | null = null;
  private playing: Playing | null = null;
  private pendingPlay: AbortController | null = null;
  private pendingPublish = false;
  /** this connection's count toward rtmp.maxPublishesPerAddress, from the publish request until it ends */
  private publishGrant: SlotGrant | null = null;
  private everStarted = false;

  constructor(
    ctx: EngineContext,
    sink: ByteSink,
    remoteAddress: string,
    nowMs: number,
    private readonly limits: RtmpConnectionLimits,
  ) {
    super(ctx, { protocol: 'rtmp', sink, remoteAddress, nowMs, onClose: () => limits.onClose() });
    this.lastReceiveAtMs = nowMs;
    const config = ctx.config();
    this.session = new ServerSession({
      randomBytes,
      epochMs: nowMs,
      outChunkSize: config.rtmp.outChunkSize,
      maxMessageSizeBytes: config.rtmp.maxMessageSizeBytes,
    });
  }

  override get role(): EdgeRole {
    return this.publishing ? 'publisher' : this.playing ? 'viewer' : 'idle';
  }

  override appName(): string | null {
    return this.app;
  }

  override streamName(): string | null {
    return this.publishing?.stream.name ?? this.playing?.output.stream.name ?? null;
  }

  protected override playedStream(): LiveStream | null {
    return this.playing?.output.stream ?? null;
  }

  get connected(): boolean {
    return this.app !== null;
  }

  /**
   * Whether the connection is past setup for the listener's deadline: it published or played at
   * some point, or a publish/play request is waiting for admission or for a publisher now (those
   * waits have their own bounds).
   */
  get setUp(): boolean {
    return this.everStarted || this.pendingPublish || this.pendingPlay !== null;
  }

  receive(bytes: Uint8Array, nowMs: number): void {
    if (this.closed) return;
    this.lastReceiveAtMs = nowMs;
    this.bytesIn += bytes.byteLength;
    this.ctx.counters.bytesIn += bytes.byteLength;
    let events: ServerSessionEvent[];
    try {
      events = this.session.push(bytes);
    } catch (err) {
      this.fail(err);
      return;
    }
    try {
      for (const event of events) this.handle(event);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.flushSession();
  }

  protected override release(): void {
    this.pendingPlay?.abort();
    this.stopPublishing();
    this.stopPlaying();
    this.releasePublishSlot();
  }

  private releasePublishSlot(): void {
    this.publishGrant?.release();
    this.publishGrant = null;
  }

  private flushSession(): void {
    for (const bytes of this.session.takeOutgoing()) this.writer.writeControl(bytes);
  }

  private handle(event: ServerSessionEvent): void {
    switch (event.type) {
      case 'connect':
        return this.onConnect(event.app, event.query);
      case 'publish':
        // an admission that throws ends only this connection, never the engine
        this.onPublish(event.streamId, event.streamName, event.query).catch((err: unknown) => this.fail(err));
        return;
      case 'play':
        this.onPlay(event.streamId, event.streamName, event.query).catch((err: unknown) => this.fail(err));
        return;
      case 'media':
        return this.onMedia(event.streamId, event.messageType, event.timestamp, event.payload);
      case 'unpublish':
        if (this.publishing?.streamId === event.streamId) this.stopPublishing();
        return;
      case 'stop-play':
        if (this.playing?.streamId === event.streamId) this.stopPlaying();
        this.pendingPlay?.abort();
        return;
      case 'ping-response':
        return;
    }
  }

  private onConnect(app: string, query: string): void {
    if (this.app !== null) {
      this.session.rejectConnect('already connected');
      return;
    }
    const known = this.ctx.config().apps.some((a) => a.name === app);
    if (!known) {
      this.log.info('connect refused: unknown app', { app });
      this.session.rejectConnect(`unknown app '${app}'`);
      return;
    }
    this.app = app;
    this.appQuery = query;
    this.session.acceptConnect();
  }

  /** Asks admission about a publish or play of this connection, with the connect and stream queries joined. */
  private admit(action: 'publish' | 'play', app: string, name: string, streamQuery: string): Promise<AdmissionDecision> {
    const query = [this.appQuery, streamQuery].filter((q) => q.length > 0).join('&');
    return this.ctx.admission.decide({ action, protocol: 'rtmp', app, stream: name, query, clientAddress: this.remoteAddress, clientId: this.id });
  }

  private async onPublish(streamId: number, name: string, query: string): Promise<void> {
    const app = this.app;
    // A publish still waiting for admission makes the connection busy too: otherwise a burst of
    // publish commands would be admitted side by side and leave streams no one unpublishes.
    if (app === null || this.publishing || this.playing || this.pendingPublish || this.pendingPlay) {
      this.session.rejectPublish(streamId, 'NetStream.Publish.BadName', 'connection is already busy');
      return this.flushSession();
    }
    const grant = this.limits.publishes.acquire(this.remoteAddress);
    if (!grant.ok) {
      countRefusal(this.ctx.counters, 'rtmp.maxPublishesPerAddress');
      this.log.warn('publish refused: per-address publish cap reached', {
        stream: `${app}/${name}`, limit: 'rtmp.maxPublishesPerAddress', max: grant.max,
      });
      this.session.rejectPublish(streamId, 'NetStream.Publish.Rejected', `too many streams published from this address (at most ${grant.max})`);
      return this.flushSession();
    }
    this.publishGrant = grant;
    this.pendingPublish = true;
    let decision;
    try {
      decision = await this.admit('publish', app, name, query);
    } finally {
      this.pendingPublish = false;
    }
    if (this.closed) return;
    if (!decision.allow) {
      this.releasePublishSlot();
      this.log.info('publish refused', { stream: `${app}/${name}`, reason: decision.reason });
      this.session.rejectPublish(streamId, 'NetStream.Publish.BadName', decision.reason);
      return this.flushSession();
    }
    const handle: PublisherHandle = {
      id: this.id,
      kick: (reason) => {
        this.log.info('publisher kicked', { stream: `${app}/${name}`, reason });
        if (this.publishing?.handle === handle) {
          this.publishing = null;
          this.emitPublishStop(app, name);
        }
        this.kick(reason);
      },
    };
    const result = this.ctx.streams.publish(app, name, handle);
    if (!result.ok) {
      this.releasePublishSlot();
      this.session.rejectPublish(streamId, 'NetStream.Publish.BadName', 'stream is already being published');
      return this.flushSession();
    }
    this.publishing = { streamId, stream: result.stream, handle };
    this.everStarted = true;
    this.log.info('publish started', { stream: result.stream.path });
    this.ctx.events.emit({ type: 'publish-start', app, stream: name, clientId: this.id, clientAddress: this.remoteAddress, atMs: Date.now() });
    this.session.acceptPublish(streamId);
    this.flushSession();
  }

  private onMedia(streamId: number, messageType: PacketType, timestamp: number, payload: Uint8Array): void {
    const publishing = this.publishing;
    if (!publishing || publishing.streamId !== streamId || payload.byteLength === 0) return;
    const tagClass = classifyTag(messageType, payload);
    publishing.stream.ingest({ type: messageType, timestampMs: timestamp, body: payload, ...tagClass });
  }

  private stopPublishing(): void {
    const publishing = this.publishing;
    if (!publishing) return;
    this.publishing = null;
    this.releasePublishSlot();
    this.log.info('publish stopped', { stream: publishing.stream.path });
    this.ctx.streams.unpublish(publishing.stream, publishing.handle);
    this.emitPublishStop(publishing.stream.app, publishing.stream.name);
  }

  private emitPublishStop(app: string, stream: string): void {
    this.ctx.events.emit({ type: 'publish-stop', app, stream, clientId: this.id, atMs: Date.now() });
  }

  private async onPlay(streamId: number, name: string, query: string): Promise<void> {
    const app = this.app;
    if (app === null || this.publishing || this.playing || this.pendingPlay || this.pendingPublish) {
      this.session.rejectPlay(streamId, 'NetStream.Play.Failed', 'connection is already busy');
      return this.flushSession();
    }
    const abort = new AbortController();
    this.pendingPlay = abort;
    try {
      const decision = await this.admit('play', app, name, query);
      if (this.closed || abort.signal.aborted) return;
      if (!decision.allow) {
        this.log.info('play refused', { stream: `${app}/${name}`, reason: decision.reason });
        this.session.rejectPlay(streamId, 'NetStream.Play.Failed', decision.reason);
        return this.flushSession();
      }
      const stream = await this.ctx.streams.waitUntilLive(app, name, abort.signal);
      if (this.closed || abort.signal.aborted) return;
      if (!stream) {
        this.session.rejectPlay(streamId, 'NetStream.Play.StreamNotFound', `no stream '${app}/${name}' is live`);
        return this.flushSession();
      }
      this.session.acceptPlay(streamId);
      this.flushSession();
      this.attachViewer(stream, streamId);
    } finally {
      if (this.pendingPlay === abort) this.pendingPlay = null;
    }
  }

  private attachViewer(stream: LiveStream, streamId: number): void {
    const chunkSize = this.session.outChunkSize;
    const output = this.ctx.outputs.obtain(stream, rtmpFormat(chunkSize, streamId), rtmpPacketEncoder(chunkSize, streamId));
    const viewer: OutputViewer = writerViewer(this.writer, {
      onPublisherStart: () => {
        this.session.notifyPublish(streamId);
        this.flushSession();
      },
      onPublisherStop: () => {
        this.session.notifyUnpublish(streamId);
        this.flushSession();
      },
      onStreamEnd: () => {
        if (this.playing?.viewer === viewer) this.emitPlayStop(stream);
        this.playing = null;
        this.session.endPlay(streamId);
        this.flushSession();
        this.writer.endGracefully();
      },
    }, this.transport);
    this.playing = { streamId, output, viewer };
    this.everStarted = true;
    this.log.info('play started', { stream: stream.path });
    this.ctx.events.emit({
      type: 'play-start', app: stream.app, stream: stream.name, clientId: this.id, protocol: 'rtmp', clientAddress: this.remoteAddress, atMs: Date.now(),
    });
    output.addViewer(viewer);
  }

  private stopPlaying(): void {
    const playing = this.playing;
    if (!playing) return;
    this.playing = null;
    playing.output.removeViewer(playing.viewer);
    this.emitPlayStop(playing.output.stream);
  }

  private emitPlayStop(stream: LiveStream): void {
    this.ctx.events.emit({ type: 'play-stop', app: stream.app, stream: stream.name, clientId: this.id, atMs: Date.now() });
  }
}
