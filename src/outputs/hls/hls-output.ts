// The HLS output of one stream: repackages its packets once into MPEG-TS segments (classic
// HLS) and fMP4 parts and segments (LL-HLS), however many viewers poll them. Segments are cut
// on the first keyframe at or after the target duration; parts close before they would
// outgrow the part target, at video frame boundaries. Memory is capped whatever the publisher
// sends (hls-memory-caps.ts): an open segment that outgrows its caps without a keyframe is cut,
// and what follows is dropped until the next keyframe starts a segment after a discontinuity.
import { concatBytes } from '../../media/bytes.ts';
import { FlvTagType } from '../../flv/flv-tag-type.ts';
import { DemuxTrackId, FlvMediaDemuxer, type DemuxEvent } from '../../flv/flv-media-demuxer.ts';
import { MEDIA_TIMESCALE, TICKS_PER_MS } from '../../media/clock.ts';
import type { LiveStream, StreamReader } from '../../hub/live-stream.ts';
import type { MediaPacket } from '../../hub/media-packet.ts';
import type { MediaFrame, Track } from '../../media/types.ts';
import { Fmp4Muxer, isFmp4Supported } from '../../remux/fmp4-muxer.ts';
import { isTsSupported, TsMuxer } from '../../remux/ts-muxer.ts';
import type { Logger } from '../../shared/logger.ts';
import type { HlsMemoryCaps } from './hls-memory-caps.ts';
import { HlsVariant } from './hls-variant.ts';

export type HlsOutputOptions = Readonly<
  {
    classic: boolean;
    lowLatency: boolean;
    targetDurationMs: number;
    partTargetMs: number;
    windowSegments: number;
  } & HlsMemoryCaps
>;

type TrackState = { lastDts: number; lastDelta: number };

/** Dates follow the media clock until it is this far from the wall clock (a publisher's clock drifting, a stall). */
const MAX_DATE_DRIFT_MS = 1000;

/** Every part but a segment's last and INDEPENDENT ones lasts at least this share of PART-TARGET (rfc8216bis §4.4.4.9). */
const MIN_PART_SHARE = 0.85;

export class HlsOutput implements StreamReader {
  readonly ts: HlsVariant | null;
  readonly ll: HlsVariant | null;
  /** distinguishes this output's URLs from those of any earlier or later life of the stream */
  readonly tag: string;
  private readonly demuxer = new FlvMediaDemuxer();
  private tsMuxer: TsMuxer | null = null;
  private fmp4Muxer: Fmp4Muxer | null = null;
  private tracks: Track[] = [];
  private initCount = 0;
  private fragmentSequence = 1;
  private segmentStartDts: number | null = null;
  private tsChunks: Uint8Array[] = [];
  private partStartDts = 0;
  private partIndependent = false;
  private partFrames = new Map<number, MediaFrame[]>();
  /** media bytes of the frames in the open segment (each variant holds about this much for it) */
  private openBytes = 0;
  private partBytes = 0;
  /** tags the demuxer refused (see onPacket) */
  unreadableTags = 0;
  /** the publisher's clock jumped: the next segment starts at a keyframe after a discontinuity */
  private timelineJumped = false;
  /** segments cut by the memory caps (without a keyframe) */
  forcedCuts = 0;
  private readonly trackStates = new Map<number, TrackState>();
  /** where EXT-X-PROGRAM-DATE-TIME is counted from on the current timeline (see programDateTime) */
  private dateAnchor: { wallMs: number; dts: number } | null = null;
  /** while catching up: the dts of the newest cached frame, which arrived about now */
  private catchUpUntil: number | null = null;
  private readonly targetTicks: number;
  private readonly partTicks: number;
  private readonly maxSegmentTicks: number;
  private readonly warned = new Set<string>();
  private endedListeners: Array<() => void> = [];

