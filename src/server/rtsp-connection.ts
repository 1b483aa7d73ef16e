// One RTSP TCP connection at the edge (RFC 2326 §10): requests in order through RtspParser, answered through one
// ConnectionWriter. Play: DESCRIBE (after admission, waiting for a publisher like other protocols), SETUP per track
// over TCP interleaved or UDP unicast, PLAY/PAUSE, TEARDOWN. Publish: ANNOUNCE (SDP, admission), SETUP with
// mode=record, RECORD into the hub. GET_PARAMETER, SET_PARAMETER and OPTIONS keep a session alive.
import type { LiveStream, PublisherHandle } from '../hub/live-stream.ts';
import { nextAudioPacket, planStreamTracks, type RtpOutput, type RtpOutputs, type RtpTrackPlan } from '../outputs/rtp-output.ts';
import { parseSdp, encodeSdp } from '../rtsp/sdp.ts';
import { buildSdp } from '../rtsp/sdp-build.ts';
import { describeTracks, type RtpTrackDescription } from '../rtsp/sdp-tracks.ts';
import { RtspParser } from '../rtsp/rtsp-parser.ts';
import { encodeResponse } from '../rtsp/rtsp-encode.ts';
import { headerValue, RtspMethod, type RtspRequest } from '../rtsp/rtsp-message.ts';
import { encodePublic, encodeRtpInfo, encodeSession, parseCSeq, parseSession } from '../rtsp/rtsp-headers.ts';
import { encodeTransport, parseTransport, type TransportSpec } from '../rtsp/rtsp-transport.ts';
import { RtpTrackReceiver } from '../rtsp/rtp-track-receiver.ts';
import type { Logger } from '../shared/logger.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import type { RtspSettings } from '../shared/engine-config.ts';
import type { AddressSlots, SlotGrant } from './address-slots.ts';
import type { ClientEntry } from './client-registry.ts';
import { ConnectionWriter, type ByteSink } from './connection-writer.ts';
import { countRefusal, type EngineContext } from './engine-context.ts';
import { newPlayTrack, RtspPlayer, type PlayTrack, type PlayTransport } from './rtsp-player.ts';
import { RtspRecorder } from './rtsp-recorder.ts';
import type { RtspUdpPorts, UdpPair } from './rtsp-udp-ports.ts';
import { controlIndex, parseRtspTarget, type RtspTarget } from './rtsp-url.ts';

const PUBLIC_METHODS = [
  RtspMethod.Options, RtspMethod.Describe, RtspMethod.Announce, RtspMethod.Setup, RtspMethod.Play,
  RtspMethod.Pause, RtspMethod.Record, RtspMethod.Teardown, RtspMethod.GetParameter, RtspMethod.SetParameter,
];
const SERVER = 'Weir';
/** requests pipelined behind one that waits (admission, a publisher): a client needs a handful, not thousands */
const MAX_PENDING_REQUESTS = 16;
/**
 * A stream younger than this whose audio is not known yet (G.711 has no sequence header: its first frame tells)
 * may still have some: DESCRIBE waits for it until the stream is this old, so early viewers get both tracks.
 */
const AUDIO_DISCOVERY_MS = 1000;

/** An error answer: the status and a reason for the log and the client. */
class RtspRefusal extends Error {
  constructor(readonly status: number, reason: string) {
    super(reason);
  }
}

/** `afterSent`: runs once the answer is queued (PLAY: media must follow its 200) */
type Reply = { status?: number; headers?: Array<[string, string]>; body?: Uint8Array; afterSent?: () => void };

type Described = { target: RtspTarget; stream: LiveStream; plans: RtpTrackPlan[]; base: string };
type Announced = { target: RtspTarget; tracks: RtpTrackDescription[]; grant: SlotGrant };
type RecordTrack = { receiver: RtpTrackReceiver; channel?: number; pair?: UdpPair };

export type RtspConnectionDeps = Readonly<{
  ctx: EngineContext;
  settings: () => RtspSettings;
  outputs: RtpOutputs;
  udp: RtspUdpPorts;
  publishes: AddressSlots;
  onClose: () => void;
}>;

