// HLS playlists of recorded segments (rfc8216bis §4.4): a VOD playlist of a recorded range
// (PLAYLIST-TYPE:VOD, ENDLIST) and a sliding live playlist that trails live by a time shift.
// Every segment carries its wall-clock start (PROGRAM-DATE-TIME, from its file name); a
// DISCONTINUITY marks where the recording has a gap or the publisher restarted, and fMP4 runs
// start with an EXT-X-MAP of their own first file's init. Pure: index entries in, text out.
import { formatDateTime, formatDecimal, HlsDecimals, HlsTag, HlsVersion } from '../remux/hls-playlist-format.ts';
import { SEGMENT_EXTENSION } from './segment-name.ts';
import type { RecordedSegment } from './recording-index.ts';

export type PlaylistSegment = Pick<RecordedSegment, 'startMs' | 'durationMs' | 'format' | 'sizeBytes'>;

/** A segment that starts further than this from the previous one's end begins a new run. */
export const DISCONTINUITY_TOLERANCE_MS = 100;
/** segments in a time-shift playlist */
export const SHIFT_WINDOW_SEGMENTS = 6;

/** rfc8216bis §4.4.3.5: the playlist never changes */
const PLAYLIST_TYPE_VOD = '#EXT-X-PLAYLIST-TYPE:VOD';
const RECORDED_URI = /^rec-(\d{1,15})-(\d{1,10})\.(m4s|ts|init\.mp4)$/;

/** The URI a playlist names a segment's media by (fMP4: the fragment; TS: the file). */
export function recordedMediaUri(s: Pick<RecordedSegment, 'startMs' | 'durationMs' | 'format'>): string {
  return `rec-${s.startMs}-${s.durationMs}.${s.format === 'fmp4' ? 'm4s' : 'ts'}`;
}

/** The URI of an fMP4 segment's init (ftyp + moov of the same file). */
export function recordedInitUri(s: Pick<RecordedSegment, 'startMs' | 'durationMs'>): string {
  return `rec-${s.startMs}-${s.durationMs}.init.mp4`;
}

export type RecordedUri = Readonly<{ fileName: string; part: 'media' | 'init' }>;

/** The recording file a URI names and which part of it, or null when it names none. */
export function parseRecordedUri(uri: string): RecordedUri | null {
  const match = RECORDED_URI.exec(uri);
  if (!match) return null;
  const [, start, duration, kind] = match;
  const format = kind === 'ts' ? 'ts' : 'fmp4';
  return { fileName: `${start}-${duration}.${SEGMENT_EXTENSION[format]}`, part: kind === 'init.mp4' ? 'init' : 'media' };
}

type RunMember = Pick<RecordedSegment, 'startMs' | 'durationMs' | 'format'>;

/** Whether `next` does not continue `previous` on one timeline. */
export function startsNewRun(previous: RunMember, next: RunMember): boolean {
  return previous.format !== next.format || Math.abs(next.startMs - (previous.startMs + previous.durationMs)) > DISCONTINUITY_TOLERANCE_MS;
}

