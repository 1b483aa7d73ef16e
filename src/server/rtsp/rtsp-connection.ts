// One RTSP TCP connection at the edge (RFC 2326 §10): requests answered in order through RtspParser and one
// ConnectionWriter; the play half (rtsp-play-side.ts) and the publish half (rtsp-record-side.ts) do the work.
// OPTIONS, GET_PARAMETER and SET_PARAMETER answer at once and keep a session alive; TEARDOWN ends the session.
import type { LiveStream } from '../../hub/live-stream.ts';
import type { RtpOutputs } from '../../outputs/rtp-output.ts';
import { encodeResponse } from '../../rtsp/rtsp-encode.ts';
import { encodePublic, encodeSession, parseCSeq, parseSession } from '../../rtsp/rtsp-headers.ts';
import { headerValue, RtspMethod, type RtspRequest } from '../../rtsp/rtsp-message.ts';
import { RtspParser } from '../../rtsp/rtsp-parser.ts';
import { parseTransport } from '../../rtsp/rtsp-transport.ts';
import type { RtspSettings } from '../../shared/engine-config.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import type { AddressSlots } from '../address-slots.ts';
import type { ByteSink } from '../connection-writer.ts';
import { EdgeConnection, type EdgeRole } from '../edge-connection.ts';
import type { EngineContext } from '../engine-context.ts';
import type { DigestNonces } from './rtsp-credentials.ts';
import { RtspPlaySide } from './rtsp-play-side.ts';
import { RtspRecordSide } from './rtsp-record-side.ts';
import { RtspRefusal, sameHost, type Reply, type RtspScope } from './rtsp-scope.ts';
import type { RtspUdpPorts, UdpHandler, UdpPair } from './rtsp-udp-ports.ts';

const PUBLIC_METHODS = [
  RtspMethod.Options, RtspMethod.Describe, RtspMethod.Announce, RtspMethod.Setup, RtspMethod.Play,
  RtspMethod.Pause, RtspMethod.Record, RtspMethod.Teardown, RtspMethod.GetParameter, RtspMethod.SetParameter,
];
const SERVER = 'Weir';
/** requests pipelined behind one that waits (admission, a publisher): a client needs a handful, not thousands */
const MAX_PENDING_REQUESTS = 16;
const text = new TextEncoder();

export type RtspConnectionDeps = Readonly<{
  ctx: EngineContext;
  settings: () => RtspSettings;
  outputs: RtpOutputs;
  udp: RtspUdpPorts;
  publishes: AddressSlots;
  /** Digest nonces, one issuer per server */
  nonces: DigestNonces;
  onClose: () => void;
}>;

export class RtspConnection extends EdgeConnection implements RtspScope {
  /** last request, RTCP or publisher RTP: the session timeout counts from here */
  lastHeardAtMs: number;
  /** it played or recorded at some point: the setup deadline no longer applies */
  everStarted = false;
  readonly nonces: DigestNonces;
  private readonly parser = new RtspParser();
  private readonly play: RtspPlaySide;
  private readonly record: RtspRecordSide;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private sessionId: string | null = null;

  constructor(
    private readonly deps: RtspConnectionDeps,
    sink: ByteSink,
    remoteAddress: string,
    nowMs: number,
  ) {
    super(deps.ctx, { protocol: 'rtsp', sink, remoteAddress, nowMs, logFields: { protocol: 'rtsp' }, onClose: () => deps.onClose() });
    this.nonces = deps.nonces;
    this.lastHeardAtMs = nowMs;
    this.play = new RtspPlaySide(this, deps.outputs);
    this.record = new RtspRecordSide(this, deps.publishes);
  }

  override get role(): EdgeRole {
    return this.record.stream ? 'publisher' : this.play.isPlaying ? 'viewer' : 'idle';
  }

  override appName(): string | null {
    return this.record.app ?? this.play.app;
  }

  override streamName(): string | null {
    return this.record.stream?.name ?? this.play.stream?.name ?? null;
  }

  protected override playedStream(): LiveStream | null {
    return this.play.stream;
  }

  /** UDP media goes around the writer: it counts too */
  override bytesOut(): number {
    return this.writer.stats.bytesWritten + this.play.udpBytesOut;
  }

  /** Playing or publishing over UDP, where the TCP connection alone does not show the peer is there. */
  get usesUdp(): boolean {
    return this.play.usesUdp || this.record.usesUdp;
  }

  /** A request is being answered (admission, or waiting for a publisher: those have their own bounds). */
  get busy(): boolean {
    return this.pending > 0;
  }

