// HLS pull, the media half (no I/O): MPEG-TS or fMP4 (CMAF, with the EXT-X-MAP init section) segments in, FLV tags out
// on one monotonic millisecond timeline.
// Discontinuities (tagged, a skipped segment, or a timestamp jump) rebase the timeline just after what was sent.
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import { ElementaryTagEncoder } from '../flv/encode-elementary.ts';
import { Fmp4TagEncoder } from '../flv/encode-fmp4.ts';
import type { EncodedTag } from '../flv/encode-tag.ts';
import { parseFmp4Init, parseFmp4Segment, type Fmp4Init } from '../remux/fmp4-demuxer.ts';
import { TsDemuxer, type TsAccessUnit, type TsDemuxEvent, type TsTrack } from '../remux/ts-demuxer.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

const TICKS_PER_MS = 90;
/** gap left after the last tag when a new timeline is joined on: about one video frame */
const REBASE_GAP_TICKS = 3_600;
/** a segment starting this far off from where the previous one ended is a discontinuity */
const MIN_JUMP_TICKS = 10 * MEDIA_TIMESCALE;
/** a segment may start a little before the previous one ended (audio/video interleave), not more */
const MAX_BACKWARDS_TICKS = MEDIA_TIMESCALE;
const TS_SYNC_BYTE = 0x47;

export type SegmentInput = Readonly<{
  bytes: Uint8Array;
  /** tagged EXT-X-DISCONTINUITY, or segments were skipped before this one */
  discontinuity: boolean;
  /** target duration, to size the jump that counts as an untagged discontinuity */
  targetDurationSec: number;
  /** the EXT-X-MAP init section in force (fMP4 segments); key identifies it (URI and byte range) */
  init?: Readonly<{ key: string; bytes: Uint8Array }>;
}>;

/** One access unit or sample on its source timeline (90 kHz), with how to turn it into tags once placed. */
type Unit = { pid: number; dtsTicks90k: number; ptsTicks90k: number; encode: (dts: number, pts: number) => EncodedTag[] };

export type SegmentOutput = { tags: EncodedTag[]; tracks: readonly TsTrack[]; continuityGaps: number; dropped: number };

export class HlsSegmentConverter {
  private demuxer = new TsDemuxer();
  private readonly encoder = new ElementaryTagEncoder();
  /** output ticks = input ticks + offset */
  private offset: number | undefined;
  /** highest input DTS of the previous segment (on the current demuxer's timeline) */
  private lastInputDts: number | undefined;
  /** highest output DTS sent, and per PID the last output DTS */
  private highWaterTicks = -1;
  private readonly lastOut = new Map<number, number>();
  private tracks: readonly TsTrack[] = [];
  private readonly fmp4Encoder = new Fmp4TagEncoder();
  private fmp4Init: { key: string; init: Fmp4Init } | undefined;
  /** per fMP4 track_ID, the dts after the last sample (for trafs without tfdt) */
  private fmp4NextDts = new Map<number, number>();

  convert(segment: SegmentInput): SegmentOutput {
    if (segment.discontinuity) this.discontinue();
    if (segment.init) return this.place(segment, this.fmp4Units(segment, segment.init), 0);
    if (segment.bytes.length > 0 && segment.bytes[0] !== TS_SYNC_BYTE) {
      throw new ProtocolError(ProtocolErrorCode.Unsupported, 'HLS: segment is neither MPEG-TS nor fMP4 with an EXT-X-MAP');
    }
    let events: TsDemuxEvent[] = [...this.demuxer.push(segment.bytes), ...this.demuxer.flush()];
    const accessUnits = events.filter((e): e is TsDemuxEvent & TsAccessUnit => e.kind === 'access-unit');
    let continuityGaps = 0;
    for (const e of events) {
      if (e.kind === 'tracks') {
        this.tracks = e.tracks;
        for (const t of e.tracks) if (t.channels !== undefined) this.encoder.configureOpus(t.channels);
      } else if (e.kind === 'continuity-gap') continuityGaps++;
    }
    events = [];
    const units: Unit[] = accessUnits.map((u) => ({
      pid: u.pid,
      dtsTicks90k: u.dtsTicks90k,
      ptsTicks90k: u.ptsTicks90k,
      encode: (dts, pts) => this.encoder.encode(u.codec, dts, pts, u.data, u.startTrimSamples),
    }));
    return this.place(segment, units, continuityGaps);
  }

