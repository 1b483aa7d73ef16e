// The index of recorded segments: rebuilt from file names alone (segment-name.ts), kept sorted
// by start time, and summarized as continuous ranges for listing and look-back.
import { parseSegmentName } from './segment-name.ts';
import type { RecordingFormat } from '../shared/config-protocol.ts';

export type RecordedSegment = Readonly<{
  stream: string;
  fileName: string;
  startMs: number;
  durationMs: number;
  format: RecordingFormat;
  sizeBytes: number;
}>;

export type RecordedFile = Readonly<{ stream: string; fileName: string; sizeBytes: number }>;

export type RecordedRange = Readonly<{ startMs: number; endMs: number; segments: number; sizeBytes: number }>;

/** Segments whose starts are this close to the previous end belong to one range. */
export const RANGE_GAP_TOLERANCE_MS = 1000;

export function compareSegments(a: RecordedSegment, b: RecordedSegment): number {
  return a.startMs - b.startMs || a.stream.localeCompare(b.stream) || a.fileName.localeCompare(b.fileName);
}

/** The segments among a directory listing, oldest first; other files are ignored. */
export function rebuildIndex(files: readonly RecordedFile[]): RecordedSegment[] {
  const segments: RecordedSegment[] = [];
  for (const file of files) {
    const name = parseSegmentName(file.fileName);
    if (name) segments.push({ stream: file.stream, fileName: file.fileName, sizeBytes: file.sizeBytes, ...name });
  }
  return segments.sort(compareSegments);
}

/** Continuous stretches of one stream's segments (sorted by start), split where a gap exceeds the tolerance. */
export function recordedRanges(segments: readonly RecordedSegment[], gapToleranceMs = RANGE_GAP_TOLERANCE_MS): RecordedRange[] {
  const ranges: RecordedRange[] = [];
  let open: { startMs: number; endMs: number; segments: number; sizeBytes: number } | null = null;
  for (const s of segments) {
    const endMs = s.startMs + s.durationMs;
    if (open && s.startMs - open.endMs <= gapToleranceMs) {
      open.endMs = Math.max(open.endMs, endMs);
      open.segments++;
      open.sizeBytes += s.sizeBytes;
      continue;
    }
    if (open) ranges.push(open);
    open = { startMs: s.startMs, endMs, segments: 1, sizeBytes: s.sizeBytes };
  }
  if (open) ranges.push(open);
  return ranges;
}