  receive(bytes: Uint8Array, nowMs: number): void {
    if (this.closed) return;
    this.bytesIn += bytes.byteLength;
    this.ctx.counters.bytesIn += bytes.byteLength;
    let messages;
    try {
      messages = this.parser.push(bytes);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const message of messages) {
      if (message.kind === 'interleaved') {
        // a publisher's RTP; a TCP viewer's RTCP receiver reports need no action
        if (this.record.onInterleaved(message.channel, message.payload)) this.lastHeardAtMs = nowMs;
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
      // responses (to requests this server never sends) are ignored
    }
  }

  protected override release(): void {
    this.play.end();
    this.record.end();
  }

  // RtspScope, for the play and record halves
  isClosed(): boolean {
    return this.closed;
  }

  sessionHeader(): string {
    this.sessionId ??= Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex');
    return encodeSession({ id: this.sessionId, timeoutSec: Math.round(this.deps.settings().sessionTimeoutMs / 1000) });
  }

  async allocateUdp(onRtp: UdpHandler, onRtcp?: UdpHandler): Promise<UdpPair> {
    const pair = await this.deps.udp.allocate(onRtp, (data, port, address) => {
      if (onRtcp) onRtcp(data, port, address);
      else if (sameHost(address, this.remoteAddress)) this.heard(); // receiver reports keep the session
    });
    if (!pair) throw new RtspRefusal(453, 'no free UDP port pair; use TCP');
    if (this.closed) {
      pair.close();
      throw new RtspRefusal(503, 'connection closed');
    }
    return pair;
  }

  heard(bytes = 0): void {
    this.lastHeardAtMs = Date.now();
    this.bytesIn += bytes;
    this.ctx.counters.bytesIn += bytes;
  }

  started(): void {
    this.everStarted = true;
  }

  endGracefully(): void {
    this.writer.endGracefully();
  }

  private async answer(req: RtspRequest): Promise<void> {
    if (this.closed) return;
    let cseq: number | undefined;
    let reply: Reply;
    try {
      cseq = parseCSeq(req.headers);
      reply = await this.dispatch(req);
    } catch (err) {
      if (err instanceof RtspRefusal || isProtocolError(err)) {
        const status = err instanceof RtspRefusal ? err.status : 400;
        this.log.info('request refused', { method: req.method, status, reason: err.message });
        const extra = err instanceof RtspRefusal ? err.headers.map(([k, v]): [string, string] => [k, v]) : [];
        reply = { status, headers: [...extra, ['Content-Type', 'text/plain']], body: text.encode(`${err.message}\n`) };
      } else {
        this.fail(err);
        return;
      }
    }
    if (this.closed) return;
    const headers: Array<[string, string]> = [];
    if (cseq !== undefined) headers.push(['CSeq', String(cseq)]);
    headers.push(['Server', SERVER]);
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
        if (this.record.engaged) throw new RtspRefusal(455, 'connection is publishing');
        return this.play.describe(req);
      case RtspMethod.Announce:
        if (this.record.engaged || this.play.engaged) throw new RtspRefusal(455, 'connection is already busy');
        return this.record.announce(req);
      case RtspMethod.Setup:
        return this.setup(req);
      case RtspMethod.Play:
        this.checkSession(req);
        return this.play.play();
      case RtspMethod.Pause:
        this.checkSession(req);
        this.play.pause();
        return { headers: [['Session', this.sessionHeader()]] };
      case RtspMethod.Record:
        this.checkSession(req);
        return this.record.record();
      case RtspMethod.Teardown: {
        this.checkSession(req);
        const headers: Array<[string, string]> = [['Session', this.sessionHeader()]];
        this.play.end();
        this.record.end();
        this.sessionId = null;
        return { headers };
      }
      case RtspMethod.GetParameter:
      case RtspMethod.SetParameter:
        if (headerValue(req.headers, 'session') === undefined) return {};
        this.checkSession(req);
        return { headers: [['Session', this.sessionHeader()]] };
      default:
        throw new RtspRefusal(501, `method ${req.method} is not served`);
    }
  }

  private setup(req: RtspRequest): Promise<Reply> {
    const transport = headerValue(req.headers, 'transport');
    if (transport === undefined) throw new RtspRefusal(400, 'SETUP without Transport');
    if (this.sessionId !== null && headerValue(req.headers, 'session') !== undefined) this.checkSession(req);
    const specs = parseTransport(transport);
    if (this.record.engaged) return this.record.setup(req, specs);
    if (this.play.engaged) return this.play.setup(req, specs);
    throw new RtspRefusal(455, 'SETUP before DESCRIBE or ANNOUNCE');
  }

  private checkSession(req: RtspRequest): void {
    const value = headerValue(req.headers, 'session');
    if (value === undefined || this.sessionId === null || parseSession(value).id !== this.sessionId) {
      throw new RtspRefusal(454, 'no such session on this connection');
    }
  }
}