  constructor(
    readonly stream: LiveStream,
    private readonly options: HlsOutputOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.tag = now().toString(36) + Math.floor(Math.random() * 36 ** 4).toString(36);
    this.targetTicks = (options.targetDurationMs / 1000) * MEDIA_TIMESCALE;
    this.partTicks = (options.partTargetMs / 1000) * MEDIA_TIMESCALE;
    this.maxSegmentTicks = (options.maxSegmentMs / 1000) * MEDIA_TIMESCALE;
    const base = { targetDurationSec: options.targetDurationMs / 1000, windowSegments: options.windowSegments, maxWindowBytes: options.maxWindowBytes };
    this.ts = options.classic
      ? new HlsVariant(base, (msn) => `seg-${this.tag}-${msn}.ts`, () => '')
      : null;
    // LL-HLS keeps twice the window: delta updates may only skip segments older than six
    // target durations (rfc8216bis §4.4.3.8), so a short window would never skip anything.
    this.ll = options.lowLatency
      ? new HlsVariant(
          { ...base, windowSegments: options.windowSegments * 2, partTargetSec: options.partTargetMs / 1000 },
          (msn) => `ll-${this.tag}-${msn}.m4s`,
          (msn, index) => `ll-${this.tag}-${msn}.${index}.m4s`,
        )
      : null;
  }

  /**
   * Starts from what the stream holds now, its headers and current GOP, so an output started
   * for a player has a segment under way at once. The GOP arrived over the last seconds, so its
   * frames are dated back from now by their distance to its newest one, not as if just made.
   */
  catchUp(): void {
    const { videoHeader, audioHeader, gop } = this.stream;
    const newest = gop[gop.length - 1];
    this.catchUpUntil = newest ? newest.timestampMs * TICKS_PER_MS : null;
    try {
      for (const header of [videoHeader, audioHeader]) if (header) this.onPacket(header);
      for (const packet of gop) this.onPacket(packet);
    } finally {
      this.catchUpUntil = null;
    }
  }

  /** Called once when the output has ended and its window has been served. */
  onEnded(listener: () => void): void {
    this.endedListeners.push(listener);
  }

  onPacket(packet: MediaPacket): void {
    if (packet.type === FlvTagType.Script) return;
    if (packet.discontinuity) this.timelineJumped = true;
    let events: DemuxEvent[];
    try {
      events = this.demuxer.push(packet.type, packet.timestampMs, packet.body, packet);
    } catch (err) {
      // The publisher's edge already let this tag through; HLS skips what it cannot read, and
      // says so once per stream so a stream with a silent HLS gap can be told from a healthy one.
      this.unreadableTags++;
      if (this.unreadableTags === 1) this.log.warn('HLS skipped a tag it could not read (logged once per stream)', { reason: (err as Error).message });
      return;
    }
    for (const event of events) {
      if (event.type === 'track') this.onTrack();
      else this.onFrame(event.frame);
    }
  }

  onPublisherStart(): void {}

  onPublisherStop(): void {
    this.closeSegment();
    this.markDiscontinuity();
  }

  onStreamEnd(): void {
    this.closeSegment();
    this.ts?.end();
    this.ll?.end();
    // The window stays for the players finishing it; the muxing state goes now.
    this.tsMuxer = null;
    this.fmp4Muxer = null;
    this.trackStates.clear();
    for (const listener of this.endedListeners) listener();
    this.endedListeners = [];
  }

  /** Wakes every blocked request: the output is going away. */
  dispose(): void {
    this.ts?.releaseAll();
    this.ll?.releaseAll();
  }

  private onTrack(): void {
    // A new or changed sequence header: what follows needs new muxers and a fresh start.
    this.closeSegment();
    this.markDiscontinuity();
    const video = this.demuxer.videoTrack;
    const audio = this.demuxer.audioTrack;
    this.tracks = [video, audio].filter((t): t is Track => t !== null);
    this.tsMuxer = null;
    this.fmp4Muxer = null;
    if (this.ts) {
      const unsupported = this.tracks.filter((t) => !isTsSupported(t));
      if (unsupported.length > 0) this.warnOnce('ts', unsupported);
      else this.tsMuxer = this.build('ts', () => new TsMuxer({ ...(video ? { video } : {}), ...(audio ? { audio } : {}) }));
    }
    if (this.ll) {
      const unsupported = this.tracks.filter((t) => !isFmp4Supported(t));
      if (unsupported.length > 0) this.warnOnce('ll', unsupported);
      else this.fmp4Muxer = this.build('ll', () => new Fmp4Muxer(this.tracks));
      if (this.fmp4Muxer) this.ll.setInit(`init-${this.tag}-${this.initCount++}.mp4`, this.fmp4Muxer.initSegment());
    }
    this.ts?.setUnavailable(this.tsMuxer === null);
    this.ll?.setUnavailable(this.fmp4Muxer === null);
  }

