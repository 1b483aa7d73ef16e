// One WHEP viewer: ICE-lite checks answered under its credentials, the DTLS handshake, then the stream's shared RTP
// payloads (outputs/rtp-output.ts: one packetization per stream for RTSP and WebRTC viewers alike) stamped with
// this viewer's SSRC and sequence numbers and SRTP-protected under its own keys (the one per-viewer step), sent to
// the 5-tuple its checks came from. RTCP from the browser is read for NACK (resent from a bounded history), PLI/FIR
// (video skips to the next keyframe), receiver reports (RTT, loss) and REMB; the last three, with the NACKs, also
// feed this viewer's link policy (webrtc-link-policy.ts), which drops its inter frames while its link cannot carry
// the stream and closes it when it cannot carry even audio and keyframes. Listed, counted and kickable in the
// client registry like every other viewer.
import { SendRate } from '../send-rate.ts';
import { randomBytes } from 'node:crypto';
import type { LiveStream } from '../../hub/live-stream.ts';
import type { Track } from '../../media/types.ts';
import type { RtpFrameOut, RtpOutput, RtpTrackKind, RtpViewer } from '../../outputs/rtp-output.ts';
import { encodeSenderReport, unixMsToNtp } from '../../rtsp/rtcp.ts';
import { RtpStamper } from '../../rtsp/rtp-stamper.ts';
import type { LinkStats } from '../../shared/config-protocol.ts';
import type { Logger } from '../../shared/logger.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import type { DtlsCertificate } from '../../webrtc/certificate.ts';
import { PacketHistory } from '../../webrtc/packet-history.ts';
import { parseRtcpFeedback, type RtcpFeedback } from '../../webrtc/rtcp-feedback.ts';
import type { StunMessage } from '../../webrtc/stun.ts';
import { WebRtcLinkPolicy, type WebRtcLinkLimits } from './webrtc-link-policy.ts';
import { WebRtcTransport } from './webrtc-transport.ts';
import type { ClientEntry } from '../client-registry.ts';
import type { EngineContext } from '../engine-context.ts';
import type { WebRtcSessionEntry } from './webrtc-sessions.ts';

const SENDER_REPORT_INTERVAL_MS = 2000;
const CNAME = 'weir';

export type WhepTrack = Readonly<{ kind: RtpTrackKind; codec: Track['codec']; payloadType: number; clockRate: number; ssrc: number }>;

export type WhepViewerInit = Readonly<{
  /** the session resource id (the WHEP Location) */
  id: string;
  /** the client registry id */
  clientId: string;
  clientAddress: string;
  stream: LiveStream;
  output: RtpOutput;
  /** Opus transcoded from the stream's AAC (opus-transcoder.ts), when the answer offered it; else absent */
  transcodedAudio?: Pick<RtpOutput, 'addViewer' | 'removeViewer'>;
  localUfrag: string;
  localPwd: string;
  remoteUfrag: string;
  peerFingerprint: string;
  certificate: DtlsCertificate;
  tracks: readonly WhepTrack[];
  send: (bytes: Uint8Array, port: number, address: string) => boolean;
  log: Logger;
  /** the listener's table forgets the session (it then calls close) */
  remove: (reason: string) => void;
  /** a 5-tuple passed a check: route its datagrams here */
  bindTuple: (address: string, port: number) => void;
  heard: () => void;
  /** gives back the session's cap slot */
  released: () => void;
  /** the link policy's limits; absent: its defaults */
  linkLimits?: WebRtcLinkLimits;
}>;

type SendTrack = WhepTrack & { stamper: RtpStamper; history: PacketHistory; lastReportMs: number };

export type WhepStats = {
  packetsSent: number;
  packetsRetransmitted: number;
  nacksReceived: number;
  pliReceived: number;
  packetsLost: number;
  rttMs: number;
  rembBps: number;
  /** receiver reports read (the browser's RTCP reaches us and decrypts) */
  reportsReceived: number;
  /** times the link policy dropped this viewer's inter frames (audio and keyframes kept) */
  degradations: number;
  /** video frames not sent because the viewer was degraded */
  framesSkipped: number;
};

