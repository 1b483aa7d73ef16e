// HLS pull, the media half (no I/O): MPEG-TS segments in, FLV tags out on one monotonic millisecond timeline.
// Discontinuities (tagged, a skipped segment, or a timestamp jump) rebase the timeline just after what was sent.
import { ElementaryTagEncoder } from '../flv/encode-elementary.ts';
import type { EncodedTag } from '../flv/encode-tag.ts';
import { TsDemuxer, type TsAccessUnit, type TsDemuxEvent, type TsTrack } from '../remux/ts-demuxer.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

const TICKS_PER_SECOND = 90_000;
const TICKS_PER_MS = 90;
/** gap left after the last tag when a new timeline is joined on: about one video frame */
const REBASE_GAP_TICKS = 3_600;
/** a segment starting this far off from where the previous one ended is a discontinuity */
const MIN_JUMP_TICKS = 10 * TICKS_PER_SECOND;
/** a segment may start a little before the previous one ended (audio/video interleave), not more */
const MAX_BACKWARDS_TICKS = TICKS_PER_SECOND;
const TS_SYNC_BYTE = 0x47;

export type SegmentInput = Readonly<{
  bytes: Uint8Array;
  /** tagged EXT-X-DISCONTINUITY, or segments were skipped before this one */
  discontinuity: boolean;
  /** target duration, to size the jump that counts as an untagged discontinuity */
  targetDurationSec: number;
}>;

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

  convert(segment: SegmentInput): SegmentOutput {
    if (segment.bytes.length > 0 && segment.bytes[0] !== TS_SYNC_BYTE) {
      throw new ProtocolError(ProtocolErrorCode.Unsupported, 'HLS: segment is not MPEG-TS (fMP4 segments are not supported yet)');
    }
    if (segment.discontinuity) this.discontinue();
    let events: TsDemuxEvent[] = [...this.demuxer.push(segment.bytes), ...this.demuxer.flush()];
    const units = events.filter((e): e is TsDemuxEvent & TsAccessUnit => e.kind === 'access-unit');
    let continuityGaps = 0;
    for (const e of events) {
      if (e.kind === 'tracks') this.tracks = e.tracks;
      else if (e.kind === 'continuity-gap') continuityGaps++;
    }
    events = [];
    const out: SegmentOutput = { tags: [], tracks: this.tracks, continuityGaps, dropped: 0 };
    if (units.length === 0) return out;
    let minDts = Infinity;
    let maxDts = -Infinity;
    for (const u of units) {
      minDts = Math.min(minDts, u.dtsTicks90k);
      maxDts = Math.max(maxDts, u.dtsTicks90k);
    }
    const jumpTicks = Math.max(MIN_JUMP_TICKS, 3 * segment.targetDurationSec * TICKS_PER_SECOND);
    if (this.offset === undefined) {
      this.offset = -minDts;
    } else if (
      this.lastInputDts === undefined ||
      minDts > this.lastInputDts + jumpTicks ||
      minDts < this.lastInputDts - MAX_BACKWARDS_TICKS
    ) {
      this.offset = this.highWaterTicks + REBASE_GAP_TICKS - minDts;
      if (this.lastInputDts !== undefined) this.encoder.reset();
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
      for (const tag of this.encoder.encode(u.codec, dts, pts, u.data)) {
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
  }
}
