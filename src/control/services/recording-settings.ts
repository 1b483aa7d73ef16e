// Per-app recording settings (issue 13): defaults, validation of a create or a patch, and what
// the engine gets in its snapshot. The path is on the engine's host; the control plane checks
// its form (absolute, no '..'), the engine creates it and reports a path it cannot use.
import { RECORDING_FORMATS, type RecordingSettings } from '../../shared/config-protocol.ts';
import { invalid } from './errors.ts';
import type { AppRecording, AppRecordingInput } from './types.ts';
import { checkBoolean, checkInteger, checkOneOf } from './validation.ts';

export const DEFAULT_APP_RECORDING: AppRecording = {
  enabled: false,
  format: 'fmp4',
  segmentDurationSec: 6,
  path: null,
  retentionDays: 0,
  quotaMb: 0,
};

export const RECORDING_LIMITS = {
  segmentDurationSec: { min: 1, max: 3600 },
  retentionDays: { min: 0, max: 36_500 },
  /** 1 PiB */
  quotaMb: { min: 0, max: 1024 ** 3 },
  pathMaxChars: 1024,
} as const;

export function checkRecordingPath(path: unknown, field = 'recording.path'): string {
  if (typeof path !== 'string' || path.length === 0) throw invalid(field, 'the storage path must be a non-empty string');
  if (path.length > RECORDING_LIMITS.pathMaxChars) throw invalid(field, `the storage path is longer than ${RECORDING_LIMITS.pathMaxChars} characters`);
  if (!path.startsWith('/')) throw invalid(field, 'the storage path must be absolute (start with /)');
  if (path.split('/').includes('..')) throw invalid(field, "the storage path may not contain '..'");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw invalid(field, 'the storage path may not contain control characters');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** `current` with the fields `input` sends, each checked; turning recording on needs a path. */
export function mergeRecording(current: AppRecording, input: AppRecordingInput | undefined): AppRecording {
  if (input === undefined) return current;
  if (typeof input !== 'object' || input === null) throw invalid('recording', 'recording must be an object');
  const { min: segMin, max: segMax } = RECORDING_LIMITS.segmentDurationSec;
  const next: AppRecording = {
    enabled: input.enabled === undefined ? current.enabled : checkBoolean(input.enabled, 'recording.enabled'),
    format: input.format === undefined ? current.format : checkOneOf(input.format, RECORDING_FORMATS, 'recording.format'),
    segmentDurationSec:
      input.segmentDurationSec === undefined ? current.segmentDurationSec : checkInteger(input.segmentDurationSec, 'recording.segmentDurationSec', segMin, segMax),
    path: input.path === undefined ? current.path : input.path === null ? null : checkRecordingPath(input.path),
    retentionDays:
      input.retentionDays === undefined
        ? current.retentionDays
        : checkInteger(input.retentionDays, 'recording.retentionDays', RECORDING_LIMITS.retentionDays.min, RECORDING_LIMITS.retentionDays.max),
    quotaMb: input.quotaMb === undefined ? current.quotaMb : checkInteger(input.quotaMb, 'recording.quotaMb', RECORDING_LIMITS.quotaMb.min, RECORDING_LIMITS.quotaMb.max),
  };
  if (next.enabled && next.path === null) throw invalid('recording.path', 'recording needs a storage path (absolute, on the engine host)');
  return next;
}

export function sameRecording(a: AppRecording, b: AppRecording): boolean {
  return (
    a.enabled === b.enabled &&
    a.format === b.format &&
    a.segmentDurationSec === b.segmentDurationSec &&
    a.path === b.path &&
    a.retentionDays === b.retentionDays &&
    a.quotaMb === b.quotaMb
  );
}

/**
 * What the engine gets: nothing without a path; with one, the settings even while recording is
 * off, so retention and quota keep applying to what was recorded before.
 */
export function recordingForEngine(recording: AppRecording): RecordingSettings | undefined {
  return recording.path === null ? undefined : { ...recording, path: recording.path };
}
