// Checks a ConfigSnapshot received from the config server (or read back from the engine's own
// cache file) before anything acts on it: a bad snapshot is refused whole, never half applied.
import {
  CONFIG_PROTOCOL_VERSION,
  OUTAGE_POLICIES,
  PLAY_POLICIES,
  PUBLISH_POLICIES,
  RECORDING_FORMATS,
  type AppSettings,
  type ConfigSnapshot,
  type RecordingSettings,
  SNAPSHOT_LIMITS,
  SOURCE_TYPES,
  type SnapshotSettings,
} from '../../shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/engine-config.ts';

export class SnapshotError extends Error {}


type Obj = Record<string, unknown>;

function obj(value: unknown, what: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SnapshotError(`${what}: not an object`);
  return value as Obj;
}

function str(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new SnapshotError(`${what}.${key}: not a string`);
  return v;
}

function int(o: Obj, key: string, what: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SnapshotError(`${what}.${key}: not an integer in ${min}..${max}`);
  return v;
}

function bool(o: Obj, key: string, what: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new SnapshotError(`${what}.${key}: not a boolean`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, what: string, allowed: readonly T[]): T {
  const v = str(o, key, what);
  if (!allowed.includes(v as T)) throw new SnapshotError(`${what}.${key}: '${v}' is not one of ${allowed.join(', ')}`);
  return v as T;
}

function parseRecording(value: unknown, what: string): RecordingSettings {
  const o = obj(value, what);
  const path = str(o, 'path', what);
  // the engine writes and deletes under this directory: only an absolute path without '..' parts
  if (!path.startsWith('/') || path.split('/').includes('..') || path.includes('\0')) throw new SnapshotError(`${what}.path: not an absolute path`);
  return {
    enabled: bool(o, 'enabled', what),
    format: oneOf(o, 'format', what, RECORDING_FORMATS),
    segmentDurationSec: int(o, 'segmentDurationSec', what, 1, 3600),
    path,
    retentionDays: int(o, 'retentionDays', what, 0, 36_500),
    quotaMb: int(o, 'quotaMb', what, 0, Number.MAX_SAFE_INTEGER),
  };
}

function parseSnapshot(value: unknown, what: string): SnapshotSettings {
  const o = obj(value, what);
  const { intervalSec, keep } = SNAPSHOT_LIMITS;
  return {
    enabled: bool(o, 'enabled', what),
    intervalSec: int(o, 'intervalSec', what, intervalSec.min, intervalSec.max),
    keep: int(o, 'keep', what, keep.min, keep.max),
  };
}

function parseApp(value: unknown, index: number): AppSettings {
  const what = `apps[${index}]`;
  const o = obj(value, what);
  const hookUrl = o.hookUrl ?? null;
  if (hookUrl !== null && typeof hookUrl !== 'string') throw new SnapshotError(`${what}.hookUrl: not a string or null`);
  const originUrl = o.originUrl ?? null;
  if (originUrl !== null && typeof originUrl !== 'string') throw new SnapshotError(`${what}.originUrl: not a string or null`);
  // absent from control planes older than the setting, and null when unset: no app listener
  const srtPort = o.srtPort === undefined || o.srtPort === null ? null : int(o, 'srtPort', what, 1, 65_535);
  return {
    name: str(o, 'name', what),
    sourceType: oneOf(o, 'sourceType', what, SOURCE_TYPES),
    hls: bool(o, 'hls', what),
    llHls: bool(o, 'llHls', what),
    publishPolicy: oneOf(o, 'publishPolicy', what, PUBLISH_POLICIES),
    playPolicy: oneOf(o, 'playPolicy', what, PLAY_POLICIES),
    hookUrl,
    ...(originUrl !== null ? { originUrl } : {}),
    ...(srtPort !== null ? { srtPort } : {}),
    // absent from control planes older than the setting: the default applies
    ...(o.outagePolicy === undefined ? {} : { outagePolicy: oneOf(o, 'outagePolicy', what, OUTAGE_POLICIES) }),
    ...(o.recording === undefined || o.recording === null ? {} : { recording: parseRecording(o.recording, `${what}.recording`) }),
    ...(o.snapshot === undefined || o.snapshot === null ? {} : { snapshot: parseSnapshot(o.snapshot, `${what}.snapshot`) }),
  };
}

/** A snapshot as the contract defines it, or a SnapshotError saying what is wrong. */
export function parseConfigSnapshot(value: unknown): ConfigSnapshot {
  const o = obj(value, 'snapshot');
  const version = o.protocolVersion;
  if (version !== CONFIG_PROTOCOL_VERSION) {
    throw new SnapshotError(`protocolVersion ${String(version)} is not ${CONFIG_PROTOCOL_VERSION}`);
  }
  const listen = obj(o.listen, 'listen');
  const hls = obj(o.hls, 'hls');
  const targetDurationMs = int(hls, 'targetDurationMs', 'hls', 100, 60_000);
  const partTargetMs = int(hls, 'partTargetMs', 'hls', 10, 20_000);
  if (partTargetMs * 3 > targetDurationMs) throw new SnapshotError('hls.partTargetMs must be at most a third of hls.targetDurationMs');
  if (!Array.isArray(o.apps)) throw new SnapshotError('apps: not an array');
  const apps = o.apps.map(parseApp);
  const names = new Set(apps.map((a) => a.name));
  if (names.size !== apps.length) throw new SnapshotError('apps: duplicate names');
  return {
    protocolVersion: version,
    revision: int(o, 'revision', 'snapshot', 0, Number.MAX_SAFE_INTEGER),
    listen: {
      rtmpHost: str(listen, 'rtmpHost', 'listen'),
      rtmpPort: int(listen, 'rtmpPort', 'listen', 0, 65535),
      httpHost: str(listen, 'httpHost', 'listen'),
      httpPort: int(listen, 'httpPort', 'listen', 0, 65535),
    },
    hls: {
      targetDurationMs,
      partTargetMs,
      windowSegments: int(hls, 'windowSegments', 'hls', 1, 1000),
      // absent (a config server from before HLS on demand): the engine's defaults
      alwaysRemux: hls.alwaysRemux === undefined ? DEFAULT_ENGINE_CONFIG.hls.alwaysRemux : bool(hls, 'alwaysRemux', 'hls'),
      muxerCloseAfterMs: hls.muxerCloseAfterMs === undefined ? DEFAULT_ENGINE_CONFIG.hls.muxerCloseAfterMs : int(hls, 'muxerCloseAfterMs', 'hls', 1000, 86_400_000),
    },
    apps,
    // Pull sources and forward targets belong to the relay work; carried through unchecked.
    pulls: Array.isArray(o.pulls) ? (o.pulls as ConfigSnapshot['pulls']) : [],
    forwards: Array.isArray(o.forwards) ? (o.forwards as ConfigSnapshot['forwards']) : [],
  };
}
