// RTSP pull, the media half (no I/O, no clock: arrival times come from the caller): RTP packets and RTCP sender
// reports of every SETUP track in, FLV tag bodies on one millisecond timeline out.
// Each RtpTrackReceiver (src/rtsp) starts its track at media time 0 on its first frame; this places the tracks on one
// timeline: by the sender's wallclock when RTCP SRs map both tracks (RFC 3550 §6.4.1 lip sync), else by arrival.
import { encodeAacRawBody, encodeAacSequenceHeaderBody } from '../flv/encode-aac.ts';
import { encodeAvcNaluBody, encodeAvcSequenceHeaderBody } from '../flv/encode-avc.ts';
import { encodeHevcCodedFramesBody, encodeHevcSequenceStartBody } from '../flv/encode-hevc.ts';
import { ticks90kToMs, type EncodedTag } from '../flv/encode-tag.ts';
import { AudioFourCc, AudioPacketType, SoundFormat } from '../flv/flv-codes.ts';
import { FlvTagType } from '../flv/flv-tag-type.ts';
import { AudioCodec, VideoCodec, type MediaFrame, type Track } from '../media/types.ts';
import { splitLengthPrefixed } from '../media/nal-units.ts';
import type { RtpPacket } from '../rtsp/rtp-packet.ts';
import { SenderReportClock } from '../rtsp/rtp-timestamp.ts';
import { RtpTrackReceiver } from '../rtsp/rtp-track-receiver.ts';
import type { RtpTrackDescription } from '../rtsp/sdp-tracks.ts';

const TICKS_PER_MS = 90;
/** output time of the session's first frame: room for the decode-time lead-in of B-frame video (4 frames at 30 fps) */
const DEFAULT_LEAD_TICKS = 12_000;
/** the first tags wait (up to this long after the first frame) until every track has started, so that outputs see all
 * sequence headers before any frame: a track showing up later would restart HLS with a discontinuity */
const STARTUP_WAIT_MS = 2_000;
const MAX_STARTUP_TAGS = 1_000;
/** G.711 in FLV: SoundRate is ignored (always 8 kHz), 16-bit, mono (Adobe FLV spec E.4.2.1) */
const G711_FLAGS = (1 << 1) | 0;

type TrackState = {
  receiver: RtpTrackReceiver;
  clock: SenderReportClock;
  /** output ticks = receiver ticks + offset; fixed at the track's first frame */
  offsetTicks: number | undefined;
  /** the track's sequence header waits for its first frame, to carry that frame's timestamp */
  pendingHeader: Track | undefined;
  lastDts: number;
};

export type RtspMediaStats = { tagsOut: number; framesDroppedBeforeStart: number };

export class RtspTagWriter {
  readonly stats: RtspMediaStats = { tagsOut: 0, framesDroppedBeforeStart: 0 };
  private readonly tracks: TrackState[];
  /** arrival time of the session's first frame, which lands at output tick `leadTicks` */
  private startArrivalMs: number | undefined;
  /** sender wallclock at output tick `leadTicks`, once a track with an SR defines it */
  private referenceUnixMs: number | undefined;
  /** room before the first frame for decode times that precede its pts (B-frame lead-in) */
  private leadTicks = 0;
  /** until every track started (or the wait is over): headers and frames held back */
  private startup: { headers: EncodedTag[]; frames: EncodedTag[] } | null = { headers: [], frames: [] };

  constructor(descriptions: readonly RtpTrackDescription[]) {
    this.tracks = descriptions.map((d, i) => ({
      receiver: new RtpTrackReceiver(d, i),
      clock: new SenderReportClock(d.clockRate),
      offsetTicks: undefined,
      pendingHeader: undefined,
      lastDts: -Infinity,
    }));
  }

  receiver(index: number): RtpTrackReceiver {
    return this.tracks[index]!.receiver;
  }

  clock(index: number): SenderReportClock {
    return this.tracks[index]!.clock;
  }

  onSenderReport(index: number, sr: Readonly<{ ntpSeconds: number; ntpFraction: number; rtpTimestamp: number }>): void {
    this.tracks[index]?.clock.onSenderReport(sr);
  }

  /** One RTP packet of track `index`; `arrivalMs` from a monotonic clock. */
  onRtp(index: number, packet: RtpPacket, arrivalMs: number): EncodedTag[] {
    const state = this.tracks[index];
    if (!state) return [];
    const headers: EncodedTag[] = [];
    const out: EncodedTag[] = [];
    for (const event of state.receiver.push(packet)) {
      if (event.type === 'track') {
        state.pendingHeader = event.track;
        continue;
      }
      const offset = this.offsetOf(state, event.frame, event.rtpTimestamp, arrivalMs);
      const dts = event.frame.dts + offset;
      const pts = event.frame.pts + offset;
      // a track that started before the session's zero (by its sender's clock) loses what precedes it
      if (dts < 0 || dts <= state.lastDts) {
        this.stats.framesDroppedBeforeStart++;
        continue;
      }
      state.lastDts = dts;
      const track = state.receiver.currentTrack;
      if (!track) continue;
      const timestampMs = ticks90kToMs(dts);
      if (state.pendingHeader) {
        const header = sequenceHeader(state.pendingHeader);
        state.pendingHeader = undefined;
        if (header) (this.startup ? headers : out).push({ type: header.type, timestampMs, body: header.body });
      }
      const body = frameBody(track, event.frame, ticks90kToMs(pts) - timestampMs);
      if (body) out.push({ type: body.type, timestampMs, body: body.body });
    }
    const released = this.release(headers, out, arrivalMs);
    this.stats.tagsOut += released.length;
    return released;
  }

