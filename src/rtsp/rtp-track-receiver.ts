// One received RTP track to the hub's vocabulary: sequence tracking (RFC 3550 §A.1), depacketizing (RFC 6184, 7798,
// 3640, 3551, 7587), parameter sets and keyframe gating, and 32-bit RTP time to a 90 kHz media timeline (§5.1).
// After packet loss, video frames are dropped until the next keyframe: no frame that lost a packet is ever emitted.
import { lengthPrefixed } from '../flv/encode-annexb.ts';
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import { encodeOpusHead } from '../media/opus-head.ts';
import { h264ReorderDepth, h265ReorderDepth } from '../media/reorder-depth.ts';
import { AudioCodec, VideoCodec, type MediaFrame, type Track } from '../media/types.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import { AacDepacketizer, type AudioUnit } from './depacketize-aac.ts';
import { LatmDepacketizer } from './depacketize-latm.ts';
import { FramePerPacketDepacketizer } from './depacketize-frame.ts';
import { H264Depacketizer } from './depacketize-h264.ts';
import { H265Depacketizer } from './depacketize-h265.ts';
import { DtsFromPts, UNKNOWN_REORDER_DEPTH } from './dts-from-pts.ts';
import type { NalAccessUnit } from './nal-access-unit.ts';
import type { RtpPacket } from './rtp-packet.ts';
import { RtpSequenceTracker } from './rtp-sequence.ts';
import { RtpTimestampUnwrapper } from './rtp-timestamp.ts';
import type { RtpTrackDescription } from './sdp-tracks.ts';
import { VideoParameterSets } from './video-parameter-sets.ts';

export type ReceiverEvent =
  | Readonly<{ type: 'track'; track: Track }>
  /** `rtpTimestamp`: the frame's 32-bit RTP timestamp, for sender-report (wallclock) alignment across tracks */
  | Readonly<{ type: 'frame'; frame: MediaFrame; rtpTimestamp: number }>;

export type ReceiverStats = {
  packetsReceived: number;
  packetsLost: number;
  /** late or duplicated packets, and packets of another payload type */
  packetsIgnored: number;
  /** access units lost to packet loss, or waiting for the first keyframe / parameter sets */
  framesDropped: number;
  framesEmitted: number;
};

const EMPTY = new Uint8Array(0);

export class RtpTrackReceiver {
  readonly sequence = new RtpSequenceTracker();
  readonly stats: ReceiverStats = { packetsReceived: 0, packetsLost: 0, packetsIgnored: 0, framesDropped: 0, framesEmitted: 0 };
  private readonly unwrapper = new RtpTimestampUnwrapper();
  private readonly video: { depacketizer: H264Depacketizer | H265Depacketizer; params: VideoParameterSets } | undefined;
  private readonly audio: { push(packet: RtpPacket, lost: number): AudioUnit[]; config: Uint8Array } | undefined;
  private track: Track | undefined;
  private needKeyframe = true;
  /** decode times for video (RTP gives presentation times only) */
  private readonly dts = new DtsFromPts(UNKNOWN_REORDER_DEPTH);
  /** RTP timestamp of the first frame: media time 0 */
  firstRtpTimestamp: number | undefined;

  constructor(
    readonly description: RtpTrackDescription,
    readonly trackId: number,
  ) {
    const p = description.params;
    switch (p.codec) {
      case VideoCodec.H264:
        this.video = { depacketizer: new H264Depacketizer(), params: new VideoParameterSets(p.codec, p) };
        break;
      case VideoCodec.H265:
        this.video = { depacketizer: new H265Depacketizer(p.donlPresent), params: new VideoParameterSets(p.codec, p) };
        break;
      case AudioCodec.AAC: {
        const d = 'latm' in p ? new LatmDepacketizer() : new AacDepacketizer(p);
        this.audio = { push: (pkt, lost) => d.push(pkt, lost), config: p.config };
        break;
      }
      case AudioCodec.Opus: {
        const d = new FramePerPacketDepacketizer('Opus');
        this.audio = { push: (pkt) => d.push(pkt), config: encodeOpusHead(p.channels === 1 ? 1 : 2) };
        break;
      }
      default: {
        const d = new FramePerPacketDepacketizer('G.711');
        this.audio = { push: (pkt) => d.push(pkt), config: EMPTY };
      }
    }
  }

