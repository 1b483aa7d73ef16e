// Recording file names: `{startMs}-{durationMs}.{mp4|ts}`, start as UTC milliseconds, so the
// index of a stream directory can be rebuilt from its listing alone (no sidecar to get out of
// step after a crash). A segment being written has a dot-name that no listing mistakes for one.
import type { RecordingFormat } from '../shared/config-protocol.ts';

export const SEGMENT_EXTENSION: Readonly<Record<RecordingFormat, string>> = { fmp4: 'mp4', ts: 'ts' };

export type SegmentName = Readonly<{ startMs: number; durationMs: number; format: RecordingFormat }>;

const NAME = /^(\d{1,15})-(\d{1,10})\.(mp4|ts)$/;
const TEMP = /^\.rec-([0-9a-z]+)-\d+\.tmp$/;

export function formatSegmentName(segment: SegmentName): string {
  if (!Number.isSafeInteger(segment.startMs) || segment.startMs < 0) throw new RangeError(`segment start ${segment.startMs}`);
  if (!Number.isSafeInteger(segment.durationMs) || segment.durationMs < 0) throw new RangeError(`segment duration ${segment.durationMs}`);
  return `${segment.startMs}-${segment.durationMs}.${SEGMENT_EXTENSION[segment.format]}`;
}

/** The segment a file name describes, or null for anything else (temporary files, strays). */
export function parseSegmentName(fileName: string): SegmentName | null {
  const match = NAME.exec(fileName);
  if (!match) return null;
  const startMs = Number(match[1]);
  const durationMs = Number(match[2]);
  if (!Number.isSafeInteger(startMs)) return null;
  return { startMs, durationMs, format: match[3] === 'mp4' ? 'fmp4' : 'ts' };
}

/** Where a segment is written before its rename; `owner` tells this process's files from a dead one's. */
export function formatTempName(owner: string, sequence: number): string {
  return `.rec-${owner}-${sequence}.tmp`;
}

/** The owner token of a temporary name, or null when the name is not one. */
export function tempNameOwner(fileName: string): string | null {
  return TEMP.exec(fileName)?.[1] ?? null;
}