/** Index of the first segment (sorted by start) whose start is at or after `ms`. */
function lowerBound(segments: readonly PlaylistSegment[], ms: number): number {
  let lo = 0;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.startMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The whole segments (sorted by start) that overlap [startMs, endMs): cut at their keyframe starts. */
export function selectRange<T extends PlaylistSegment>(segments: readonly T[], startMs: number, endMs: number): T[] {
  // A segment that starts before the range may reach into it: step back over the longest one could be.
  let first = lowerBound(segments, startMs);
  while (first > 0 && segments[first - 1]!.startMs + segments[first - 1]!.durationMs > startMs) first--;
  const out: T[] = [];
  for (let i = first; i < segments.length && segments[i]!.startMs < endMs; i++) {
    const s = segments[i]!;
    if (s.startMs + s.durationMs > startMs) out.push(s);
  }
  return out;
}

type Entries = Readonly<{ segments: readonly PlaylistSegment[]; mediaSequence: number; discontinuitySequence: number }>;

function render(header: readonly string[], entries: Entries, ended: boolean): string {
  const { segments } = entries;
  const maxDurationMs = Math.max(...segments.map((s) => s.durationMs));
  const fmp4 = segments.some((s) => s.format === 'fmp4');
  const lines = [
    HlsTag.Header,
    `${HlsTag.Version}${fmp4 ? HlsVersion.Map : HlsVersion.DecimalDuration}`,
    `${HlsTag.TargetDuration}${Math.max(1, Math.ceil(maxDurationMs / 1000))}`,
    ...header,
    `${HlsTag.MediaSequence}${entries.mediaSequence}`,
  ];
  if (entries.discontinuitySequence > 0) lines.push(`${HlsTag.DiscontinuitySequence}${entries.discontinuitySequence}`);
  if (fmp4) lines.push(HlsTag.IndependentSegments);
  let previous: PlaylistSegment | undefined;
  for (const s of segments) {
    const newRun = previous !== undefined && startsNewRun(previous, s);
    if (newRun) lines.push(HlsTag.Discontinuity);
    if (s.format === 'fmp4' && (previous === undefined || newRun)) lines.push(`${HlsTag.Map}URI="${recordedInitUri(s)}"`);
    lines.push(`${HlsTag.ProgramDateTime}${formatDateTime(s.startMs)}`);
    lines.push(`${HlsTag.Inf}${formatDecimal(s.durationMs / 1000, HlsDecimals.Segment)},`);
    lines.push(recordedMediaUri(s));
    previous = s;
  }
  if (ended) lines.push(HlsTag.EndList);
  return lines.join('\n') + '\n';
}

/** A VOD playlist of the segments that overlap [startMs, endMs), or null when nothing was recorded there. */
export function buildRangePlaylist(segments: readonly PlaylistSegment[], startMs: number, endMs: number): string | null {
  const selected = selectRange(segments, startMs, endMs);
  if (selected.length === 0) return null;
  return render([PLAYLIST_TYPE_VOD], { segments: selected, mediaSequence: 0, discontinuitySequence: 0 }, true);
}

export type ShiftOptions = Readonly<{
  nowMs: number;
  shiftMs: number;
  /** the start of the session's first segment: sequence numbers count from it; null: count from the window */
  anchorMs: number | null;
  windowSegments?: number;
}>;

export type ShiftPlaylist = Readonly<{ playlist: string; firstStartMs: number; peakBitsPerSec: number }>;

/**
 * A live playlist of the last segments complete by `nowMs - shiftMs` (no ENDLIST: the player
 * reloads and the window slides with the clock). Media and discontinuity sequence numbers count
 * the segments and runs from the anchor, so they grow by one per segment across reloads.
 * Null when nothing recorded ends by then.
 */
export function buildShiftPlaylist(segments: readonly PlaylistSegment[], options: ShiftOptions): ShiftPlaylist | null {
  const virtualNowMs = options.nowMs - options.shiftMs;
  let last = lowerBound(segments, virtualNowMs + 1) - 1;
  while (last >= 0 && segments[last]!.startMs + segments[last]!.durationMs > virtualNowMs) last--;
  if (last < 0) return null;
  const first = Math.max(0, last - (options.windowSegments ?? SHIFT_WINDOW_SEGMENTS) + 1);
  const window = segments.slice(first, last + 1);
  const anchor = options.anchorMs === null ? first : Math.min(first, lowerBound(segments, options.anchorMs));
  let discontinuitySequence = 0;
  for (let i = anchor + 1; i <= first; i++) if (startsNewRun(segments[i - 1]!, segments[i]!)) discontinuitySequence++;
  const playlist = render([], { segments: window, mediaSequence: first - anchor, discontinuitySequence }, false);
  return { playlist, firstStartMs: window[0]!.startMs, peakBitsPerSec: peakBitsPerSec(window) };
}

/** The highest segment bit rate among these (a multivariant playlist's BANDWIDTH). */
export function peakBitsPerSec(segments: readonly PlaylistSegment[]): number {
  let peak = 1;
  for (const s of segments) if (s.durationMs > 0) peak = Math.max(peak, Math.ceil((s.sizeBytes * 8 * 1000) / s.durationMs));
  return peak;
}
