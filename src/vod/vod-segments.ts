// On-the-fly HLS for a plain MP4 (RFC 8216 §4.3, fMP4 segments per §3.3): segments cut at the video
// track's sync samples at or after a target duration (audio alone: at any sample), the VOD media
// playlist that lists them, and the frames of one segment read out of the file's bytes for the
// fMP4 muxer. No transcoding: samples go out as they are in the file.
import type { MediaFrame } from '../media/types.ts';
import { ProtocolErrorCode } from '../shared/protocol-error.ts';
import { mp4Fail } from './mp4-box.ts';
import type { Mp4Movie, VodTrack } from './mp4-movie.ts';

/** Samples [first, end) of one track of the movie (by position in movie.tracks). */
export type SampleRange = Readonly<{ track: number; first: number; end: number }>;

export type VodSegment = Readonly<{ startSec: number; durationSec: number; ranges: readonly SampleRange[] }>;

/** Where a segment's samples are in the file: one read of [start, end) covers them all. */
export type ByteSpan = Readonly<{ start: number; end: number; sampleBytes: number }>;

export const VOD_INIT_URI = 'init.mp4';
export const vodSegmentUri = (index: number): string => `seg-${index}.m4s`;
const SEGMENT_URI = /^seg-(0|[1-9][0-9]{0,8})\.m4s$/;

/** The segment index a URI names, or null when it names none. */
export function parseSegmentUri(name: string): number | null {
  const match = SEGMENT_URI.exec(name);
  return match ? Number(match[1]) : null;
}

/** Sample indexes where segments of `vod` start: sync samples at least `targetSec` after the previous cut. */
function cutPoints(vod: VodTrack, targetSec: number, syncOnly: boolean): number[] {
  const { table, track } = vod;
  const cuts = [0];
  const targetTicks = targetSec * track.timescale;
  for (let i = 1; i < table.count; i++) {
    if (syncOnly && table.sync[i] !== 1) continue;
    if (table.dts[i]! - table.dts[cuts[cuts.length - 1]!]! >= targetTicks) cuts.push(i);
  }
  return cuts;
}

/**
 * The segments of a plain MP4: the first track (video when there is one) sets the cuts, the other
 * track's samples go to the segment whose time span holds their decode time.
 */
export function planSegments(movie: Mp4Movie, targetSec: number): VodSegment[] {
  if (movie.fragmented) mp4Fail('a fragmented file has no sample tables to segment', ProtocolErrorCode.BadState);
  const lead = movie.tracks[0]!;
  if (lead.table.count === 0) mp4Fail(`the ${lead.track.kind} track has no samples`);
  const cuts = cutPoints(lead, targetSec, lead.track.kind === 'video');
  const leadScale = lead.track.timescale;
  const bounds = cuts.map((i) => lead.table.dts[i]! / leadScale);
  const endSec = lead.table.endDts / leadScale;
  const others = movie.tracks.slice(1).map((vod, index) => ({ vod, index: index + 1, next: 0 }));
  const segments: VodSegment[] = [];
  for (let k = 0; k < cuts.length; k++) {
    const last = k === cuts.length - 1;
    const ranges: SampleRange[] = [{ track: 0, first: cuts[k]!, end: last ? lead.table.count : cuts[k + 1]! }];
    for (const other of others) {
      const first = other.next;
      const { dts, count } = other.vod.table;
      const scale = other.vod.track.timescale;
      if (last) other.next = count;
      else while (other.next < count && dts[other.next]! / scale < bounds[k + 1]!) other.next++;
      if (other.next > first) ranges.push({ track: other.index, first, end: other.next });
    }
    const startSec = bounds[k]!;
    segments.push({ startSec, durationSec: (last ? endSec : bounds[k + 1]!) - startSec, ranges });
  }
  return segments;
}

/** EXT-X-PLAYLIST-TYPE:VOD media playlist of fMP4 segments; `uriQuery` (a viewer's token) goes on every URI. */
export function writeVodPlaylist(segments: readonly VodSegment[], uriQuery = ''): string {
  const suffix = uriQuery.length > 0 ? `?${uriQuery}` : '';
  const target = segments.reduce((max, s) => Math.max(max, Math.ceil(s.durationSec)), 1);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${VOD_INIT_URI}${suffix}"`,
  ];
  segments.forEach((segment, index) => lines.push(`#EXTINF:${segment.durationSec.toFixed(3)},`, vodSegmentUri(index) + suffix));
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

/** The file span holding one range's samples (a track's samples of a segment sit together in an interleaved file). */
export function rangeByteSpan(movie: Mp4Movie, range: SampleRange): ByteSpan {
  const { offsets, sizes } = movie.tracks[range.track]!.table;
  let start = Infinity;
  let end = 0;
  let sampleBytes = 0;
  for (let i = range.first; i < range.end; i++) {
    start = Math.min(start, offsets[i]!);
    end = Math.max(end, offsets[i]! + sizes[i]!);
    sampleBytes += sizes[i]!;
  }
  return start === Infinity ? { start: 0, end: 0, sampleBytes: 0 } : { start, end, sampleBytes };
}

export type SegmentTrackFrames = Readonly<{ trackId: number; frames: MediaFrame[]; endDts: number }>;

/**
 * The frames of a segment for Fmp4Muxer.fragment: `read(offset, size)` gives a sample's bytes
 * (from a span read once, or the file). endDts is the next segment's first decode time.
 */
export function segmentFrames(movie: Mp4Movie, segment: VodSegment, read: (offset: number, size: number) => Uint8Array): SegmentTrackFrames[] {
  return segment.ranges.map((range) => {
    const { track, table } = movie.tracks[range.track]!;
    const frames: MediaFrame[] = [];
    for (let i = range.first; i < range.end; i++) {
      const dts = table.dts[i]!;
      frames.push({ trackId: track.id, dts, pts: dts + table.ctsOffsets[i]!, keyframe: table.sync[i] === 1, data: read(table.offsets[i]!, table.sizes[i]!) });
    }
    return { trackId: track.id, frames, endDts: range.end < table.count ? table.dts[range.end]! : table.endDts };
  });
}