  /** fMP4 samples of every supported track, in decode order across tracks, on 90 kHz ticks. */
  private fmp4Units(segment: SegmentInput, init: Readonly<{ key: string; bytes: Uint8Array }>): Unit[] {
    if (this.fmp4Init?.key !== init.key) {
      this.fmp4Init = { key: init.key, init: parseFmp4Init(init.bytes) };
      this.fmp4NextDts = new Map();
      this.tracks = this.fmp4Init.init.tracks
        .filter((t) => t.codec !== undefined)
        .map((t) => ({ pid: t.trackId, codec: t.codec!, streamType: 0, kind: t.kind }));
      if (this.tracks.length === 0) {
        const entries = this.fmp4Init.init.tracks.map((t) => t.sampleEntry).join(', ') || 'none';
        throw new ProtocolError(ProtocolErrorCode.Unsupported, `HLS fMP4: no H.264, H.265 or AAC track (sample entries: ${entries})`);
      }
    }
    const { init: parsed } = this.fmp4Init;
    const byId = new Map(parsed.tracks.filter((t) => t.codec !== undefined).map((t) => [t.trackId, t]));
    const units: Unit[] = [];
    for (const frame of parseFmp4Segment(segment.bytes, parsed, this.fmp4NextDts)) {
      const track = byId.get(frame.trackId);
      if (!track) continue;
      const scale = MEDIA_TIMESCALE / track.timescale;
      units.push({
        pid: track.trackId,
        dtsTicks90k: Math.round(frame.dts * scale),
        ptsTicks90k: Math.round(frame.pts * scale),
        encode: (dts, pts) => this.fmp4Encoder.encode(track, dts, pts, frame.data),
      });
    }
    // a segment holds each track's samples one run after another: interleave them for the hub
    return units.sort((a, b) => a.dtsTicks90k - b.dtsTicks90k);
  }

  private place(segment: SegmentInput, units: readonly Unit[], continuityGaps: number): SegmentOutput {
    const out: SegmentOutput = { tags: [], tracks: this.tracks, continuityGaps, dropped: 0 };
    if (units.length === 0) return out;
    let minDts = Infinity;
    let maxDts = -Infinity;
    for (const u of units) {
      minDts = Math.min(minDts, u.dtsTicks90k);
      maxDts = Math.max(maxDts, u.dtsTicks90k);
    }
    const jumpTicks = Math.max(MIN_JUMP_TICKS, 3 * segment.targetDurationSec * MEDIA_TIMESCALE);
    if (this.offset === undefined) {
      this.offset = -minDts;
    } else if (
      this.lastInputDts === undefined ||
      minDts > this.lastInputDts + jumpTicks ||
      minDts < this.lastInputDts - MAX_BACKWARDS_TICKS
    ) {
      this.offset = this.highWaterTicks + REBASE_GAP_TICKS - minDts;
      if (this.lastInputDts !== undefined) {
        this.encoder.reset();
        this.fmp4Encoder.reset();
      }
      this.lastInputDts = undefined;
    }
    this.lastInputDts = Math.max(this.lastInputDts ?? -Infinity, maxDts);
    for (const u of units) {
      const dts = u.dtsTicks90k + this.offset;
      const pts = u.ptsTicks90k + this.offset;
      const last = this.lastOut.get(u.pid);
      if (last !== undefined && dts < last) {
        out.dropped++;
        continue;
      }
      this.lastOut.set(u.pid, dts);
      this.highWaterTicks = Math.max(this.highWaterTicks, dts);
      for (const tag of u.encode(dts, pts)) {
        // audio tags after the first of a PES run ahead of its DTS
        this.highWaterTicks = Math.max(this.highWaterTicks, tag.timestampMs * TICKS_PER_MS);
        out.tags.push(tag);
      }
    }
    return out;
  }

  /** The next segment starts a new timeline (and maybe new codec parameters). */
  discontinue(): void {
    this.demuxer = new TsDemuxer();
    this.lastInputDts = undefined;
    this.encoder.reset();
    this.fmp4Encoder.reset();
    this.fmp4NextDts = new Map();
  }
}
