// Which recorded segments to delete: those past the app's retention, then the oldest until the
// app's files fit its quota. A pure function of (segments, now, limits), so the sweep that acts
// on it is the only part that touches the disk.
import { compareSegments, type RecordedSegment } from './recording-index.ts';

export type RetentionLimits = Readonly<{
  /** 0: no age limit */
  retentionDays: number;
  /** 0: no size limit */
  quotaBytes: number;
}>;

export type RetentionReason = 'age' | 'quota';
export type RetentionDeletion = Readonly<{ segment: RecordedSegment; reason: RetentionReason }>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The deletions, oldest first. A segment counts as old once its end is past the retention. */
export function planRetention(segments: readonly RecordedSegment[], nowMs: number, limits: RetentionLimits): RetentionDeletion[] {
  const sorted = [...segments].sort(compareSegments);
  const deletions: RetentionDeletion[] = [];
  const cutoffMs = limits.retentionDays > 0 ? nowMs - limits.retentionDays * DAY_MS : -Infinity;
  const kept: RecordedSegment[] = [];
  let total = 0;
  for (const s of sorted) {
    if (s.startMs + s.durationMs < cutoffMs) deletions.push({ segment: s, reason: 'age' });
    else {
      kept.push(s);
      total += s.sizeBytes;
    }
  }
  if (limits.quotaBytes > 0) {
    for (let i = 0; i < kept.length && total > limits.quotaBytes; i++) {
      deletions.push({ segment: kept[i]!, reason: 'quota' });
      total -= kept[i]!.sizeBytes;
    }
  }
  return deletions;
}
