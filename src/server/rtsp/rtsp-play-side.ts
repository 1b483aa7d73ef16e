// The play half of an RTSP connection (RFC 2326 §10.2 DESCRIBE, §10.4 SETUP, §10.5 PLAY, §10.6 PAUSE): admission and
// waiting for a publisher, the SDP of the stream's tracks, a transport per track (TCP interleaved or UDP unicast to
// the peer's own address, never a `destination=` elsewhere), and the viewer on the stream's shared RTP output.
import type { LiveStream } from '../../hub/live-stream.ts';
import { nextAudioPacket, planStreamTracks, type RtpOutput, type RtpOutputs, type RtpTrackPlan } from '../../outputs/rtp-output.ts';
import { encodeRtpInfo } from '../../rtsp/rtsp-headers.ts';
import { headerValue, type RtspRequest } from '../../rtsp/rtsp-message.ts';
import { encodeTransport, type TransportSpec } from '../../rtsp/rtsp-transport.ts';
import { buildSdp } from '../../rtsp/sdp-build.ts';
import { encodeSdp } from '../../rtsp/sdp.ts';
import { admissionQuery, refusal } from './rtsp-credentials.ts';
import { newPlayTrack, RtspViewer, type PlayTrack, type PlayTransport } from './rtsp-viewer.ts';
import { randomUint32, RtspRefusal, targetOf, type Reply, type RtspScope } from './rtsp-scope.ts';
import { controlIndex, type RtspTarget } from './rtsp-url.ts';

/**
 * A stream younger than this whose audio is not known yet (G.711 has no sequence header: its first frame tells)
 * may still have some: DESCRIBE waits for it until the stream is this old, so early viewers get both tracks.
 */
const AUDIO_DISCOVERY_MS = 1000;

type Described = { target: RtspTarget; stream: LiveStream; plans: RtpTrackPlan[]; base: string };

export class RtspPlaySide {
  private described: Described | null = null;
  private tracks: PlayTrack[] = [];
  private playing: { output: RtpOutput; viewer: RtspViewer } | null = null;
  private readonly waits = new Set<AbortController>();
  /** play-start was reported and play-stop not yet (PAUSE keeps the viewer counted as one play) */
  private reported = false;
  /** media sent as UDP datagrams, which the connection's writer does not see */
  udpBytesOut = 0;

  constructor(
    private readonly scope: RtspScope,
    private readonly outputs: RtpOutputs,
  ) {}

  get engaged(): boolean {
    return this.described !== null;
  }

  get isPlaying(): boolean {
    return this.playing !== null;
  }

  get app(): string | null {
    return this.described?.target.app ?? null;
  }

  get stream(): LiveStream | null {
    return this.playing?.output.stream ?? null;
  }

  get usesUdp(): boolean {
    return this.tracks.some((t) => t.transport.kind === 'udp');
  }

  async describe(req: RtspRequest): Promise<Reply> {
    if (this.playing) throw new RtspRefusal(455, 'connection is already busy');
    const target = targetOf(req.uri);
    const { ctx, remoteAddress, id } = this.scope;
    const query = admissionQuery(target.query, headerValue(req.headers, 'authorization'), { method: req.method, nonces: this.scope.nonces });
    const decision = await ctx.admission.decide({
      action: 'play', protocol: 'rtsp', app: target.app, stream: target.stream, query, clientAddress: remoteAddress, clientId: id,
    });
    if (!decision.allow) throw refusal(decision, this.scope.nonces);
    const wait = new AbortController();
    this.waits.add(wait);
    let stream: LiveStream | null;
    try {
      stream = await ctx.streams.waitUntilLive(target.app, target.stream, wait.signal);
    } finally {
      this.waits.delete(wait);
    }
    if (this.scope.isClosed()) return {};
    if (!stream) throw new RtspRefusal(404, `no stream '${target.app}/${target.stream}' is live`);
    let plans = planStreamTracks(stream);
    const ageMs = Date.now() - stream.publishedAtMs;
    if (!plans.some((p) => p.kind === 'audio') && ageMs < AUDIO_DISCOVERY_MS) {
      const audio = await nextAudioPacket(stream, AUDIO_DISCOVERY_MS - ageMs);
      if (this.scope.isClosed()) return {};
      if (audio) plans = planStreamTracks(stream, audio);
    }
    if (plans.length === 0) throw new RtspRefusal(415, `stream '${stream.path}' has no track RTP can carry`);
    this.releaseTracks(); // a second DESCRIBE starts over
    const base = req.uri.endsWith('/') ? req.uri : `${req.uri}/`;
    this.described = { target, stream, plans, base };
    const hostname = new URL(req.uri).hostname;
    const sdp = buildSdp(
      plans.map((p) => p.plan),
      { sessionName: stream.path, sessionId: String(randomUint32()), originAddress: /^[0-9.]+$/.test(hostname) ? hostname : '127.0.0.1' },
    );
    return { headers: [['Content-Type', 'application/sdp'], ['Content-Base', base]], body: new TextEncoder().encode(encodeSdp(sdp)) };
  }

