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
import type { Track } from '../../media/types.ts';
import type { RtpFrameOut, RtpOutput, RtpTrackKind, RtpViewer } from '../../outputs/rtp-output.ts';
import { encodeSenderReport, unixMsToNtp } from '../../rtsp/rtcp.ts';
import { RtpStamper } from '../../rtsp/rtp-stamper.ts';
import type { LinkStats } from '../../shared/config-protocol.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import { PacketHistory } from '../../webrtc/packet-history.ts';
import { parseRtcpFeedback, type RtcpFeedback } from '../../webrtc/rtcp-feedback.ts';
import { WebRtcLinkPolicy } from './webrtc-link-policy.ts';
import type { EngineContext } from '../engine-context.ts';
import { WebRtcSession, type WebRtcSessionInit } from './webrtc-session.ts';

const SENDER_REPORT_INTERVAL_MS = 2000;
const CNAME = 'weir';

export type WhepTrack = Readonly<{ kind: RtpTrackKind; codec: Track['codec']; payloadType: number; clockRate: number; ssrc: number }>;

export type WhepViewerInit = WebRtcSessionInit & Readonly<{
  output: RtpOutput;
  /** Opus transcoded from the stream's AAC (opus-transcoder.ts), when the answer offered it; else absent */
  transcodedAudio?: Pick<RtpOutput, 'addViewer' | 'removeViewer'>;
  tracks: readonly WhepTrack[];
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

export class WhepViewer extends WebRtcSession implements RtpViewer {
  readonly stats: WhepStats = { packetsSent: 0, packetsRetransmitted: 0, nacksReceived: 0, pliReceived: 0, packetsLost: 0, rttMs: 0, rembBps: 0, reportsReceived: 0, degradations: 0, framesSkipped: 0 };
  readonly kind = 'whep';
  private readonly tracks = new Map<RtpTrackKind, SendTrack>();
  private waitKeyframe = true;
  private readonly policy = new WebRtcLinkPolicy();
  private readonly sendRate = new SendRate();
  /** NTP middle 32 bits of each sender report we sent, to time the receiver's answer (RFC 3550 §6.4.1) */
  private readonly reportSentAt = new Map<number, number>();

  constructor(
    ctx: EngineContext,
    private readonly init: WhepViewerInit,
  ) {
    super(ctx, init, 'viewer');
    for (const t of init.tracks) {
      const stamper = new RtpStamper({ ssrc: t.ssrc, payloadType: t.payloadType, initialSequence: randomBytes(2).readUInt16BE(0), timestampOffset: randomBytes(4).readUInt32BE(0) });
      this.tracks.set(t.kind, { ...t, stamper, history: new PacketHistory(), lastReportMs: -Infinity });
    }
    const stream = init.stream;
    this.register({
      type: 'play-start', app: stream.app, stream: stream.name, clientId: init.clientId, protocol: 'webrtc', clientAddress: init.clientAddress, atMs: this.connectedAtMs,
    });
  }

  get connected(): boolean {
    return this.transport.srtp !== null;
  }

  /** Dropping inter frames for a link that cannot carry the stream. */
  get degraded(): boolean {
    return this.policy.degraded;
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

  protected onConnected(address: string, port: number): void {
    this.init.log.info('WebRTC viewer connected', { peer: `${address}:${port}` });
    this.init.output.addViewer(this);
    this.init.transcodedAudio?.addViewer(this);
  }

  protected override onBytesSent(bytes: number): void {
    this.init.stream.counters.bytesOut += bytes;
  }

  protected leave(): void {
    this.init.output.removeViewer(this);
    this.init.transcodedAudio?.removeViewer(this);
  }

  protected logClosed(reason: string): void {
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
        if (sentAt !== undefined) this.stats.rttMs = Math.max(0, performance.now() - sentAt - (f.delaySinceLastSr / 65536) * 1000);
        return;
      }
    }
  }

  private sendSenderReport(track: SendTrack, rtpTime: number, nowMs: number): void {
    const ntp = unixMsToNtp(nowMs);
    const middle = (((ntp.ntpSeconds & 0xffff) << 16) | (ntp.ntpFraction >>> 16)) >>> 0;
    // the monotonic clock, not the NTP wall time: a loopback or LAN round trip is well under the
    // millisecond Date.now() counts in, and would come out as 0
    this.reportSentAt.set(middle, performance.now());
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

  protected override linkStats(): LinkStats {
    return {
      rttMs: Math.round(this.stats.rttMs * 1000) / 1000,
      packetsLost: this.stats.packetsLost,
      packetsDropped: this.transport.sendFailures,
      packetsRetransmitted: this.stats.packetsRetransmitted,
      // what the browser says it can receive (REMB); our own rate is sendRateBps
      receiveRateBps: this.stats.rembBps,
      sendRateBps: this.sendRate.read(this.bytesOut, performance.now() * 1000),
    };
  }
}