  /** A muxer refuses a sequence header it cannot read: that variant is off until the next one. */
  private build<T>(variant: string, create: () => T): T | null {
    try {
      return create();
    } catch (err) {
      this.log.warn(`${variant === 'ts' ? 'HLS (MPEG-TS)' : 'LL-HLS (fMP4)'} not offered: bad sequence header`, {
        reason: (err as Error).message,
      });
      return null;
    }
  }

  private warnOnce(variant: string, tracks: Track[]): void {
    const codecs = tracks.map((t) => t.codec).join(',');
    const key = `${variant}:${codecs}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(`${variant === 'ts' ? 'HLS (MPEG-TS)' : 'LL-HLS (fMP4)'} not offered: codec not supported`, { codecs });
  }

  private onFrame(frame: MediaFrame): void {
    if (!this.tsMuxer && !this.fmp4Muxer) return;
    const isVideo = frame.trackId === DemuxTrackId.Video;
    const hasVideo = this.demuxer.videoTrack !== null;
    const canStart = hasVideo ? isVideo && frame.keyframe : true;
    const start = this.segmentStartDts;
    if (start !== null) {
      const overCap = frame.dts - start >= this.maxSegmentTicks || this.openBytes + frame.data.byteLength > this.options.maxSegmentBytes;
      if (canStart && (this.timelineJumped || overCap || frame.dts - start >= this.targetTicks)) {
        this.closeSegment(frame);
      } else if (overCap) {
        this.forceCut(frame);
      }
    }
    if (this.segmentStartDts === null) {
      if (!canStart) return; // wait for a keyframe: every segment starts decodable
      if (this.timelineJumped) {
        this.markDiscontinuity();
        this.timelineJumped = false;
      }
      this.openSegment(frame.dts);
    }
    this.openBytes += frame.data.byteLength;
    if (this.fmp4Muxer) this.addToPart(frame, isVideo, hasVideo);
    if (this.tsMuxer) {
      try {
        this.tsChunks.push(this.tsMuxer.writeFrame(frame));
      } catch (err) {
        this.log.warn('HLS (MPEG-TS) skipped a frame it could not mux', { reason: (err as Error).message });
      }
    }
    this.track(frame);
  }

  /** The open segment hit a cap with no keyframe in sight: end it here and drop until one comes. */
  private forceCut(next: MediaFrame): void {
    this.closeSegment(next);
    this.markDiscontinuity();
    this.forcedCuts++;
    if (this.forcedCuts === 1) {
      this.log.warn('HLS segment cut at its cap without a keyframe; dropping until the next keyframe', {
        maxSegmentMs: this.options.maxSegmentMs,
        maxSegmentBytes: this.options.maxSegmentBytes,
      });
    }
  }

  private addToPart(frame: MediaFrame, isVideo: boolean, hasVideo: boolean): void {
    const pending = this.partFrames.size > 0;
    if (pending && (isVideo || !hasVideo)) {
      const delta = this.trackStates.get(frame.trackId)?.lastDelta ?? 0;
      const held = frame.dts - this.partStartDts;
      // A part ends at the frame boundary nearest its target, not the last one under it: at a
      // frame rate the target does not divide (29.97 or 24 fps at 200 ms) every part would
      // otherwise fall short of 85% of PART-TARGET (rfc8216bis §4.4.4.9). The playlist's
      // PART-TARGET is the longest part listed, so it stays at least every part's duration.
      const tooLong = held + delta > this.partTicks + delta / 2;
      // A keyframe starts a part, so every GOP (not only every segment) has an INDEPENDENT part
      // where a player can join, unless the part before it would fall short of that 85% floor
      // (of the longest a part can be, which PART-TARGET may become).
      const keyframeStarts = isVideo && frame.keyframe && held >= MIN_PART_SHARE * (this.partTicks + delta / 2);
      if (tooLong || keyframeStarts || this.partBytes + frame.data.byteLength > this.options.maxPartBytes) this.closePart(frame);
    }
    if (this.partFrames.size === 0) {
      this.partStartDts = frame.dts;
      this.partIndependent = !hasVideo || (isVideo && frame.keyframe);
    }
    let list = this.partFrames.get(frame.trackId);
    if (!list) {
      list = [];
      this.partFrames.set(frame.trackId, list);
    }
    list.push(frame);
    this.partBytes += frame.data.byteLength;
  }

  private track(frame: MediaFrame): void {
    const state = this.trackStates.get(frame.trackId);
    if (!state) this.trackStates.set(frame.trackId, { lastDts: frame.dts, lastDelta: 0 });
    else {
      if (frame.dts > state.lastDts) state.lastDelta = frame.dts - state.lastDts;
      state.lastDts = frame.dts;
    }
  }

  /** Where the frames so far end: the next frame's dts, or the last one plus its usual spacing. */
  private endOf(trackId: number, next?: MediaFrame): number {
    if (next && next.trackId === trackId) return next.dts;
    const state = this.trackStates.get(trackId);
    return state ? state.lastDts + Math.max(state.lastDelta, 1) : 0;
  }

  /** What follows does not continue what came before: both variants say so, and the date anchor goes. */
  private markDiscontinuity(): void {
    this.ts?.markDiscontinuity();
    this.ll?.markDiscontinuity();
    this.dateAnchor = null;
  }

  /**
   * EXT-X-PROGRAM-DATE-TIME of a segment starting at `dts`: the wall clock when the timeline's
   * first segment began plus the media time since, so consecutive dates differ by exactly the
   * durations between them (as ffmpeg's HLS muxer writes them). Dates read from the clock at
   * each cut would carry the arrival jitter of every keyframe, and hls.js, which aligns the
   * playlists it reloads on these dates, would shift its timeline by that jitter while joining
   * and then jump to the start of its buffer instead of its live start position. A publisher
   * whose clock runs away from ours by more than MAX_DATE_DRIFT_MS is anchored again.
   */
  private programDateTime(dts: number): number {
    const now = this.now();
    const anchor = this.dateAnchor;
    if (anchor) {
      const dated = anchor.wallMs + (dts - anchor.dts) / TICKS_PER_MS;
      if (Math.abs(dated - now) <= MAX_DATE_DRIFT_MS) return Math.round(dated);
    }
    const wallMs = this.catchUpUntil === null ? now : Math.round(now - Math.max(0, this.catchUpUntil - dts) / TICKS_PER_MS);
    this.dateAnchor = { wallMs, dts };
    return wallMs;
  }

  private openSegment(dts: number): void {
    this.segmentStartDts = dts;
    const programDateTimeMs = this.programDateTime(dts);
    if (this.tsMuxer) this.ts?.startSegment(programDateTimeMs);
    if (this.fmp4Muxer) this.ll?.startSegment(programDateTimeMs);
    this.tsChunks = this.tsMuxer ? [this.tsMuxer.writeTables()] : [];
    this.openBytes = 0;
  }

  private closePart(next?: MediaFrame): void {
    if (!this.fmp4Muxer || !this.ll || this.partFrames.size === 0) return;
    const inputs = this.tracks
      .filter((t) => this.partFrames.has(t.id))
      .map((t) => ({ trackId: t.id, frames: this.partFrames.get(t.id)!, endDts: this.endOf(t.id, next) }));
    const end = next ? next.dts : Math.max(...inputs.map((i) => i.endDts));
    const bytes = this.fmp4Muxer.fragment(this.fragmentSequence++, inputs);
    // frames stamped alike still make a part of some duration: a playlist needs it positive
    this.ll.addPart(bytes, Math.max(end - this.partStartDts, 1) / MEDIA_TIMESCALE, this.partIndependent);
    this.partFrames = new Map();
    this.partBytes = 0;
  }

  private closeSegment(next?: MediaFrame): void {
    const start = this.segmentStartDts;
    if (start === null) return;
    this.closePart(next);
    let end = next ? next.dts : start;
    if (!next) for (const t of this.tracks) end = Math.max(end, this.endOf(t.id));
    const durationSec = Math.max(end - start, 1) / MEDIA_TIMESCALE;
    if (this.ts?.open) this.ts.finishSegment(concatBytes(this.tsChunks), durationSec);
    if (this.ll?.open) this.ll.finishSegmentFromParts(durationSec);
    this.segmentStartDts = null;
    this.tsChunks = [];
    this.openBytes = 0;
  }
}

