// One RTSP play session of the pull client (RFC 2326 §10: OPTIONS, DESCRIBE, SETUP per track, PLAY, keepalive,
// TEARDOWN) over one transport: TCP interleaved (§10.12) or UDP port pairs (§12.39). RTP goes through RtspTagWriter to
// FLV tags; RTCP sender reports time the tracks; receiver reports (RFC 3550 §6.4.2) go back every few seconds.
// `run()` resolves with how the session ended; 'udp-silent' asks the caller to try again over TCP.
import type { EncodedTag } from '../flv/encode-tag.ts';
import { parseRtcpCompound } from '../rtsp/rtcp.ts';
import { JitterEstimator } from '../rtsp/rtcp-report-block.ts';
import { isRtcp, parseRtpPacket } from '../rtsp/rtp-packet.ts';
import { contentBase, parsePublic, parseSession } from '../rtsp/rtsp-headers.ts';
import { headerValue, type RtspResponse } from '../rtsp/rtsp-message.ts';
import { encodeTransport, parseTransport, type TransportSpec } from '../rtsp/rtsp-transport.ts';
import { parseSdp } from '../rtsp/sdp.ts';
import { describeTracks } from '../rtsp/sdp-tracks.ts';
import { RtspClientConnection, RtspRequestError } from './rtsp-client-connection.ts';
import { RtspTagWriter } from './rtsp-pull-media.ts';
import { receiverReport, sameHost, type TrackIo } from './rtsp-track-io.ts';
import { openUdpPair } from './rtsp-udp-pair.ts';
import type { RtspEndpoint, RtspTransportChoice } from './rtsp-url.ts';

// Alike in shape (constants, then a Readonly type) to server/webrtc/whip-publisher.ts: declarations only.
const STATUS_UNSUPPORTED_TRANSPORT = 461;
const DEFAULT_SESSION_TIMEOUT_SEC = 60;
const MIN_KEEPALIVE_MS = 1_000;
const RECEIVER_REPORT_INTERVAL_MS = 5_000;
const CHECK_INTERVAL_MS = 250;

export type RtspPlayTimeouts = Readonly<{
  responseMs: number;
  /** no RTP this long while playing ends the session */
  stallMs: number;
  /** over UDP: no RTP this long after PLAY switches to TCP */
  udpFallbackMs: number;
}>;

export type RtspSessionEnd = { kind: 'closed' } | { kind: 'error'; reason: string } | { kind: 'udp-silent' };

export type RtspPlayHooks = Readonly<{
  onTag: (tag: EncodedTag) => void;
  onPlaying: () => void;
  onBytes: (n: number) => void;
  log: (message: string) => void;
}>;


class SessionEnded extends Error {}

export class RtspPlaySession {
  private connection: RtspClientConnection | null = null;
  private readonly tracks: TrackIo[] = [];
  private writer: RtspTagWriter | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private playing = false;
  private lastRtpAtMs = 0;
  private playStartedAtMs = 0;
  private gotRtp = false;
  private ended: RtspSessionEnd | null = null;
  private resolveEnd: ((end: RtspSessionEnd) => void) | null = null;
  private serverAddress: string | undefined;
  private readonly ourSsrc = crypto.getRandomValues(new Uint32Array(1))[0]!;
  private requestUrl: string;
  private keepaliveMethod = 'OPTIONS';

  constructor(
    private readonly endpoint: RtspEndpoint,
    private readonly transport: RtspTransportChoice,
    private readonly insecureTls: boolean,
    private readonly timeouts: RtspPlayTimeouts,
    private readonly hooks: RtspPlayHooks,
  ) {
    this.requestUrl = endpoint.requestUrl;
  }

  run(): Promise<RtspSessionEnd> {
    const done = new Promise<RtspSessionEnd>((resolve) => {
      this.resolveEnd = resolve;
      if (this.ended) resolve(this.ended);
    });
    void this.play().catch((error: unknown) => {
      if (error instanceof SessionEnded) return;
      if (this.transport === 'udp' && error instanceof RtspRequestError && error.status === STATUS_UNSUPPORTED_TRANSPORT) {
        this.end({ kind: 'udp-silent' });
        return;
      }
      this.end({ kind: 'error', reason: (error as Error).message });
    });
    return done;
  }

  /** TEARDOWN (not awaited) and close. */
  stop(): void {
    const c = this.connection;
    if (c && !c.isClosed && c.session !== undefined) c.sendLast('TEARDOWN', this.requestUrl);
    this.end({ kind: 'closed' });
  }

