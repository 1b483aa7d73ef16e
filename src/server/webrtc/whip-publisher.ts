// One WHIP publisher (RFC 9725): after ICE-lite and DTLS (webrtc-transport.ts), its SRTP packets are decrypted,
// routed by payload type to an RtpTrackReceiver per track (the RTSP ingest's depacketizers: RFC 6184 H.264, RFC 7587
// Opus; loss makes video wait for the next keyframe) and into the hub through RtspRecorder, exactly as an RTSP
// publish goes: same takeover, timeline, GOP cache, events and kick. We ask the browser for a keyframe (PLI, RFC 4585
// §6.3.1) when video starts, whenever the receiver lost packets (rate-limited), and once per HLS target duration.
import { randomBytes } from 'node:crypto';
import type { PublisherHandle } from '../../hub/live-stream.ts';
import { RtpTrackReceiver } from '../../rtsp/rtp-track-receiver.ts';
import type { RtpTrackDescription } from '../../rtsp/sdp-tracks.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import type { EngineContext } from '../engine-context.ts';
import { RtspRecorder } from '../rtsp/rtsp-recorder.ts';
import { WebRtcSession, type WebRtcSessionInit } from './webrtc-session.ts';

const PLI_INTERVAL_MS = 1000;
const RTCP_SR = 200;

export type WhipPublisherInit = WebRtcSessionInit & Readonly<{ handle: PublisherHandle; tracks: readonly RtpTrackDescription[] }>;

export type WhipStats = { packets: number; badPackets: number; pliSent: number };

export class WhipPublisher extends WebRtcSession {
  readonly kind = 'whip';
  readonly stats: WhipStats = { packets: 0, badPackets: 0, pliSent: 0 };
  private readonly byPayloadType = new Map<number, RtpTrackReceiver>();
  private readonly bySsrc = new Map<number, RtpTrackReceiver>();
  private readonly recorder: RtspRecorder;
  private readonly ourSsrc = randomBytes(4).readUInt32BE(0);
  private videoSsrc: number | undefined;
  private lastPliMs = -Infinity;
  private lostSeen = 0;
  private video: RtpTrackReceiver | undefined;
  private audioAnnounced = false;

  constructor(
    ctx: EngineContext,
    private readonly init: WhipPublisherInit,
  ) {
    // alike in shape to WhepViewer's constructor (the base takes the init first); what follows differs
    super(ctx, init, 'publisher');
    this.recorder = new RtspRecorder(init.stream);
    for (const description of init.tracks) {
      const receiver = new RtpTrackReceiver(description, description.kind === 'video' ? 1 : 2);
      this.byPayloadType.set(description.payloadType, receiver);
      if (description.kind === 'video') this.video = receiver;
    }
    if (!this.video) this.announceAudio();
    const stream = init.stream;
    this.register({ type: 'publish-start', app: stream.app, stream: stream.name, clientId: init.clientId, clientAddress: init.clientAddress, atMs: Date.now() });
  }

  onSrtp(datagram: Uint8Array): void {
    const srtp = this.transport.srtp;
    if (!srtp || this.closed) return;
    let packet: Uint8Array;
    try {
      packet = srtp.rtpIn.unprotectRtp(datagram);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.stats.badPackets++;
      return;
    }
    this.init.heard();
    this.stats.packets++;
    this.bytesIn += datagram.length;
    this.ctx.counters.bytesIn += datagram.length;
    const receiver = this.byPayloadType.get(packet[1]! & 0x7f);
    if (!receiver) return;
    // The stream starts with video: a browser's audio flows while its encoder is still making the first keyframe,
    // and a stream that began audio-only would give HLS an audio-only start and a second init segment.
    if (receiver === this.video) this.announceAudio();
    else if (this.video && this.video.stats.framesEmitted === 0) return;
    const ssrc = ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0;
    this.bySsrc.set(ssrc, receiver);
    this.recorder.push(receiver, packet);
    if (receiver.description.kind === 'video') {
      this.videoSsrc = ssrc;
      const lost = receiver.stats.packetsLost + receiver.stats.framesDropped;
      // a browser's encoder makes keyframes only when asked: without one per HLS segment, segments could not be cut
      const keyframeDue = Date.now() - this.lastPliMs >= this.ctx.config().hls.targetDurationMs;
      if (receiver.stats.framesEmitted === 0 || lost > this.lostSeen || keyframeDue) this.askForKeyframe();
      this.lostSeen = Math.max(this.lostSeen, lost);
    }
  }

  /** Sender reports go to their track's receiver clock, so audio and video line up by the sender's wallclock. */
  onSrtcp(datagram: Uint8Array): void {
    const srtp = this.transport.srtp;
    if (!srtp || this.closed) return;
    const plain = srtp.rtcpIn.unprotect(datagram);
    this.init.heard();
    for (let at = 0; at + 8 <= plain.length; ) {
      const end = at + 4 + ((plain[at + 2]! << 8) | plain[at + 3]!) * 4;
      if (end > plain.length) break;
      if (plain[at + 1] === RTCP_SR) {
        const ssrc = ((plain[at + 4]! << 24) | (plain[at + 5]! << 16) | (plain[at + 6]! << 8) | plain[at + 7]!) >>> 0;
        const receiver = this.bySsrc.get(ssrc);
        if (receiver) this.recorder.push(receiver, plain.subarray(at, end));
      }
      at = end;
    }
  }

  protected onConnected(address: string, port: number): void {
    this.init.log.info('WHIP publisher connected', { peer: `${address}:${port}` });
  }

  protected leave(): void {
    this.ctx.streams.unpublish(this.init.stream, this.init.handle);
  }

  protected logClosed(reason: string): void {
    this.init.log.info('WHIP publish stopped', { reason, ...this.recorder.stats, ...this.stats });
  }

  /** Opus needs no packet to be described: its header goes into the hub as soon as video is on its way. */
  private announceAudio(): void {
    if (this.audioAnnounced) return;
    this.audioAnnounced = true;
    for (const receiver of this.byPayloadType.values()) if (receiver !== this.video) this.recorder.announce(receiver);
  }

  private askForKeyframe(): void {
    const nowMs = Date.now();
    if (this.videoSsrc === undefined || nowMs - this.lastPliMs < PLI_INTERVAL_MS) return;
    this.lastPliMs = nowMs;
    const pli = new Uint8Array(12);
    const view = new DataView(pli.buffer);
    pli[0] = 0x81; // V=2, FMT=1 (PLI)
    pli[1] = 206; // PSFB
    view.setUint16(2, 2);
    view.setUint32(4, this.ourSsrc);
    view.setUint32(8, this.videoSsrc);
    if (this.transport.sendRtcp(pli)) this.stats.pliSent++;
  }
}