  private release(headers: EncodedTag[], frames: EncodedTag[], arrivalMs: number): EncodedTag[] {
    const startup = this.startup;
    if (!startup) return frames;
    startup.headers.push(...headers);
    startup.frames.push(...frames);
    const allStarted = this.tracks.every((t) => t.offsetTicks !== undefined);
    const waited = this.startArrivalMs !== undefined && arrivalMs - this.startArrivalMs >= STARTUP_WAIT_MS;
    if (!allStarted && !waited && startup.frames.length < MAX_STARTUP_TAGS) return [];
    this.startup = null;
    // every sequence header first, then the frames interleaved by time (the sort is stable per track)
    return [...startup.headers, ...startup.frames.sort((a, b) => a.timestampMs - b.timestampMs)];
  }

  private offsetOf(state: TrackState, frame: MediaFrame, rtpTimestamp: number, arrivalMs: number): number {
    if (state.offsetTicks !== undefined) return state.offsetTicks;
    // the receiver's first frame has pts 0; its dts may be negative (decode times lead presentation with B-frames)
    if (this.startArrivalMs === undefined) {
      this.startArrivalMs = arrivalMs;
      this.leadTicks = Math.max(DEFAULT_LEAD_TICKS, -frame.dts);
    }
    const startUnixMs = state.clock.unixMsAt(rtpTimestamp);
    let offset: number;
    if (startUnixMs !== undefined && this.referenceUnixMs !== undefined) {
      offset = this.leadTicks + Math.round((startUnixMs - this.referenceUnixMs) * TICKS_PER_MS);
    } else {
      const sinceStartMs = arrivalMs - this.startArrivalMs;
      offset = this.leadTicks + Math.round(sinceStartMs * TICKS_PER_MS);
      if (startUnixMs !== undefined) this.referenceUnixMs = startUnixMs - sinceStartMs;
    }
    // the frame's pts is 0 on the receiver's timeline: the offset is where it lands; a track whose first decode time
    // would fall before 0 (it started earlier than the session's zero) starts a little late instead of losing its keyframe
    state.offsetTicks = Math.max(offset - frame.pts, -frame.dts);
    return state.offsetTicks;
  }
}

type Body = { type: typeof FlvTagType.Audio | typeof FlvTagType.Video; body: Uint8Array };

function exAudio(packetType: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = (SoundFormat.ExHeader << 4) | packetType;
  new DataView(out.buffer).setUint32(1, AudioFourCc.Opus);
  out.set(payload, 5);
  return out;
}

/** The FLV sequence header of a track, or undefined for codecs without one (G.711). */
export function sequenceHeader(track: Track): Body | undefined {
  switch (track.codec) {
    case VideoCodec.H264:
      return { type: FlvTagType.Video, body: encodeAvcSequenceHeaderBody(track.config) };
    case VideoCodec.H265:
      return { type: FlvTagType.Video, body: encodeHevcSequenceStartBody(track.config) };
    case AudioCodec.AAC:
      return { type: FlvTagType.Audio, body: encodeAacSequenceHeaderBody(track.config) };
    case AudioCodec.Opus:
      return { type: FlvTagType.Audio, body: exAudio(AudioPacketType.SequenceStart, track.config) };
    default:
      return undefined;
  }
}

/** One frame as an FLV tag body (frames carry 4-byte length-prefixed NAL units for video). */
export function frameBody(track: Track, frame: MediaFrame, compositionTimeMs: number): Body | undefined {
  switch (track.codec) {
    case VideoCodec.H264:
      return { type: FlvTagType.Video, body: encodeAvcNaluBody(splitLengthPrefixed(frame.data), frame.keyframe, compositionTimeMs) };
    case VideoCodec.H265:
      return { type: FlvTagType.Video, body: encodeHevcCodedFramesBody(splitLengthPrefixed(frame.data), frame.keyframe, compositionTimeMs) };
    case AudioCodec.AAC:
      return { type: FlvTagType.Audio, body: encodeAacRawBody(frame.data) };
    case AudioCodec.Opus:
      return { type: FlvTagType.Audio, body: exAudio(AudioPacketType.CodedFrames, frame.data) };
    case AudioCodec.G711A:
    case AudioCodec.G711U: {
      const format = track.codec === AudioCodec.G711A ? SoundFormat.G711ALaw : SoundFormat.G711MuLaw;
      const body = new Uint8Array(1 + frame.data.length);
      body[0] = (format << 4) | G711_FLAGS;
      body.set(frame.data, 1);
      return { type: FlvTagType.Audio, body };
    }
    default:
      return undefined;
  }
}