export class WhepViewer implements RtpViewer, WebRtcSessionEntry {
  readonly stats: WhepStats = { packetsSent: 0, packetsRetransmitted: 0, nacksReceived: 0, pliReceived: 0, packetsLost: 0, rttMs: 0, rembBps: 0, reportsReceived: 0, degradations: 0, framesSkipped: 0 };
  readonly kind = 'whep';
  private readonly transport: WebRtcTransport;
  private readonly tracks = new Map<RtpTrackKind, SendTrack>();
  private waitKeyframe = true;
  private readonly policy: WebRtcLinkPolicy;
  private closed = false;
  private bytesOut = 0;
  private readonly sendRate = new SendRate();
  private readonly connectedAtMs = Date.now();
  private readonly client: ClientEntry;
  /** NTP middle 32 bits of each sender report we sent, to time the receiver's answer (RFC 3550 §6.4.1) */
  private readonly reportSentAt = new Map<number, number>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly init: WhepViewerInit,
  ) {
    this.transport = new WebRtcTransport({
      localUfrag: init.localUfrag,
      localPwd: init.localPwd,
      remoteUfrag: init.remoteUfrag,
      peerFingerprint: init.peerFingerprint,
      certificate: init.certificate,
      send: init.send,
      bindTuple: init.bindTuple,
      heard: init.heard,
      onConnected: (address, port) => {
        init.log.info('WebRTC viewer connected', { peer: `${address}:${port}` });
        init.output.addViewer(this);
        init.transcodedAudio?.addViewer(this);
      },
      onPeerClosed: () => init.remove('the client closed DTLS'),
      onSent: (bytes) => {
        this.bytesOut += bytes;
        ctx.counters.bytesOut += bytes;
        init.stream.counters.bytesOut += bytes;
      },
    });
    this.policy = new WebRtcLinkPolicy(init.linkLimits);
    for (const t of init.tracks) {
      const stamper = new RtpStamper({ ssrc: t.ssrc, payloadType: t.payloadType, initialSequence: randomBytes(2).readUInt16BE(0), timestampOffset: randomBytes(4).readUInt32BE(0) });
      this.tracks.set(t.kind, { ...t, stamper, history: new PacketHistory(), lastReportMs: -Infinity });
    }
    const stream = init.stream;
    this.client = {
      id: init.clientId,
      protocol: 'webrtc',
      address: init.clientAddress,
      connectedAtMs: this.connectedAtMs,
      role: () => 'viewer',
      app: () => stream.app,
      stream: () => stream.name,
      bytesIn: () => 0,
      bytesOut: () => this.bytesOut,
      kick: (reason) => init.remove(`kicked: ${reason}`),
      link: () => this.link(),
    };
    ctx.clients.register(this.client);
    ctx.events.emit({
      type: 'play-start', app: stream.app, stream: stream.name, clientId: init.clientId, protocol: 'webrtc', clientAddress: init.clientAddress, atMs: this.connectedAtMs,
    });
  }

  get id(): string {
    return this.init.id;
  }

  get localUfrag(): string {
    return this.init.localUfrag;
  }

  get clientAddress(): string {
    return this.init.clientAddress;
  }

  get connected(): boolean {
    return this.transport.srtp !== null;
  }

  /** Dropping inter frames for a link that cannot carry the stream. */
  get degraded(): boolean {
    return this.policy.degraded;
  }

  onStun(message: StunMessage, address: string, port: number): void {
    this.transport.onStun(message, address, port);
  }

  onDtls(datagram: Uint8Array, address: string, port: number): void {
    this.transport.onDtls(datagram, address, port);
  }

  onSrtcp(datagram: Uint8Array): void {
    const srtp = this.transport.srtp;
    if (!srtp) return;
    this.init.heard();
    for (const feedback of parseRtcpFeedback(srtp.rtcpIn.unprotect(datagram))) this.onFeedback(feedback);
  }

  /** RTP from a WHEP viewer carries nothing we play. */
  onSrtp(): void {}

  onFrame(frame: RtpFrameOut): void {
    const track = this.tracks.get(frame.kind);
    if (!track || track.codec !== frame.codec || !this.connected) return;
    const nowMs = Date.now();
    const keyframe = frame.kind === 'video' && frame.packetized.keyframe;
    let bytes = 0;
    for (const chunk of frame.packetized.chunks) bytes += chunk.payload.byteLength;
    this.policy.offered(nowMs, bytes, frame.kind === 'video');
    if (!this.applyPolicy(nowMs, keyframe)) return;
    if (frame.kind === 'video') {
      if (this.policy.degraded && !keyframe) {
        this.stats.framesSkipped++;
        return;
      }
      if (this.waitKeyframe && !keyframe) return;
      if (keyframe) this.waitKeyframe = false;
    }
    if (nowMs - track.lastReportMs >= SENDER_REPORT_INTERVAL_MS) {
      track.lastReportMs = nowMs;
      this.sendSenderReport(track, frame.packetized.rtpTime, nowMs);
    }
    const chunks = frame.packetized.chunks;
    track.stamper.stamp(frame.packetized).forEach((packet, i) => {
      track.history.add(packet, chunks[i]!.payload);
      this.sendRtp(packet);
    });
  }

  /** Acts on the link policy's verdict; false when the viewer was closed. */
  private applyPolicy(nowMs: number, keyframe: boolean): boolean {
    const action = this.policy.decide(nowMs, keyframe);
    if (action === 'none') return true;
    const s = this.policy.state(nowMs);
    const link = { rembKbps: s.rembBps === null ? undefined : Math.round(s.rembBps / 1000), streamKbps: Math.round(s.offeredBps / 1000), loss: Math.round(s.loss * 100) / 100 };
    const totals = (this.ctx.counters.webrtc ??= { degradations: 0, slowDisconnects: 0 });
    if (action === 'degrade') {
      this.stats.degradations++;
      totals.degradations++;
      this.init.log.info('WebRTC viewer degraded to audio and keyframes: its link does not carry the stream', link);
    } else if (action === 'full-video') {
      this.init.log.info('WebRTC viewer back to full video', link);
    } else {
      totals.slowDisconnects++;
      const remb = link.rembKbps === undefined ? '' : `, REMB ${link.rembKbps} kbit/s against ${Math.round(s.sentBps / 1000)} kbit/s sent`;
      this.init.remove(`slow link: it cannot carry even audio and keyframes (loss ${link.loss}${remb})`);
      return false;
    }
    return true;
  }

  onStreamEnd(): void {
    this.init.remove('the stream ended');
  }

  /** Called by the session table, once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.closed = true;
    this.init.output.removeViewer(this);
    this.init.transcodedAudio?.removeViewer(this);
    this.ctx.clients.unregister(this.client);
    this.init.released();
    this.ctx.events.emit({ type: 'play-stop', app: this.init.stream.app, stream: this.init.stream.name, clientId: this.init.clientId, atMs: Date.now() });
    this.init.log.info('WebRTC viewer closed', { reason, packetsSent: this.stats.packetsSent, retransmitted: this.stats.packetsRetransmitted });
  }

  private onFeedback(f: RtcpFeedback): void {
    switch (f.type) {
      case 'nack': {
        this.stats.nacksReceived++;
        this.policy.onNack(Date.now(), f.sequenceNumbers.length);
        const track = [...this.tracks.values()].find((t) => t.ssrc === f.mediaSsrc);
        if (!track) return;
        for (const seq of f.sequenceNumbers) {
          const packet = track.history.get(seq);
          if (!packet) continue;
          this.stats.packetsRetransmitted++;
          this.sendRtp(packet);
        }
        return;
      }
      case 'pli':
      case 'fir':
        // the encoder is the publisher's: the best we can do is stop sending what cannot be decoded
        this.stats.pliReceived++;
        if (this.tracks.get('video')?.ssrc === f.mediaSsrc) this.waitKeyframe = true;
        return;
      case 'remb':
        this.stats.rembBps = f.bitrateBps;
        this.policy.onRemb(Date.now(), f.bitrateBps);
        return;
      case 'report': {
        this.stats.reportsReceived++;
        if (this.tracks.get('video')?.ssrc === f.ssrc || (!this.tracks.has('video') && this.tracks.get('audio')?.ssrc === f.ssrc)) {
          this.stats.packetsLost = Math.max(0, f.cumulativeLost);
          this.policy.onReport(Date.now(), f.fractionLost);
        }
        const sentAt = f.lastSrNtp !== 0 ? this.reportSentAt.get(f.lastSrNtp) : undefined;
        if (sentAt !== undefined) this.stats.rttMs = Math.max(0, Date.now() - sentAt - (f.delaySinceLastSr / 65536) * 1000);
        return;
      }
    }
  }

  private sendSenderReport(track: SendTrack, rtpTime: number, nowMs: number): void {
    const ntp = unixMsToNtp(nowMs);
    const middle = (((ntp.ntpSeconds & 0xffff) << 16) | (ntp.ntpFraction >>> 16)) >>> 0;
    this.reportSentAt.set(middle, nowMs);
    if (this.reportSentAt.size > 16) this.reportSentAt.delete(this.reportSentAt.keys().next().value!);
    const sr = encodeSenderReport(
      { ssrc: track.ssrc, ...ntp, rtpTimestamp: track.stamper.timestampOf(rtpTime), packetCount: track.stamper.packetCount, octetCount: track.stamper.octetCount, reports: [] },
      CNAME,
    );
    this.transport.sendRtcp(sr);
  }

  private sendRtp(packet: Uint8Array): void {
    try {
      if (this.transport.sendRtp(packet)) {
        this.stats.packetsSent++;
        this.policy.sent(Date.now(), packet.byteLength);
      }
    } catch (err) {
      if (!isProtocolError(err)) throw err;
    }
  }

  private link(): LinkStats {
    return {
      rttMs: Math.round(this.stats.rttMs * 10) / 10,
      packetsLost: this.stats.packetsLost,
      packetsDropped: this.transport.sendFailures,
      packetsRetransmitted: this.stats.packetsRetransmitted,
      // what the browser says it can receive (REMB); our own rate is sendRateBps
      receiveRateBps: this.stats.rembBps,
      sendRateBps: this.sendRate.read(this.bytesOut, performance.now() * 1000),
    };
  }
}
