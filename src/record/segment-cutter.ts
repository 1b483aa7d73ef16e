// Cuts one live stream into recording segments: each starts on a keyframe (or any audio frame
// of a stream without video), closes at the first keyframe at or after the segment duration,
// and is a complete file on its own (fMP4: init segment + one fragment; MPEG-TS: PAT/PMT first),
// so any single file plays and a crash costs only the open one (fMP4 timelines start at zero in
// every file; TS keeps the stream's 90 kHz clock, which players handle). Pure: the caller passes the
// wall clock with each packet; start times in names come from it, durations from media time.
import { concatBytes } from '../media/bytes.ts';
import { DemuxTrackId, FlvMediaDemuxer } from '../flv/flv-media-demuxer.ts';
import { FlvTagType } from '../flv/flv-tag-type.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import type { MediaFrame, Track } from '../media/types.ts';
import { Fmp4Muxer, isFmp4Supported } from '../remux/fmp4-muxer.ts';
import { isTsSupported, TsMuxer } from '../remux/ts-muxer.ts';
import type { RecordingFormat } from '../shared/config-protocol.ts';

export type SegmentCutterOptions = Readonly<{
  format: RecordingFormat;
  segmentDurationMs: number;
  /**
   * an open segment this big closes at the next keyframe, whatever its duration; twice this big,
   * at once without one (the memory bound of a recorder)
   */
  maxSegmentBytes: number;
}>;

export type CompletedSegment = Readonly<{ format: RecordingFormat; startMs: number; durationMs: number; bytes: Uint8Array }>;

type OpenSegment = { startDts: number; startMs: number; bytes: number; frames: Map<number, MediaFrame[]>; tsChunks: Uint8Array[] };
type TrackTiming = { lastDts: number; lastDelta: number };

const TICKS_PER_MS = MEDIA_TIMESCALE / 1000;
/** the media clock may wander this far from the wall clock before names follow the wall clock again */
const MAX_CLOCK_DRIFT_MS = 2000;
/** a segment with no keyframe in sight is closed at this many times its duration */
const MAX_DURATION_FACTOR = 3;
/** past maxSegmentBytes a segment closes at the next keyframe; at this many times it, at once */
const HARD_CAP_FACTOR = 2;

export class SegmentCutter {
  private readonly demuxer = new FlvMediaDemuxer();
  private tracks: Track[] = [];
  private fmp4: Fmp4Muxer | null = null;
  private ts: TsMuxer | null = null;
  private open: OpenSegment | null = null;
  private anchor: { wallMs: number; dts: number } | null = null;
  private readonly timing = new Map<number, TrackTiming>();
  private paused = false;
  /** why the current tracks cannot be recorded (codec or bad sequence header); null when they can */
  unsupported: string | null = null;
  /** segments closed at the hard size or duration cap without a keyframe */
  forcedCuts = 0;

  constructor(private readonly options: SegmentCutterOptions) {}

  /** One packet from the hub; returns the segments it completed. */
  push(packet: MediaPacket, nowMs: number): CompletedSegment[] {
    if (packet.type !== FlvTagType.Video && packet.type !== FlvTagType.Audio) return [];
    const out: CompletedSegment[] = [];
    if (packet.discontinuity) {
      this.close(out);
      this.anchor = null;
    }
    let events;
    try {
      events = this.demuxer.push(packet.type, packet.timestampMs, packet.body);
    } catch {
      return out; // the publisher's edge already judged this tag; recording skips what it cannot read
    }
    for (const event of events) {
      if (event.type === 'track') this.onTrack(out);
      else this.onFrame(event.frame, nowMs, out);
    }
    return out;
  }

  /** The publisher left or the stream ended: the open segment is complete as it is. */
  flush(): CompletedSegment[] {
    const out: CompletedSegment[] = [];
    this.close(out);
    this.anchor = null;
    return out;
  }