  private end(end: RtspSessionEnd): void {
    if (this.ended) return;
    this.ended = end;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const t of this.tracks) t.udp?.close();
    const c = this.connection;
    if (c && !c.isClosed) {
      if (end.kind === 'udp-silent' && c.session !== undefined) c.sendLast('TEARDOWN', this.requestUrl);
      c.close();
    }
    this.resolveEnd?.(end);
  }

  private check(): void {
    if (this.ended) throw new SessionEnded();
  }

  private async play(): Promise<void> {
    const { host, port, tls, credentials } = this.endpoint;
    const connection = new RtspClientConnection({
      host,
      port,
      tls,
      insecureTls: this.insecureTls,
      credentials,
      responseTimeoutMs: this.timeouts.responseMs,
      onInterleaved: (channel, payload) => this.onInterleaved(channel, payload),
      onBytesIn: (n) => this.hooks.onBytes(n),
      onClose: (reason) => this.end(reason === null ? { kind: 'closed' } : { kind: 'error', reason }),
    });
    this.connection = connection;
    await connection.connect();
    this.check();
    this.serverAddress = connection.remoteAddress ?? host;

    const options = await this.optional(() => connection.request('OPTIONS', this.requestUrl));
    this.check();
    const methods = options ? parsePublic(headerValue(options.headers, 'public') ?? '') : [];
    if (methods.includes('GET_PARAMETER')) this.keepaliveMethod = 'GET_PARAMETER';

    const described = await connection.request('DESCRIBE', this.requestUrl, [['Accept', 'application/sdp']]);
    this.check();
    const base = contentBase(described.headers, this.requestUrl);
    const { tracks, skipped } = describeTracks(parseSdp(new TextDecoder().decode(described.body)), base);
    for (const s of skipped) this.hooks.log(`RTSP: skipping media ${s.mediaIndex} (${s.media}): ${s.reason}`);
    // FLV carries one video and one audio track: the first of each
    const chosen = [tracks.find((t) => t.kind === 'video'), tracks.find((t) => t.kind === 'audio')].filter((t) => t !== undefined);
    if (chosen.length === 0) {
      const why = skipped.map((s) => `${s.media}: ${s.reason}`).join('; ') || 'no media';
      throw new Error(`RTSP DESCRIBE: no track Weir can carry (${why})`);
    }
    this.writer = new RtspTagWriter(chosen);
    let timeoutSec = DEFAULT_SESSION_TIMEOUT_SEC;
    for (const [index, description] of chosen.entries()) {
      const io: TrackIo = { description, jitter: new JitterEstimator(description.clockRate), remoteSsrc: undefined, lastSr: undefined };
      this.tracks.push(io);
      const offer = await this.transportOffer(io, index);
      this.check();
      const response = await connection.request('SETUP', description.control, [['Transport', encodeTransport(offer)]]);
      this.check();
      timeoutSec = this.takeSession(response) ?? timeoutSec;
      this.takeTransport(io, index, response);
    }
    await connection.request('PLAY', this.requestUrl, [['Range', 'npt=0.000-']]);
    this.check();
    this.playing = true;
    this.playStartedAtMs = performance.now();
    this.lastRtpAtMs = this.playStartedAtMs;
    this.hooks.log(`RTSP playing ${chosen.map((t) => t.params.codec).join('+')} over ${this.transport.toUpperCase()}`);
    this.hooks.onPlaying();
    const keepaliveMs = Math.max(MIN_KEEPALIVE_MS, (timeoutSec * 1000) / 2);
    this.timers.push(setInterval(() => connection.keepalive(this.keepaliveMethod, this.requestUrl), keepaliveMs));
    this.timers.push(setInterval(() => this.sendReceiverReports(), RECEIVER_REPORT_INTERVAL_MS));
    this.timers.push(setInterval(() => this.watch(), CHECK_INTERVAL_MS));
  }

  /** OPTIONS is a courtesy: servers that refuse it (but not for credentials) still get DESCRIBE. */
  private async optional(request: () => Promise<RtspResponse>): Promise<RtspResponse | undefined> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof RtspRequestError && error.status !== 401) return undefined;
      throw error;
    }
  }

  private async transportOffer(io: TrackIo, index: number): Promise<TransportSpec> {
    if (this.transport === 'tcp') return { profile: 'RTP/AVP/TCP', lower: 'tcp', delivery: 'unicast', interleaved: [2 * index, 2 * index + 1] };
    io.udp = await openUdpPair(
      (data, _port, address) => this.onUdp(io, index, false, data, address),
      (data, _port, address) => this.onUdp(io, index, true, data, address),
    );
    return { profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort: [io.udp.rtpPort, io.udp.rtcpPort] };
  }

  private takeSession(response: RtspResponse): number | undefined {
    const value = headerValue(response.headers, 'session');
    if (value === undefined) return undefined;
    const session = parseSession(value);
    this.connection!.session = session.id;
    return session.timeoutSec;
  }

  private takeTransport(io: TrackIo, index: number, response: RtspResponse): void {
    const value = headerValue(response.headers, 'transport');
    const spec = value === undefined ? undefined : parseTransport(value)[0];
    if (this.transport === 'tcp') {
      io.channels = spec?.interleaved ?? [2 * index, 2 * index + 1];
      return;
    }
    if (spec?.lower === 'tcp') throw new Error('RTSP SETUP: asked for UDP, the server answered with TCP');
    io.serverPorts = spec?.serverPort;
    if (spec?.source !== undefined) this.serverAddress = spec.source;
  }

  private onInterleaved(channel: number, payload: Uint8Array): void {
    for (const [index, io] of this.tracks.entries()) {
      if (!io.channels) continue;
      if (channel === io.channels[0]) return this.onRtp(io, index, payload);
      if (channel === io.channels[1]) return this.onRtcp(io, index, payload);
    }
  }

  private onUdp(io: TrackIo, index: number, rtcp: boolean, data: Uint8Array, address: string): void {
    if (this.ended) return;
    // only the server we talk to may feed the track (others could inject media into a known port)
    if (!sameHost(address, this.serverAddress)) return;
    this.hooks.onBytes(data.byteLength);
    if (rtcp || isRtcp(data)) this.onRtcp(io, index, data);
    else this.onRtp(io, index, data);
  }

  private onRtp(io: TrackIo, index: number, bytes: Uint8Array): void {
    if (!this.playing || !this.writer || this.ended) return;
    let packet;
    try {
      packet = parseRtpPacket(bytes);
    } catch {
      return; // one bad packet is a loss, not the end of the session
    }
    const now = performance.now();
    this.lastRtpAtMs = now;
    this.gotRtp = true;
    io.remoteSsrc = packet.ssrc;
    io.jitter.onPacket(packet.timestamp, now);
    let tags: EncodedTag[];
    try {
      tags = this.writer.onRtp(index, packet, now);
    } catch (error) {
      this.end({ kind: 'error', reason: `RTSP media: ${(error as Error).message}` });
      return;
    }
    for (const tag of tags) this.hooks.onTag(tag);
  }

  private onRtcp(io: TrackIo, index: number, bytes: Uint8Array): void {
    if (!this.writer || this.ended) return;
    let packets;
    try {
      packets = parseRtcpCompound(bytes);
    } catch {
      return;
    }
    for (const p of packets) {
      if (p.type === 'sr') {
        this.writer.onSenderReport(index, p);
        io.lastSr = { ntpSeconds: p.ntpSeconds, ntpFraction: p.ntpFraction, receivedAtMs: performance.now() };
      } else if (p.type === 'bye' && this.playing) {
        this.end({ kind: 'error', reason: 'the server ended the stream (RTCP BYE)' });
        return;
      }
    }
  }

  private sendReceiverReports(): void {
    const now = performance.now();
    for (const [index, io] of this.tracks.entries()) {
      if (io.remoteSsrc === undefined || !this.writer) continue;
      const report = receiverReport(io, this.writer.receiver(index).sequence, this.ourSsrc, now);
      if (io.channels) this.connection?.writeInterleaved(io.channels[1], report);
      else if (io.udp && io.serverPorts && this.serverAddress) io.udp.rtcp.send(report, io.serverPorts[1], this.serverAddress);
    }
  }

  private watch(): void {
    if (!this.playing || this.ended) return;
    const now = performance.now();
    if (this.transport === 'udp' && !this.gotRtp && now - this.playStartedAtMs > this.timeouts.udpFallbackMs) {
      this.hooks.log(`RTSP: no UDP packet within ${this.timeouts.udpFallbackMs} ms; switching to TCP`);
      this.end({ kind: 'udp-silent' });
      return;
    }
    if (now - this.lastRtpAtMs > this.timeouts.stallMs) this.end({ kind: 'error', reason: `no RTP from the server for ${this.timeouts.stallMs} ms` });
  }
}
