// Per-app snapshot settings (issue 13): defaults, validation of a create or a patch (only the fields
// sent change), and what the engine gets in its snapshot (the settings whenever they are on).
import { SNAPSHOT_LIMITS, type SnapshotSettings } from '../../shared/config-protocol.ts';
import { invalid } from './errors.ts';
import type { AppSnapshotInput } from './types.ts';
import { checkBoolean, checkInteger } from './validation.ts';

export const DEFAULT_APP_SNAPSHOT: SnapshotSettings = { enabled: false, intervalSec: 10, keep: 1 };

export function mergeSnapshot(current: SnapshotSettings, input: AppSnapshotInput | undefined): SnapshotSettings {
  if (input === undefined) return current;
  if (typeof input !== 'object' || input === null) throw invalid('snapshot', 'snapshot must be an object');
  const { intervalSec, keep } = SNAPSHOT_LIMITS;
  return {
    enabled: input.enabled === undefined ? current.enabled : checkBoolean(input.enabled, 'snapshot.enabled'),
    intervalSec: input.intervalSec === undefined ? current.intervalSec : checkInteger(input.intervalSec, 'snapshot.intervalSec', intervalSec.min, intervalSec.max),
    keep: input.keep === undefined ? current.keep : checkInteger(input.keep, 'snapshot.keep', keep.min, keep.max),
  };
}

export function sameSnapshot(a: SnapshotSettings, b: SnapshotSettings): boolean {
  return a.enabled === b.enabled && a.intervalSec === b.intervalSec && a.keep === b.keep;
}

/** What the engine gets: the settings while snapshots are on, nothing while they are off. */
export function snapshotForEngine(snapshot: SnapshotSettings): SnapshotSettings | undefined {
  return snapshot.enabled ? snapshot : undefined;
}