export class RtspConnection {
  readonly id: string;
  readonly startedAtMs: number;
  /** last request, RTCP or publisher RTP: the session timeout counts from here */
  lastHeardAtMs: number;
  bytesIn = 0;
  everStarted = false;
  private readonly writer: ConnectionWriter;
  private readonly parser = new RtspParser();
  private readonly log: Logger;
  private readonly client: ClientEntry;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private sessionId: string | null = null;
  private described: Described | null = null;
  private playTracks: PlayTrack[] = [];
  private playing: { output: RtpOutput; player: RtspPlayer } | null = null;
  private announced: Announced | null = null;
  private recordTracks: RecordTrack[] = [];
  private publishing: { stream: LiveStream; handle: PublisherHandle; recorder: RtspRecorder } | null = null;
  private readonly waits = new Set<AbortController>();
  private closed = false;
  /** play-start was reported and play-stop not yet (PAUSE keeps the viewer counted as one play) */
  private startedPlayEvent = false;

  constructor(
    private readonly deps: RtspConnectionDeps,
    sink: ByteSink,
    readonly remoteAddress: string,
    nowMs: number,
  ) {
    const ctx = deps.ctx;
    this.id = ctx.nextConnectionId();
    this.startedAtMs = nowMs;
    this.lastHeardAtMs = nowMs;
    this.log = ctx.logger.child({ conn: this.id, peer: remoteAddress, protocol: 'rtsp' });
    this.writer = new ConnectionWriter(
      sink,
      ctx.config().viewers,
      (reason) => {
        this.log.warn('connection dropped', { reason });
        this.close();
      },
      (bytes) => {
        ctx.counters.bytesOut += bytes;
        if (this.playing) this.playing.output.stream.counters.bytesOut += bytes;
      },
      ctx.counters.writers,
    );
    this.client = {
      id: this.id,
      protocol: 'rtsp',
      address: remoteAddress,
      connectedAtMs: nowMs,
      role: () => (this.publishing ? 'publisher' : this.playing ? 'viewer' : 'idle'),
      app: () => this.publishing?.stream.app ?? this.described?.target.app ?? this.announced?.target.app ?? null,
      stream: () => this.publishing?.stream.name ?? this.playing?.output.stream.name ?? null,
      bytesIn: () => this.bytesIn,
      bytesOut: () => this.writer.stats.bytesWritten,
      kick: (reason) => this.kick(reason),
    };
    ctx.clients.register(this.client);
  }

  get role(): 'publisher' | 'player' | 'idle' {
    return this.publishing ? 'publisher' : this.playing ? 'player' : 'idle';
  }

  /** Playing or publishing over UDP, where the TCP connection alone does not show the peer is there. */
  get usesUdp(): boolean {
    return this.playTracks.some((t) => t.transport.kind === 'udp') || this.recordTracks.some((t) => t.pair !== undefined);
  }

  /** A request is being answered (admission, or waiting for a publisher: those have their own bounds). */
  get busy(): boolean {
    return this.pending > 0;
  }

  receive(bytes: Uint8Array, nowMs: number): void {
    if (this.closed) return;
    this.bytesIn += bytes.byteLength;
    this.deps.ctx.counters.bytesIn += bytes.byteLength;
    let messages;
    try {
      messages = this.parser.push(bytes);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const message of messages) {
      if (message.kind === 'interleaved') {
        this.onInterleaved(message.channel, message.payload, nowMs);
      } else if (message.kind === 'request') {
        this.lastHeardAtMs = nowMs;
        if (this.pending >= MAX_PENDING_REQUESTS) {
          this.log.warn('too many requests waiting for an answer, closing connection', { max: MAX_PENDING_REQUESTS });
          this.drop();
          return;
        }
        this.pending++;
        this.chain = this.chain.then(() => this.answer(message)).finally(() => this.pending--);
      }
      // responses (to requests we never send) are ignored
    }
  }

