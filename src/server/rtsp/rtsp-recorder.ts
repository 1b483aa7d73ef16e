// The receive side of an RTSP publish (ANNOUNCE/RECORD, RFC 2326 §10.3, §10.11): RTP packets of each set-up track
// through an RtpTrackReceiver (depacketizing, loss -> wait for a keyframe, RTP time -> 90 kHz) into FLV tag bodies,
// which go into the hub like any RTMP publisher's.
import { classifyTag } from '../../flv/classify-tag.ts';
import { encodeFrameTag, encodeTrackHeaderTag } from '../../flv/encode-frame-tags.ts';
import type { EncodedTag } from '../../flv/encode-tag.ts';
import type { LiveStream } from '../../hub/live-stream.ts';
import { sameBytes } from '../../media/bytes.ts';
import { MEDIA_TIMESCALE } from '../../media/clock.ts';
import { encodeOpusHead } from '../../media/opus-head.ts';
import { AudioCodec, type Track } from '../../media/types.ts';
import { parseRtcpCompound } from '../../rtsp/rtcp.ts';
import { isRtcp, parseRtpPacket } from '../../rtsp/rtp-packet.ts';
import { SenderReportClock } from '../../rtsp/rtp-timestamp.ts';
import type { RtpTrackReceiver } from '../../rtsp/rtp-track-receiver.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';

export type RecorderStats = { packets: number; badPackets: number; framesIngested: number };

export class RtspRecorder {
  readonly stats: RecorderStats = { packets: 0, badPackets: 0, framesIngested: 0 };
  private readonly tracks = new Map<RtpTrackReceiver, Track>();
  /**
   * Added to every tag time: decode times derived from B-frame video may start below zero (dts before the first
   * pts), and the hub's timeline starts at zero, so the whole stream moves by the first such deficit.
   */
  private shiftMs = 0;
  private ingested = false;
  /**
   * Each receiver starts its media time at 0 with its own first frame; tracks are lined up by the sender's
   * wallclock or by when those first frames arrived (see startOffset): a camera whose audio starts two seconds
   * after its video keeps them two seconds apart.
   */
  private readonly startOffsetMs = new Map<RtpTrackReceiver, number>();
  private firstTrack: { receiver: RtpTrackReceiver; arrivedAtMs: number } | undefined;
  /** each track's sender-report clock (RTP time -> sender wallclock), once an SR came */
  private readonly clocks = new Map<RtpTrackReceiver, SenderReportClock>();

  constructor(
    private readonly stream: LiveStream,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Audio whose configuration the SDP already gave (AAC config=, Opus) goes into the hub before any packet: the
   * stream starts with its first video frame, and a viewer described then must find the audio track too.
   */
  announce(receiver: RtpTrackReceiver): void {
    const p = receiver.description.params;
    let config: Uint8Array;
    if (p.codec === AudioCodec.AAC) config = p.config;
    else if (p.codec === AudioCodec.Opus) config = encodeOpusHead(p.channels === 1 ? 1 : 2);
    else return;
    const track: Track = { id: receiver.trackId, kind: 'audio', codec: p.codec, timescale: MEDIA_TIMESCALE, config };
    const tag = encodeTrackHeaderTag(track);
    if (!tag) return;
    this.tracks.set(receiver, track);
    this.ingest(tag, false);
  }

  /** One RTP or RTCP datagram or interleaved payload of `receiver`'s track (RTCP: sender reports are kept for timing). */
  push(receiver: RtpTrackReceiver, bytes: Uint8Array): void {
    if (isRtcp(bytes)) {
      this.onRtcp(receiver, bytes);
      return;
    }
    this.stats.packets++;
    let events;
    try {
      events = receiver.push(parseRtpPacket(bytes));
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.stats.badPackets++;
      return;
    }
    for (const event of events) {
      if (event.type === 'track') {
        const known = this.tracks.get(receiver);
        if (known && known.codec === event.track.codec && sameBytes(known.config, event.track.config)) continue;
        this.tracks.set(receiver, event.track);
        const tag = encodeTrackHeaderTag(event.track);
        if (tag) this.ingest(tag, false);
        continue;
      }
      const track = this.tracks.get(receiver);
      if (!track) continue;
      let offsetMs = this.startOffsetMs.get(receiver);
      if (offsetMs === undefined) {
        offsetMs = this.startOffset(receiver);
        this.startOffsetMs.set(receiver, offsetMs);
      }
      try {
        const tag = encodeFrameTag(track, event.frame);
        this.ingest({ ...tag, timestampMs: tag.timestampMs + offsetMs }, true);
        this.stats.framesIngested++;
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        this.stats.badPackets++;
      }
    }
  }

  // Alike in shape to srt-listener.ts's datagram decode (a malformed packet costs only itself): other parser, other counter.
  private onRtcp(receiver: RtpTrackReceiver, bytes: Uint8Array): void {
    let packets;
    try {
      packets = parseRtcpCompound(bytes);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.stats.badPackets++;
      return;
    }
    for (const packet of packets) {
      if (packet.type !== 'sr') continue;
      let clock = this.clocks.get(receiver);
      if (!clock) {
        clock = new SenderReportClock(receiver.description.clockRate);
        this.clocks.set(receiver, clock);
      }
      clock.onSenderReport(packet);
    }
  }

  /**
   * Where a track's first frame goes on the stream's timeline, relative to the first track's: from the sender's
   * wallclock when both have had a sender report (RFC 3550 §6.4.1), else from when the first frames arrived.
   */
  private startOffset(receiver: RtpTrackReceiver): number {
    const nowMs = this.now();
    const first = this.firstTrack;
    if (!first) {
      this.firstTrack = { receiver, arrivedAtMs: nowMs };
      return 0;
    }
    const start = (r: RtpTrackReceiver) => (r.firstRtpTimestamp === undefined ? undefined : this.clocks.get(r)?.unixMsAt(r.firstRtpTimestamp));
    const mine = start(receiver);
    const theirs = start(first.receiver);
    if (mine !== undefined && theirs !== undefined) return Math.round(mine - theirs);
    return nowMs - first.arrivedAtMs;
  }

  private ingest(tag: EncodedTag, frame: boolean): void {
    if (frame && !this.ingested) {
      if (tag.timestampMs < 0) this.shiftMs = -tag.timestampMs;
      this.ingested = true;
    }
    const timestampMs = Math.max(0, tag.timestampMs + this.shiftMs);
    this.stream.ingest({ type: tag.type, timestampMs, body: tag.body, ...classifyTag(tag.type, tag.body) });
  }
}