  get currentTrack(): Track | undefined {
    return this.track;
  }

  push(packet: RtpPacket): ReceiverEvent[] {
    if (packet.payloadType !== this.description.payloadType) {
      this.stats.packetsIgnored++;
      return [];
    }
    const verdict = this.sequence.push(packet.sequenceNumber);
    if (verdict.kind === 'late') {
      this.stats.packetsIgnored++;
      return [];
    }
    this.stats.packetsReceived++;
    // a restart is treated like a loss of unknown size
    const lost = verdict.kind === 'gap' ? verdict.lost : verdict.kind === 'restart' ? 1 : 0;
    this.stats.packetsLost += verdict.kind === 'gap' ? verdict.lost : 0;
    return this.video ? this.pushVideo(this.video, packet, lost) : this.pushAudio(this.audio!, packet, lost);
  }

  private pushVideo(v: NonNullable<RtpTrackReceiver['video']>, packet: RtpPacket, lost: number): ReceiverEvent[] {
    if (lost > 0) this.needKeyframe = true;
    const before = v.depacketizer.droppedUnits;
    const units: NalAccessUnit[] = v.depacketizer.push(packet, lost);
    this.stats.framesDropped += v.depacketizer.droppedUnits - before;
    const out: ReceiverEvent[] = [];
    for (const unit of units) {
      const split = v.params.split(unit.nalUnits);
      if ((split.changed || !this.track) && v.params.complete) {
        this.announce(v.params.decoderConfig(), out);
        this.dts.restart(reorderDepth(v.params));
      }
      if (!this.track || split.nalUnits.length === 0 || (this.needKeyframe && !split.keyframe)) {
        this.stats.framesDropped++;
        continue;
      }
      if (this.needKeyframe) this.dts.restart();
      this.needKeyframe = false;
      out.push(this.frame(unit.timestamp, split.keyframe, lengthPrefixed(EMPTY, split.nalUnits)));
    }
    return out;
  }

  private pushAudio(a: NonNullable<RtpTrackReceiver['audio']>, packet: RtpPacket, lost: number): ReceiverEvent[] {
    const out: ReceiverEvent[] = [];
    if (!this.track) this.announce(a.config, out);
    for (const unit of a.push(packet, lost)) out.push(this.frame(unit.timestamp, true, unit.data.slice()));
    return out;
  }

  private announce(config: Uint8Array, out: ReceiverEvent[]): void {
    const d = this.description;
    this.track = { id: this.trackId, kind: d.kind, codec: d.params.codec, timescale: MEDIA_TIMESCALE, config };
    out.push({ type: 'track', track: this.track });
  }

  private frame(rtpTimestamp: number, keyframe: boolean, data: Uint8Array): ReceiverEvent {
    if (this.firstRtpTimestamp === undefined) this.firstRtpTimestamp = rtpTimestamp;
    const ticks = this.unwrapper.unwrap(rtpTimestamp);
    const pts = Math.round((ticks * MEDIA_TIMESCALE) / this.description.clockRate);
    this.stats.framesEmitted++;
    const dts = this.video ? this.dts.next(pts) : pts;
    return { type: 'frame', frame: { trackId: this.trackId, dts, pts, keyframe, data }, rtpTimestamp };
  }
}

/** Reorder depth from the SPS; a stream that does not say gets the safe default. */
function reorderDepth(params: VideoParameterSets): number {
  const sps = params.nalUnits().find((n) => (params.codec === VideoCodec.H264 ? (n[0]! & 0x1f) === 7 : ((n[0]! >> 1) & 0x3f) === 33));
  if (!sps) return UNKNOWN_REORDER_DEPTH;
  try {
    return (params.codec === VideoCodec.H264 ? h264ReorderDepth(sps) : h265ReorderDepth(sps)) ?? UNKNOWN_REORDER_DEPTH;
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return UNKNOWN_REORDER_DEPTH;
  }
}