  drain(): void {
    this.writer.resume();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const wait of this.waits) wait.abort();
    this.stopPlaying();
    this.emitPlayStop();
    this.stopPublishing();
    this.releaseTracks();
    this.announced?.grant.release();
    this.announced = null;
    this.writer.close();
    this.deps.ctx.clients.unregister(this.client);
    this.deps.onClose();
  }

  kick(reason: string): void {
    if (this.closed) return;
    this.log.info('connection kicked', { reason, role: this.role });
    this.drop();
  }

  drop(): void {
    if (this.closed) return;
    this.writer.abort();
    this.close();
  }

  private fail(err: unknown): void {
    if (isProtocolError(err)) this.log.warn('protocol error, closing connection', { code: err.code, reason: err.message });
    else this.log.error('internal error, closing connection', { reason: (err as Error)?.message ?? String(err) });
    this.close();
  }

  private onInterleaved(channel: number, payload: Uint8Array, nowMs: number): void {
    const publishing = this.publishing;
    if (!publishing) return; // RTCP receiver reports of a TCP viewer: nothing to act on
    const track = this.recordTracks.find((t) => t.channel === channel);
    if (!track) return;
    this.lastHeardAtMs = nowMs;
    publishing.recorder.push(track.receiver, payload);
  }

  private async answer(req: RtspRequest): Promise<void> {
    if (this.closed) return;
    let cseq: number | undefined;
    let reply: Reply;
    try {
      cseq = parseCSeq(req.headers);
      reply = await this.dispatch(req);
    } catch (err) {
      if (err instanceof RtspRefusal) {
        this.log.info('request refused', { method: req.method, status: err.status, reason: err.message });
        reply = { status: err.status, headers: [['Content-Type', 'text/plain']], body: new TextEncoder().encode(`${err.message}\n`) };
      } else if (isProtocolError(err)) {
        this.log.info('bad request', { method: req.method, reason: err.message });
        reply = { status: 400, headers: [['Content-Type', 'text/plain']], body: new TextEncoder().encode(`${err.message}\n`) };
      } else {
        this.fail(err);
        return;
      }
    }
    if (this.closed) return;
    const headers: Array<[string, string]> = [];
    if (cseq !== undefined) headers.push(['CSeq', String(cseq)]);
    headers.push(['Server', SERVER]);
    if (this.sessionId !== null && !reply.headers?.some(([n]) => n === 'Session') && headerValue(req.headers, 'session') !== undefined) {
      headers.push(['Session', this.sessionHeader()]);
    }
    headers.push(...(reply.headers ?? []));
    this.writer.writeControl(encodeResponse({ status: reply.status ?? 200, headers, ...(reply.body ? { body: reply.body } : {}) }));
    reply.afterSent?.();
  }

  private dispatch(req: RtspRequest): Promise<Reply> | Reply {
    if (req.version !== 'RTSP/1.0') throw new RtspRefusal(505, 'only RTSP/1.0 is served');
    switch (req.method) {
      case RtspMethod.Options:
        return { headers: [['Public', encodePublic(PUBLIC_METHODS)]] };
      case RtspMethod.Describe:
        return this.describe(req);
      case RtspMethod.Announce:
        return this.announce(req);
      case RtspMethod.Setup:
        return this.setup(req);
      case RtspMethod.Play:
        return this.play(req);
      case RtspMethod.Pause:
        this.checkSession(req);
        this.stopPlaying();
        return {};
      case RtspMethod.Record:
        return this.record(req);
      case RtspMethod.Teardown:
        this.checkSession(req);
        return this.teardown();
      case RtspMethod.GetParameter:
      case RtspMethod.SetParameter:
        if (headerValue(req.headers, 'session') !== undefined) this.checkSession(req);
        return {};
      default:
        throw new RtspRefusal(501, `method ${req.method} is not served`);
    }
  }

  private target(uri: string): RtspTarget {
    const t = parseRtspTarget(uri);
    if ('error' in t) throw new RtspRefusal(404, t.error);
    return t;
  }

  private checkSession(req: RtspRequest): void {
    const value = headerValue(req.headers, 'session');
    if (value === undefined || this.sessionId === null || parseSession(value).id !== this.sessionId) {
      throw new RtspRefusal(454, 'no such session on this connection');
    }
  }

  private sessionHeader(): string {
    return encodeSession({ id: this.sessionId!, timeoutSec: Math.round(this.deps.settings().sessionTimeoutMs / 1000) });
  }

  private async describe(req: RtspRequest): Promise<Reply> {
    if (this.publishing || this.announced || this.playing) throw new RtspRefusal(455, 'connection is already busy');
    const target = this.target(req.uri);
    const ctx = this.deps.ctx;
    const decision = await ctx.admission.decide({
      action: 'play', protocol: 'rtsp', app: target.app, stream: target.stream, query: target.query,
      clientAddress: this.remoteAddress, clientId: this.id,
    });
    if (!decision.allow) throw new RtspRefusal(403, decision.reason);
    const wait = new AbortController();
    this.waits.add(wait);
    let stream: LiveStream | null;
    try {
      stream = await ctx.streams.waitUntilLive(target.app, target.stream, wait.signal);
    } finally {
      this.waits.delete(wait);
    }
    if (this.closed) return {};
    if (!stream) throw new RtspRefusal(404, `no stream '${target.app}/${target.stream}' is live`);
    let plans = planStreamTracks(stream);
    const ageMs = Date.now() - stream.publishedAtMs;
    if (!plans.some((p) => p.kind === 'audio') && ageMs < AUDIO_DISCOVERY_MS) {
      const audio = await nextAudioPacket(stream, AUDIO_DISCOVERY_MS - ageMs);
      if (this.closed) return {};
      if (audio) plans = planStreamTracks(stream, audio);
    }
    if (plans.length === 0) throw new RtspRefusal(415, `stream '${stream.path}' has no track RTP can carry`);
    const base = req.uri.endsWith('/') ? req.uri : `${req.uri}/`;
    this.described = { target, stream, plans, base };
    const host = /^[0-9.]+$/.test(new URL(req.uri).hostname) ? new URL(req.uri).hostname : '127.0.0.1';
    const sdp = buildSdp(
      plans.map((p) => p.plan),
      { sessionName: stream.path, sessionId: String(randomUint32()), originAddress: host },
    );
    return { headers: [['Content-Type', 'application/sdp'], ['Content-Base', base]], body: new TextEncoder().encode(encodeSdp(sdp)) };
  }

  private async announce(req: RtspRequest): Promise<Reply> {
    if (this.publishing || this.announced || this.described) throw new RtspRefusal(455, 'connection is already busy');
    const target = this.target(req.uri);
    const type = headerValue(req.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/sdp') throw new RtspRefusal(415, 'ANNOUNCE needs an application/sdp body');
    const { tracks, skipped } = describeTracks(parseSdp(new TextDecoder().decode(req.body)), req.uri);
    const kept: RtpTrackDescription[] = [];
    for (const t of tracks) if (!kept.some((k) => k.kind === t.kind)) kept.push(t); // the hub carries one video and one audio
    if (kept.length === 0) throw new RtspRefusal(415, `no track this server can take (${skipped.map((s) => s.reason).join('; ') || 'none'})`);
    const ctx = this.deps.ctx;
    const grant = this.deps.publishes.acquire(this.remoteAddress);
    if (!grant.ok) {
      countRefusal(ctx.counters, 'rtsp.maxPublishesPerAddress');
      throw new RtspRefusal(453, `too many streams published from this address (at most ${grant.max})`);
    }
    let decision;
    try {
      decision = await ctx.admission.decide({
        action: 'publish', protocol: 'rtsp', app: target.app, stream: target.stream, query: target.query,
        clientAddress: this.remoteAddress, clientId: this.id,
      });
    } catch (err) {
      grant.release();
      throw err;
    }
    if (!decision.allow || this.closed) {
      grant.release();
      throw new RtspRefusal(403, decision.allow ? 'connection closed' : decision.reason);
    }
    this.announced = { target, tracks: kept, grant };
    return {};
  }

  private async setup(req: RtspRequest): Promise<Reply> {
    const transportHeader = headerValue(req.headers, 'transport');
    if (transportHeader === undefined) throw new RtspRefusal(400, 'SETUP without Transport');
    if (this.sessionId !== null && headerValue(req.headers, 'session') !== undefined) this.checkSession(req);
    const specs = parseTransport(transportHeader);
    if (this.announced) return this.setupRecord(req, specs);
    if (this.described) return this.setupPlay(req, specs);
    throw new RtspRefusal(455, 'SETUP before DESCRIBE or ANNOUNCE');
  }

  private async setupPlay(req: RtspRequest, specs: TransportSpec[]): Promise<Reply> {
    const d = this.described!;
    if (this.playing) throw new RtspRefusal(455, 'SETUP while playing');
    const index = controlIndex(req.uri, d.plans.map((p) => d.base + p.control));
    if (index < 0) throw new RtspRefusal(404, 'no such track');
    const plan = d.plans[index]!;
    if (this.playTracks.some((t) => t.control === plan.control)) throw new RtspRefusal(459, 'track already set up');
    const spec = specs.find((s) => s.mode !== 'record' && (s.lower === 'tcp' || (s.delivery !== 'multicast' && s.clientPort)));
    if (!spec) throw new RtspRefusal(461, 'only RTP/AVP/TCP interleaved and RTP/AVP unicast UDP are served');
    let transport: PlayTransport;
    let answer: TransportSpec;
    if (spec.lower === 'tcp') {
      const channels = spec.interleaved ?? [index * 2, index * 2 + 1];
      transport = { kind: 'tcp', rtpChannel: channels[0], rtcpChannel: channels[1] };
      answer = { profile: 'RTP/AVP/TCP', lower: 'tcp', delivery: 'unicast', interleaved: channels };
    } else {
      const clientPort = spec.clientPort!;
      const pair = await this.allocateUdp(() => {});
      transport = { kind: 'udp', pair, address: this.remoteAddress, rtpPort: clientPort[0], rtcpPort: clientPort[1] };
      answer = { profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort, serverPort: [pair.rtpPort, pair.rtcpPort] };
    }
    const track = newPlayTrack(
      { kind: plan.kind, codec: plan.plan.track.codec, control: plan.control, payloadType: plan.plan.payloadType, clockRate: plan.plan.clockRate, transport },
      randomUint32,
    );
    this.playTracks.push(track);
    this.sessionId ??= randomSessionId();
    return { headers: [['Transport', encodeTransport({ ...answer, ssrc: track.ssrc })], ['Session', this.sessionHeader()]] };
  }

  private async setupRecord(req: RtspRequest, specs: TransportSpec[]): Promise<Reply> {
    const a = this.announced!;
    if (this.publishing) throw new RtspRefusal(455, 'SETUP while recording');
    const index = controlIndex(req.uri, a.tracks.map((t) => t.control));
    if (index < 0) throw new RtspRefusal(404, 'no such track (or a second video or audio track, which is not taken)');
    const description = a.tracks[index]!;
    if (this.recordTracks.some((t) => t.receiver.description === description)) throw new RtspRefusal(459, 'track already set up');
    const spec = specs.find((s) => s.lower === 'tcp' || (s.delivery !== 'multicast' && s.clientPort));
    if (!spec) throw new RtspRefusal(461, 'only RTP/AVP/TCP interleaved and RTP/AVP unicast UDP are served');
    const receiver = new RtpTrackReceiver(description, description.kind === 'video' ? 1 : 2);
    let answer: TransportSpec;
    if (spec.lower === 'tcp') {
      const channels = spec.interleaved ?? [index * 2, index * 2 + 1];
      if (this.recordTracks.some((t) => t.channel === channels[0])) throw new RtspRefusal(461, 'interleaved channel already in use');
      this.recordTracks.push({ receiver, channel: channels[0] });
      answer = { profile: 'RTP/AVP/TCP', lower: 'tcp', delivery: 'unicast', interleaved: channels, mode: 'record' };
    } else {
      const pair = await this.allocateUdp((data, _port, address) => {
        if (address !== this.remoteAddress && !sameHost(address, this.remoteAddress)) return; // only the publisher's own datagrams
        this.lastHeardAtMs = Date.now();
        if (this.publishing) this.publishing.recorder.push(receiver, data);
      });
      this.recordTracks.push({ receiver, pair });
      answer = { profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort: spec.clientPort!, serverPort: [pair.rtpPort, pair.rtcpPort], mode: 'record' };
    }
    this.sessionId ??= randomSessionId();
    return { headers: [['Transport', encodeTransport(answer)], ['Session', this.sessionHeader()]] };
  }

  private async allocateUdp(onRtp: (data: Uint8Array, port: number, address: string) => void): Promise<UdpPair> {
    const pair = await this.deps.udp.allocate(onRtp, (_data, _port, address) => {
      if (sameHost(address, this.remoteAddress)) this.lastHeardAtMs = Date.now(); // receiver reports keep the session
    });
    if (!pair) throw new RtspRefusal(453, 'no free UDP port pair; use TCP');
    if (this.closed) {
      pair.close();
      throw new RtspRefusal(503, 'connection closed');
    }
    return pair;
  }

  private play(req: RtspRequest): Reply {
    this.checkSession(req);
    const d = this.described;
    if (!d || this.playTracks.length === 0) throw new RtspRefusal(455, 'PLAY before SETUP');
    if (this.playing) return { headers: [['Session', this.sessionHeader()]] };
    const live = this.deps.ctx.streams.find(d.target.app, d.target.stream);
    if (live !== d.stream || !d.stream.publisher) throw new RtspRefusal(404, `stream '${d.stream.path}' is no longer live`);
    const output = this.deps.outputs.obtain(d.stream);
    const player = new RtspPlayer(this.playTracks, this.writer, Date.now, () => this.onStreamEnd());
    this.playing = { output, player };
    const rtpInfo = encodeRtpInfo(this.playTracks.map((t) => ({ url: d.base + t.control, seq: t.stamper.nextSequence })));
    return { headers: [['Range', 'npt=0.000-'], ['RTP-Info', rtpInfo], ['Session', this.sessionHeader()]], afterSent: () => this.attachPlayer() };
  }

  private attachPlayer(): void {
    const playing = this.playing;
    if (!playing || this.closed) return;
    const stream = playing.output.stream;
    if (!this.startedPlayEvent) {
      this.startedPlayEvent = true;
      this.log.info('play started', { stream: stream.path, transport: this.playTracks[0]?.transport.kind });
      this.deps.ctx.events.emit({
        type: 'play-start', app: stream.app, stream: stream.name, clientId: this.id, protocol: 'rtsp', clientAddress: this.remoteAddress, atMs: Date.now(),
      });
    }
    this.everStarted = true;
    playing.output.addViewer(playing.player);
  }

  private onStreamEnd(): void {
    if (!this.playing) return;
    this.playing = null;
    this.emitPlayStop();
    this.writer.endGracefully();
  }

  private stopPlaying(): void {
    const playing = this.playing;
    if (!playing) return;
    this.playing = null;
    playing.output.removeViewer(playing.player);
  }

  private emitPlayStop(): void {
    const d = this.described;
    if (!d || !this.startedPlayEvent) return;
    this.startedPlayEvent = false;
    this.deps.ctx.events.emit({ type: 'play-stop', app: d.stream.app, stream: d.stream.name, clientId: this.id, atMs: Date.now() });
  }

  private record(req: RtspRequest): Reply {
    this.checkSession(req);
    const a = this.announced;
    if (!a || this.recordTracks.length === 0) throw new RtspRefusal(455, 'RECORD before SETUP');
    if (this.publishing) return {};
    const { app, stream: name } = a.target;
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
    const result = this.deps.ctx.streams.publish(app, name, handle);
    if (!result.ok) throw new RtspRefusal(455, 'stream is already being published');
    const recorder = new RtspRecorder(result.stream);
    for (const t of this.recordTracks) recorder.announce(t.receiver);
    this.publishing = { stream: result.stream, handle, recorder };
    this.everStarted = true;
    this.log.info('publish started', { stream: result.stream.path, tracks: a.tracks.map((t) => t.params.codec).join(',') });
    this.deps.ctx.events.emit({ type: 'publish-start', app, stream: name, clientId: this.id, clientAddress: this.remoteAddress, atMs: Date.now() });
    return { headers: [['Session', this.sessionHeader()]] };
  }

  private stopPublishing(): void {
    const publishing = this.publishing;
    if (!publishing) return;
    this.publishing = null;
    this.log.info('publish stopped', { stream: publishing.stream.path, ...publishing.recorder.stats });
    this.deps.ctx.streams.unpublish(publishing.stream, publishing.handle);
    this.emitPublishStop(publishing.stream.app, publishing.stream.name);
  }

  private emitPublishStop(app: string, stream: string): void {
    this.deps.ctx.events.emit({ type: 'publish-stop', app, stream, clientId: this.id, atMs: Date.now() });
  }

  private teardown(): Reply {
    const headers: Array<[string, string]> = [['Session', this.sessionHeader()]];
    this.stopPlaying();
    this.emitPlayStop();
    this.stopPublishing();
    this.releaseTracks();
    this.announced?.grant.release();
    this.announced = null;
    this.described = null;
    this.sessionId = null;
    return { headers };
  }

  private releaseTracks(): void {
    for (const t of this.playTracks) if (t.transport.kind === 'udp') t.transport.pair.close();
    for (const t of this.recordTracks) t.pair?.close();
    this.playTracks = [];
    this.recordTracks = [];
  }
}

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

function randomSessionId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex');
}

/** IPv4 peers may be reported IPv4-mapped by a dual-stack socket and plain by another. */
function sameHost(a: string, b: string): boolean {
  const plain = (s: string) => s.replace(/^::ffff:/i, '');
  return plain(a) === plain(b);
}
