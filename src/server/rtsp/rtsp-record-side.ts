// The publish half of an RTSP connection (RFC 2326 §10.3 ANNOUNCE, §10.4 SETUP with mode=record, §10.11 RECORD):
// the SDP's tracks (one video and one audio, as the hub carries), admission and the per-address publish cap at
// ANNOUNCE, a receiver per set-up track, and the hub publish at RECORD, with the same takeover and kick as RTMP.
import type { LiveStream, PublisherHandle } from '../../hub/live-stream.ts';
import { headerValue, type RtspRequest } from '../../rtsp/rtsp-message.ts';
import { RtpTrackReceiver } from '../../rtsp/rtp-track-receiver.ts';
import { encodeTransport, type TransportSpec } from '../../rtsp/rtsp-transport.ts';
import { describeTracks, type RtpTrackDescription } from '../../rtsp/sdp-tracks.ts';
import { parseSdp } from '../../rtsp/sdp.ts';
import type { AddressSlots, SlotGrant } from '../address-slots.ts';
import { countRefusal } from '../engine-context.ts';
import { admissionQuery, refusal } from './rtsp-credentials.ts';
import { RtspRecorder } from './rtsp-recorder.ts';
import { RtspRefusal, sameHost, targetOf, type Reply, type RtspScope } from './rtsp-scope.ts';
import type { UdpPair } from './rtsp-udp-ports.ts';
import { controlIndex, type RtspTarget } from './rtsp-url.ts';

type Announced = { target: RtspTarget; tracks: RtpTrackDescription[]; grant: SlotGrant };
type RecordTrack = { receiver: RtpTrackReceiver; channel?: number; rtcpChannel?: number; pair?: UdpPair };

export class RtspRecordSide {
  private announced: Announced | null = null;
  private tracks: RecordTrack[] = [];
  private publishing: { stream: LiveStream; handle: PublisherHandle; recorder: RtspRecorder } | null = null;

  constructor(
    private readonly scope: RtspScope,
    private readonly publishes: AddressSlots,
  ) {}

  get engaged(): boolean {
    return this.announced !== null;
  }

  get app(): string | null {
    return this.announced?.target.app ?? null;
  }

  get stream(): LiveStream | null {
    return this.publishing?.stream ?? null;
  }

  get usesUdp(): boolean {
    return this.tracks.some((t) => t.pair !== undefined);
  }