  async setup(req: RtspRequest, specs: readonly TransportSpec[]): Promise<Reply> {
    const d = this.described!;
    if (this.playing) throw new RtspRefusal(455, 'SETUP while playing');
    const index = controlIndex(req.uri, d.plans.map((p) => d.base + p.control));
    if (index < 0) throw new RtspRefusal(404, 'no such track');
    const plan = d.plans[index]!;
    if (this.tracks.some((t) => t.control === plan.control)) throw new RtspRefusal(459, 'track already set up');
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
      const pair = await this.scope.allocateUdp(() => {});
      transport = { kind: 'udp', pair, address: this.scope.remoteAddress, rtpPort: clientPort[0], rtcpPort: clientPort[1] };
      answer = { profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort, serverPort: [pair.rtpPort, pair.rtcpPort] };
    }
    const track = newPlayTrack(
      { kind: plan.kind, codec: plan.plan.track.codec, control: plan.control, payloadType: plan.plan.payloadType, clockRate: plan.plan.clockRate, transport },
      randomUint32,
    );
    this.tracks.push(track);
    return { headers: [['Transport', encodeTransport({ ...answer, ssrc: track.ssrc })], ['Session', this.scope.sessionHeader()]] };
  }

  play(): Reply {
    const d = this.described;
    if (!d || this.tracks.length === 0) throw new RtspRefusal(455, 'PLAY before SETUP');
    if (this.playing) return { headers: [['Session', this.scope.sessionHeader()]] };
    const live = this.scope.ctx.streams.find(d.target.app, d.target.stream);
    if (live !== d.stream || !d.stream.publisher) throw new RtspRefusal(404, `stream '${d.stream.path}' is no longer live`);
    const output = this.outputs.obtain(d.stream);
    const stream = d.stream;
    const viewer = new RtspViewer(this.tracks, this.scope.writer, Date.now, () => this.onStreamEnd(), (bytes) => {
      this.udpBytesOut += bytes;
      this.scope.ctx.counters.bytesOut += bytes;
      stream.counters.bytesOut += bytes;
    });
    this.playing = { output, viewer };
    const rtpInfo = encodeRtpInfo(this.tracks.map((t) => ({ url: d.base + t.control, seq: t.stamper.nextSequence })));
    // the viewer joins once the 200 is queued: the GOP must follow it on the wire
    return { headers: [['Range', 'npt=0.000-'], ['RTP-Info', rtpInfo], ['Session', this.scope.sessionHeader()]], afterSent: () => this.attach() };
  }

  pause(): void {
    const playing = this.playing;
    if (!playing) return;
    this.playing = null;
    playing.output.removeViewer(playing.viewer);
  }

  /** TEARDOWN, or the connection ends: the viewer leaves and its UDP ports close. */
  end(): void {
    for (const wait of this.waits) wait.abort();
    this.pause();
    this.reportStop();
    this.releaseTracks();
    this.described = null;
  }

  private attach(): void {
    const playing = this.playing;
    if (!playing || this.scope.isClosed()) return;
    const stream = playing.output.stream;
    if (!this.reported) {
      this.reported = true;
      this.scope.log.info('play started', { stream: stream.path, transport: this.tracks[0]?.transport.kind });
      this.scope.ctx.events.emit({
        type: 'play-start', app: stream.app, stream: stream.name, clientId: this.scope.id, protocol: 'rtsp', clientAddress: this.scope.remoteAddress, atMs: Date.now(),
      });
    }
    this.scope.started();
    playing.output.addViewer(playing.viewer);
  }

  private onStreamEnd(): void {
    if (!this.playing) return;
    this.playing = null;
    this.reportStop();
    this.scope.endGracefully();
  }

  private reportStop(): void {
    const d = this.described;
    if (!d || !this.reported) return;
    this.reported = false;
    this.scope.ctx.events.emit({ type: 'play-stop', app: d.stream.app, stream: d.stream.name, clientId: this.scope.id, atMs: Date.now() });
  }

  private releaseTracks(): void {
    for (const t of this.tracks) if (t.transport.kind === 'udp') t.transport.pair.close();
    this.tracks = [];
  }
}
