// One admitted SRT connection at the edge: drives its SrtConnection (packets in, poll, packets
// out through the listener's socket) and joins it to the hub, as a publisher (MPEG-TS demuxed
// into the stream) or as a viewer of the stream's one shared MPEG-TS output. Listed in the
// client registry (protocol 'srt') so the engine API counts and kicks it like any client.
import { classifyTag } from '../../flv/classify-tag.ts';
import type { LiveStream, PublisherHandle } from '../../hub/live-stream.ts';
import { mpegtsPacketEncoder, MPEGTS_FORMAT } from '../../outputs/mpegts-encoder.ts';
import type { OutputViewer, SerializedOutput } from '../../outputs/serialized-output.ts';
import { TsIngest, tracksNote } from '../../flv/ts-ingest.ts';
import type { TsTrack } from '../../remux/ts-demuxer.ts';
import type { Logger } from '../../shared/logger.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import type { ParsedStreamId, SrtConnection, SrtPacket } from '../../srt/index.ts';
import type { ClientRole, LinkStats } from '../../shared/config-protocol.ts';
import type { ClientEntry } from '../client-registry.ts';
import type { EngineContext } from '../engine-context.ts';
import { srtLinkStats } from '../link-stats.ts';
import { SendRate } from '../send-rate.ts';

/** MPEG-TS over SRT travels as 7 TS packets per datagram (what ffmpeg and OBS send). */
export const SRT_TS_PAYLOAD_BYTES = 7 * 188;

/** Per-viewer send buffer bounds, in SRT packets of up to 1316 bytes. */
export const SrtViewerLimits = {
  /** past this many packets queued or unacknowledged, media is dropped up to the next keyframe */
  softPackets: 512,
  /** past this many the viewer is cut off: it has not kept up for a long time */
  hardPackets: 2048,
  /**
   * The sender gives up packets the viewer could not take in time (too-late drop, about a second):
   * the picture is broken up to the next keyframe anyway, so media is skipped to it. A viewer
   * whose sender keeps dropping for this long, without a quiet spell of behindQuietUs, is cut.
   */
  behindCutUs: 10_000_000,
  behindQuietUs: 3_000_000,
} as const;

/** How long an ending viewer may take to have its last packets acknowledged before it is closed anyway. */
const END_LINGER_US = 1_000_000;

export type SrtSessionDeps = Readonly<{
  ctx: EngineContext;
  id: string;
  connection: SrtConnection;
  peer: Readonly<{ address: string; port: number }>;
  target: ParsedStreamId;
  /** puts packets on the wire to this peer; returns the bytes sent */
  send: (packets: readonly SrtPacket[]) => number;
  /** the listener re-arms its timer if this session is due earlier */
  wake: (session: SrtSession) => void;
  /** the listener forgets the session and frees its slot */
  onClosed: (session: SrtSession) => void;
  nowUs: () => number;
}>;

export class SrtSession {
  readonly id: string;
  readonly connectedAtMs = Date.now();
  bytesIn = 0;
  bytesOut = 0;
  /** media dropped for being behind (SRT packets' worth of TS), and whether we are skipping to a keyframe */
  droppedMedia = 0;
  private skipping = false;
  private senderDropsSeen = 0;
  /** since when the sender has been dropping packets (null: it has kept up), and when it last did */
  private behindSinceUs: number | null = null;
  private lastSenderDropUs = 0;
  private publishing: { stream: LiveStream; handle: PublisherHandle; ingest: TsIngest } | null = null;
  /** the Opus viewers note was logged (once per publisher) */
  private noted = false;
  private playing: { output: SerializedOutput; viewer: OutputViewer } | null = null;
  private waiting: AbortController | null = null;
  private endingSinceUs: number | null = null;
  private closed = false;
  private readonly client: ClientEntry;
  private readonly log: Logger;
  private readonly sendRate = new SendRate();

  constructor(private readonly deps: SrtSessionDeps) {
    this.id = deps.id;
    const { ctx, target, peer } = deps;
    this.log = ctx.logger.child({ conn: this.id, peer: peer.address, protocol: 'srt', stream: `${target.app}/${target.stream}` });
    this.client = {
      id: this.id,
      protocol: 'srt',
      address: peer.address,
      connectedAtMs: this.connectedAtMs,
      role: () => (this.publishing ? 'publisher' : this.playing ? 'viewer' : 'idle'),
      app: () => target.app,
      stream: () => target.stream,
      bytesIn: () => this.bytesIn,
      bytesOut: () => this.bytesOut,
      kick: (reason) => this.kick(reason),
      link: () => this.linkStats(),
    };
    ctx.clients.register(this.client);
  }

  get connection(): SrtConnection {
    return this.deps.connection;
  }