  async announce(req: RtspRequest): Promise<Reply> {
    const target = targetOf(req.uri);
    const type = headerValue(req.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/sdp') throw new RtspRefusal(415, 'ANNOUNCE needs an application/sdp body');
    const { tracks, skipped } = describeTracks(parseSdp(new TextDecoder().decode(req.body)), req.uri);
    const kept: RtpTrackDescription[] = [];
    for (const t of tracks) if (!kept.some((k) => k.kind === t.kind)) kept.push(t);
    if (kept.length === 0) throw new RtspRefusal(415, `no track this server can take (${skipped.map((s) => s.reason).join('; ') || 'none'})`);
    const { ctx, remoteAddress, id } = this.scope;
    const grant = this.publishes.acquire(remoteAddress);
    if (!grant.ok) {
      countRefusal(ctx.counters, 'rtsp.maxPublishesPerAddress');
      throw new RtspRefusal(453, `too many streams published from this address (at most ${grant.max})`);
    }
    let decision;
    try {
      const query = admissionQuery(target.query, headerValue(req.headers, 'authorization'), { method: req.method, nonces: this.scope.nonces });
      decision = await ctx.admission.decide({
        action: 'publish', protocol: 'rtsp', app: target.app, stream: target.stream, query, clientAddress: remoteAddress, clientId: id,
      });
    } catch (err) {
      grant.release();
      throw err;
    }
    if (!decision.allow || this.scope.isClosed()) {
      grant.release();
      throw decision.allow ? new RtspRefusal(403, 'connection closed') : refusal(decision, this.scope.nonces);
    }
    this.announced = { target, tracks: kept, grant };
    return {};
  }

  async setup(req: RtspRequest, specs: readonly TransportSpec[]): Promise<Reply> {
    const a = this.announced!;
    if (this.publishing) throw new RtspRefusal(455, 'SETUP while recording');
    const index = controlIndex(req.uri, a.tracks.map((t) => t.control));
    if (index < 0) throw new RtspRefusal(404, 'no such track (or a second video or audio track, which is not taken)');
    const description = a.tracks[index]!;
    if (this.tracks.some((t) => t.receiver.description === description)) throw new RtspRefusal(459, 'track already set up');
    const spec = specs.find((s) => s.lower === 'tcp' || (s.delivery !== 'multicast' && s.clientPort));
    if (!spec) throw new RtspRefusal(461, 'only RTP/AVP/TCP interleaved and RTP/AVP unicast UDP are served');
    const receiver = new RtpTrackReceiver(description, description.kind === 'video' ? 1 : 2);
    let answer: TransportSpec;
    if (spec.lower === 'tcp') {
      const channels = spec.interleaved ?? [index * 2, index * 2 + 1];
      if (this.tracks.some((t) => t.channel === channels[0])) throw new RtspRefusal(461, 'interleaved channel already in use');
      this.tracks.push({ receiver, channel: channels[0], rtcpChannel: channels[1] });
      answer = { profile: 'RTP/AVP/TCP', lower: 'tcp', delivery: 'unicast', interleaved: channels, mode: 'record' };
    } else {
      // only the publisher's own datagrams; its sender reports come on the RTCP port
      const fromPublisher = (data: Uint8Array, _port: number, address: string) => {
        if (!sameHost(address, this.scope.remoteAddress)) return;
        this.scope.heard(data.byteLength);
        if (this.publishing) this.publishing.recorder.push(receiver, data);
      };
      const pair = await this.scope.allocateUdp(fromPublisher, fromPublisher);
      this.tracks.push({ receiver, pair });
      answer = { profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort: spec.clientPort!, serverPort: [pair.rtpPort, pair.rtcpPort], mode: 'record' };
    }
    return { headers: [['Transport', encodeTransport(answer)], ['Session', this.scope.sessionHeader()]] };
  }

  record(): Reply {
    const a = this.announced;
    if (!a || this.tracks.length === 0) throw new RtspRefusal(455, 'RECORD before SETUP');
    if (this.publishing) return { headers: [['Session', this.scope.sessionHeader()]] };
    const { ctx, log, id, remoteAddress } = this.scope;
    const { app, stream: name } = a.target;
    const handle: PublisherHandle = {
      id,
      kick: (reason) => {
        log.info('publisher kicked', { stream: `${app}/${name}`, reason });
        if (this.publishing?.handle === handle) {
          this.publishing = null;
          this.reportStop(app, name);
        }
        this.scope.kick(reason);
      },
    };
    const result = ctx.streams.publish(app, name, handle);
    if (!result.ok) throw new RtspRefusal(455, 'stream is already being published');
    const recorder = new RtspRecorder(result.stream);
    for (const t of this.tracks) recorder.announce(t.receiver);
    this.publishing = { stream: result.stream, handle, recorder };
    this.scope.started();
    log.info('publish started', { stream: result.stream.path, tracks: a.tracks.map((t) => t.params.codec).join(',') });
    ctx.events.emit({ type: 'publish-start', app, stream: name, clientId: id, clientAddress: remoteAddress, atMs: Date.now() });
    return { headers: [['Session', this.scope.sessionHeader()]] };
  }

  /** An interleaved frame: RTP of a set-up track while recording (RTCP and anything else is ignored). */
  onInterleaved(channel: number, payload: Uint8Array): boolean {
    const publishing = this.publishing;
    if (!publishing) return false;
    const track = this.tracks.find((t) => t.channel === channel || t.rtcpChannel === channel);
    if (!track) return false;
    publishing.recorder.push(track.receiver, payload);
    return true;
  }

  /** TEARDOWN, or the connection ends: the publish stops, the publish slot and UDP ports are given back. */
  end(): void {
    const publishing = this.publishing;
    if (publishing) {
      this.publishing = null;
      this.scope.log.info('publish stopped', { stream: publishing.stream.path, ...publishing.recorder.stats });
      this.scope.ctx.streams.unpublish(publishing.stream, publishing.handle);
      this.reportStop(publishing.stream.app, publishing.stream.name);
    }
    for (const t of this.tracks) t.pair?.close();
    this.tracks = [];
    this.announced?.grant.release();
    this.announced = null;
  }

  private reportStop(app: string, stream: string): void {
    this.scope.ctx.events.emit({ type: 'publish-stop', app, stream, clientId: this.scope.id, atMs: Date.now() });
  }
}