  /** While paused nothing is buffered; the open segment is dropped (it would not be written). */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.open = null;
  }

  private onTrack(out: CompletedSegment[]): void {
    this.close(out);
    this.anchor = null;
    const video = this.demuxer.videoTrack;
    const audio = this.demuxer.audioTrack;
    this.tracks = [video, audio].filter((t): t is Track => t !== null);
    this.fmp4 = null;
    this.ts = null;
    this.unsupported = null;
    const supported = this.options.format === 'fmp4' ? isFmp4Supported : isTsSupported;
    const refused = this.tracks.filter((t) => !supported(t));
    if (refused.length > 0) {
      this.unsupported = `codec not supported in ${this.options.format}: ${refused.map((t) => t.codec).join(',')}`;
      return;
    }
    try {
      if (this.options.format === 'fmp4') this.fmp4 = new Fmp4Muxer(this.tracks);
      else this.ts = new TsMuxer({ ...(video ? { video } : {}), ...(audio ? { audio } : {}) });
    } catch (err) {
      this.unsupported = `bad sequence header: ${(err as Error).message}`;
    }
  }

  private onFrame(frame: MediaFrame, nowMs: number, out: CompletedSegment[]): void {
    if (this.paused || (!this.fmp4 && !this.ts)) return;
    const hasVideo = this.demuxer.videoTrack !== null;
    const canStart = hasVideo ? frame.trackId === DemuxTrackId.Video && frame.keyframe : true;
    const open = this.open;
    if (open) {
      const elapsedTicks = frame.dts - open.startDts;
      const full = open.bytes >= this.options.maxSegmentBytes;
      if (canStart && (full || elapsedTicks >= this.options.segmentDurationMs * TICKS_PER_MS)) this.close(out, frame);
      else if (
        open.bytes + frame.data.byteLength > this.options.maxSegmentBytes * HARD_CAP_FACTOR ||
        elapsedTicks >= this.options.segmentDurationMs * TICKS_PER_MS * MAX_DURATION_FACTOR
      ) {
        this.close(out, frame);
        this.forcedCuts++;
      }
    }
    if (!this.open) {
      if (!canStart) return; // every file starts decodable
      this.open = { startDts: frame.dts, startMs: this.wallClockOf(frame.dts, nowMs), bytes: 0, frames: new Map(), tsChunks: [] };
      if (this.ts) this.open.tsChunks.push(this.ts.writeTables());
    }
    const segment = this.open;
    segment.bytes += frame.data.byteLength;
    if (this.ts) {
      try {
        segment.tsChunks.push(this.ts.writeFrame(frame));
      } catch {
        // a frame the muxer cannot express is left out; the rest of the file stays valid
      }
    } else {
      let list = segment.frames.get(frame.trackId);
      if (!list) segment.frames.set(frame.trackId, (list = []));
      list.push(frame);
    }
    const timing = this.timing.get(frame.trackId);
    if (!timing) this.timing.set(frame.trackId, { lastDts: frame.dts, lastDelta: 0 });
    else {
      if (frame.dts > timing.lastDts) timing.lastDelta = frame.dts - timing.lastDts;
      timing.lastDts = frame.dts;
    }
  }

  /** Wall-clock ms of a media time: follows the media clock, re-anchored when it strays from the wall clock. */
  private wallClockOf(dts: number, nowMs: number): number {
    if (this.anchor) {
      const mapped = this.anchor.wallMs + Math.round((dts - this.anchor.dts) / TICKS_PER_MS);
      if (Math.abs(mapped - nowMs) <= MAX_CLOCK_DRIFT_MS) return mapped;
    }
    this.anchor = { wallMs: nowMs, dts };
    return nowMs;
  }

  private endOf(trackId: number, next?: MediaFrame): number {
    if (next && next.trackId === trackId) return next.dts;
    const timing = this.timing.get(trackId);
    return timing ? timing.lastDts + Math.max(timing.lastDelta, 1) : 0;
  }

  private close(out: CompletedSegment[], next?: MediaFrame): void {
    const open = this.open;
    this.open = null;
    if (!open || open.bytes === 0) return;
    let end = next ? next.dts : open.startDts;
    if (!next) for (const t of this.tracks) if (open.frames.has(t.id) || this.ts) end = Math.max(end, this.endOf(t.id));
    const durationMs = Math.max(1, Math.round((end - open.startDts) / TICKS_PER_MS));
    let bytes: Uint8Array;
    if (this.ts) bytes = concatBytes(open.tsChunks);
    else if (this.fmp4) {
      // Each file's timeline starts at zero, so a player given one file alone shows no empty lead-in;
      // where the file sits in time is its name's business.
      const present = this.tracks.filter((t) => open.frames.has(t.id));
      const base = Math.min(...present.map((t) => open.frames.get(t.id)![0]!.dts));
      const inputs = present.map((t) => {
        const frames = open.frames.get(t.id)!;
        const endDts = Math.max(this.endOf(t.id, next), frames.at(-1)!.dts);
        return { trackId: t.id, frames: frames.map((f) => ({ ...f, dts: f.dts - base, pts: f.pts - base })), endDts: endDts - base };
      });
      try {
        bytes = concatBytes([this.fmp4.initSegment(), this.fmp4.fragment(1, inputs)]);
      } catch {
        return; // timestamps the fragment cannot carry: this one file is lost, not the recording
      }
    } else return;
    out.push({ format: this.options.format, startMs: open.startMs, durationMs, bytes });
  }
}