  get peerKey(): string {
    return `${this.deps.peer.address}|${this.deps.peer.port}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get role(): ClientRole {
    return this.publishing ? 'publisher' : this.playing ? 'viewer' : 'idle';
  }

  /** When poll() next has work (µs on the listener's clock). */
  nextDueUs(): number {
    return this.deps.connection.nextDueUs();
  }

  /** A packet addressed to this connection's socket id. */
  receive(packet: SrtPacket, sizeBytes: number, nowUs: number): void {
    if (this.closed) return;
    this.bytesIn += sizeBytes;
    let out;
    try {
      out = this.deps.connection.receive(packet, nowUs);
    } catch (err) {
      return this.fail(err);
    }
    this.transmit(out.send);
    this.deliver(out.deliver);
    if (out.closed) return this.finish(`peer ${out.closed}`);
    this.deps.wake(this);
  }

  /** Timers: ACK/NAK, retransmissions, TSBPD delivery, keepalive, idle timeout. */
  poll(nowUs: number): void {
    if (this.closed) return;
    let out;
    try {
      out = this.deps.connection.poll(nowUs);
    } catch (err) {
      return this.fail(err);
    }
    this.transmit(out.send);
    this.deliver(out.deliver);
    if (out.closed) return this.finish(out.closed === 'idle-timeout' ? 'peer went silent (idle timeout)' : `peer ${out.closed}`);
    if (this.endingSinceUs !== null && (this.deps.connection.stats.send.bufferedPackets === 0 || nowUs - this.endingSinceUs > END_LINGER_US)) {
      return this.close('stream ended');
    }
  }

  /** Publish: the stream is ours; delivered payloads are MPEG-TS for it. */
  startPublishing(stream: LiveStream, handle: PublisherHandle): void {
    this.publishing = { stream, handle, ingest: new TsIngest() };
    this.log.info('publish started');
    this.deps.ctx.events.emit({ type: 'publish-start', app: stream.app, stream: stream.name, clientId: this.id, clientAddress: this.deps.peer.address, atMs: Date.now() });
  }

  /** The publisher handle's kick: a newer publisher took over, or the engine API kicked us. */
  publisherKicked(handle: PublisherHandle, reason: string): void {
    if (this.publishing?.handle === handle) {
      const { stream } = this.publishing;
      this.publishing = null;
      this.emitPublishStop(stream);
    }
    this.kick(reason);
  }

  /** Play: waits for the stream to be live (bounded by the registry's wait), then joins its MPEG-TS output. */
  async startPlaying(): Promise<void> {
    const { ctx, target } = this.deps;
    const abort = new AbortController();
    this.waiting = abort;
    const stream = await ctx.streams.waitUntilLive(target.app, target.stream, abort.signal);
    if (this.waiting === abort) this.waiting = null;
    if (this.closed || abort.signal.aborted) return;
    if (!stream) return this.close(`no stream '${target.app}/${target.stream}' is live`);
    const output = ctx.outputs.obtain(stream, MPEGTS_FORMAT, mpegtsPacketEncoder());
    const viewer: OutputViewer = {
      sendControl: (bytes) => this.sendTs(bytes, true, true),
      sendMedia: (bytes, randomAccess) => this.sendTs(bytes, randomAccess, false),
      // MPEG-TS carries no publisher restart signal: PAT/PMT ahead of the next keyframe re-announce the tracks
      onPublisherStart: () => {},
      onPublisherStop: () => {},
      onStreamEnd: () => {
        if (this.playing?.viewer === viewer) this.emitPlayStop(stream);
        this.playing = null;
        this.endingSinceUs = this.deps.nowUs();
        this.deps.wake(this);
      },
    };
    this.playing = { output, viewer };
    this.log.info('play started');
    ctx.events.emit({ type: 'play-start', app: stream.app, stream: stream.name, clientId: this.id, protocol: 'srt', clientAddress: this.deps.peer.address, atMs: Date.now() });
    output.addViewer(viewer);
  }

  /** Ends the connection politely (shutdown packet); idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.transmit(this.deps.connection.close(this.deps.nowUs()));
    this.finish(reason);
  }

  kick(reason: string): void {
    if (this.closed) return;
    this.log.info('connection kicked', { reason, role: this.role });
    this.close(reason);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info('connection closed', { reason, role: this.role, bytesIn: this.bytesIn, bytesOut: this.bytesOut, undecryptable: this.deps.connection.stats.undecryptable, ...this.linkStats() });
    this.waiting?.abort();
    this.waiting = null;
    const publishing = this.publishing;
    if (publishing) {
      this.publishing = null;
      try {
        // what the demuxer still holds (the last frame of each track) goes in before the stream ends
        for (const tag of publishing.ingest.flush()) this.ingestTag(publishing.stream, tag.type, tag.timestampMs, tag.body);
      } catch (err) {
        if (!isProtocolError(err)) throw err;
      }
      this.deps.ctx.streams.unpublish(publishing.stream, publishing.handle);
      this.emitPublishStop(publishing.stream);
    }
    const playing = this.playing;
    if (playing) {
      this.playing = null;
      playing.output.removeViewer(playing.viewer);
      this.emitPlayStop(playing.output.stream);
    }
    this.deps.ctx.clients.unregister(this.client);
    this.deps.onClosed(this);
  }

  /** The link's own figures (RTT as the side that matters measures it: receiving as publisher, sending as viewer). */
  linkStats(): LinkStats {
    return srtLinkStats(this.deps.connection.stats, this.role === 'publisher' ? 'in' : 'out', this.sendRate.read(this.bytesOut, this.deps.nowUs()));
  }

  private fail(err: unknown): void {
    if (isProtocolError(err)) this.log.warn('protocol error, closing connection', { code: err.code, reason: err.message });
    else this.log.error('internal error, closing connection', { reason: (err as Error)?.message ?? String(err) });
    this.close('error');
  }

  private transmit(packets: readonly SrtPacket[]): void {
    if (packets.length === 0) return;
    const bytes = this.deps.send(packets);
    this.bytesOut += bytes;
    this.deps.ctx.counters.bytesOut += bytes;
    if (this.playing) this.playing.output.stream.counters.bytesOut += bytes;
  }

  private deliver(payloads: readonly Uint8Array[]): void {
    const publishing = this.publishing;
    if (!publishing || payloads.length === 0) return;
    try {
      for (const payload of payloads) {
        const out = publishing.ingest.push(payload);
        if (out.tracksChanged) this.onTracks(out.tracksChanged);
        for (const tag of out.tags) this.ingestTag(publishing.stream, tag.type, tag.timestampMs, tag.body);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private onTracks(tracks: readonly TsTrack[]): void {
    this.log.info('MPEG-TS tracks', { tracks: tracks.map((t) => `${t.codec}@${t.pid}`).join(',') || 'none' });
    const note = tracksNote(tracks);
    if (note !== undefined && !this.noted) {
      this.noted = true;
      this.log.info(note);
    }
  }

  private ingestTag(stream: LiveStream, type: 8 | 9, timestampMs: number, body: Uint8Array): void {
    stream.ingest({ type, timestampMs, body, ...classifyTag(type, body) });
  }

  /**
   * Hands shared TS bytes to this viewer's sender in 1316-byte views (no copy). A viewer whose
   * send buffer is past the soft bound, or whose sender had to drop packets, skips media up to
   * the next keyframe; past the hard bound, or behind for too long, it is cut. Control bytes
   * (PAT/PMT with sequence headers) are never skipped.
   */
  private sendTs(bytes: Uint8Array, randomAccess: boolean, control: boolean): void {
    if (this.closed || bytes.byteLength === 0) return;
    const connection = this.deps.connection;
    const nowUs = this.deps.nowUs();
    const { bufferedPackets: buffered, packetsDropped } = connection.stats.send;
    const chunks = Math.ceil(bytes.byteLength / SRT_TS_PAYLOAD_BYTES);
    if (packetsDropped > this.senderDropsSeen) {
      this.senderDropsSeen = packetsDropped;
      this.skipping = true;
      this.behindSinceUs ??= nowUs;
      this.lastSenderDropUs = nowUs;
    } else if (this.behindSinceUs !== null && nowUs - this.lastSenderDropUs > SrtViewerLimits.behindQuietUs) {
      this.behindSinceUs = null;
    }
    const behindTooLong = this.behindSinceUs !== null && nowUs - this.behindSinceUs > SrtViewerLimits.behindCutUs;
    if (buffered + chunks > SrtViewerLimits.hardPackets || behindTooLong) {
      this.log.warn('viewer dropped: too far behind', { bufferedPackets: buffered, senderDropped: packetsDropped, skippedPackets: this.droppedMedia });
      if (this.deps.ctx.counters.writers) this.deps.ctx.counters.writers.slowDisconnects++;
      return this.close('too slow');
    }
    if (!control) {
      if (this.skipping && !randomAccess) return this.countDrop(chunks);
      this.skipping = false;
      if (buffered + chunks > SrtViewerLimits.softPackets) {
        this.skipping = true;
        return this.countDrop(chunks);
      }
    }
    for (let at = 0; at < bytes.byteLength; at += SRT_TS_PAYLOAD_BYTES) {
      connection.write(bytes.subarray(at, Math.min(at + SRT_TS_PAYLOAD_BYTES, bytes.byteLength)), nowUs);
    }
    this.poll(nowUs);
    this.deps.wake(this);
  }

  private countDrop(chunks: number): void {
    this.droppedMedia += chunks;
    if (this.deps.ctx.counters.writers) this.deps.ctx.counters.writers.droppedMessages++;
  }

  private emitPublishStop(stream: LiveStream): void {
    this.log.info('publish stopped');
    this.deps.ctx.events.emit({ type: 'publish-stop', app: stream.app, stream: stream.name, clientId: this.id, atMs: Date.now() });
  }

  private emitPlayStop(stream: LiveStream): void {
    this.deps.ctx.events.emit({ type: 'play-stop', app: stream.app, stream: stream.name, clientId: this.id, atMs: Date.now() });
  }
}
