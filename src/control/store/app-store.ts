// apps table: one row per application (the first path segment of every stream URL).
import type { Database, Statement } from 'bun:sqlite';
import type { AppSettings, OutagePolicy, RecordingFormat, SnapshotSettings } from '../../shared/config-protocol.ts';
import type { RevisionStore } from './revision-store.ts';

/** recording settings as stored: path null until one is set */
export type StoredRecording = Readonly<{
  enabled: boolean;
  format: RecordingFormat;
  segmentDurationSec: number;
  path: string | null;
  retentionDays: number;
  quotaMb: number;
}>;

export type AppRecord = Omit<AppSettings, 'recording' | 'snapshot'> &
  Readonly<{ outagePolicy: OutagePolicy; recording: StoredRecording; snapshot: SnapshotSettings; signingSecret: string; createdAtMs: number }>;

type AppRow = {
  name: string;
  source_type: string;
  hls: number;
  ll_hls: number;
  publish_policy: string;
  play_policy: string;
  hook_url: string | null;
  origin_url: string | null;
  srt_port: number | null;
  outage_policy: string;
  recording_enabled: number;
  recording_format: string;
  recording_segment_sec: number;
  recording_path: string | null;
  recording_retention_days: number;
  recording_quota_mb: number;
  snapshot_enabled: number;
  snapshot_interval_sec: number;
  snapshot_keep: number;
  signing_secret: string;
  created_at_ms: number;
};

function mapAppRow(row: AppRow): AppRecord {
  return {
    name: row.name,
    sourceType: row.source_type as AppRecord['sourceType'],
    hls: row.hls === 1,
    llHls: row.ll_hls === 1,
    publishPolicy: row.publish_policy as AppRecord['publishPolicy'],
    playPolicy: row.play_policy as AppRecord['playPolicy'],
    hookUrl: row.hook_url,
    // absent when unset, so apps without one look as they did before the column existed
    ...(row.origin_url === null ? {} : { originUrl: row.origin_url }),
    ...(row.srt_port === null ? {} : { srtPort: row.srt_port }),
    outagePolicy: row.outage_policy as OutagePolicy,
    recording: {
      enabled: row.recording_enabled === 1,
      format: row.recording_format as RecordingFormat,
      segmentDurationSec: row.recording_segment_sec,
      path: row.recording_path,
      retentionDays: row.recording_retention_days,
      quotaMb: row.recording_quota_mb,
    },
    snapshot: { enabled: row.snapshot_enabled === 1, intervalSec: row.snapshot_interval_sec, keep: row.snapshot_keep },
    signingSecret: row.signing_secret,
    createdAtMs: row.created_at_ms,
  };
}

function toParams(app: AppRecord): Record<string, string | number | null> {
  return {
    name: app.name,
    source_type: app.sourceType,
    hls: app.hls ? 1 : 0,
    ll_hls: app.llHls ? 1 : 0,
    publish_policy: app.publishPolicy,
    play_policy: app.playPolicy,
    hook_url: app.hookUrl,
    origin_url: app.originUrl ?? null,
    srt_port: app.srtPort ?? null,
    outage_policy: app.outagePolicy,
    recording_enabled: app.recording.enabled ? 1 : 0,
    recording_format: app.recording.format,
    recording_segment_sec: app.recording.segmentDurationSec,
    recording_path: app.recording.path,
    recording_retention_days: app.recording.retentionDays,
    recording_quota_mb: app.recording.quotaMb,
    snapshot_enabled: app.snapshot.enabled ? 1 : 0,
    snapshot_interval_sec: app.snapshot.intervalSec,
    snapshot_keep: app.snapshot.keep,
    signing_secret: app.signingSecret,
    created_at_ms: app.createdAtMs,
  };
}

const COLUMNS =
  'name, source_type, hls, ll_hls, publish_policy, play_policy, hook_url, origin_url, srt_port, outage_policy, ' +
  'recording_enabled, recording_format, recording_segment_sec, recording_path, recording_retention_days, recording_quota_mb, ' +
  'snapshot_enabled, snapshot_interval_sec, snapshot_keep, ' +
  'signing_secret, created_at_ms';

export class AppStore {
  private readonly listStmt: Statement<AppRow, []>;
  private readonly getStmt: Statement<AppRow, [string]>;
  private readonly getNoCaseStmt: Statement<AppRow, [string]>;
  private readonly insertStmt: Statement<unknown, [Record<string, string | number | null>]>;
  private readonly updateStmt: Statement<unknown, [Record<string, string | number | null>]>;
  private readonly deleteStmt: Statement<unknown, [string]>;

  constructor(
    private readonly db: Database,
    private readonly revision: RevisionStore,
  ) {
    this.listStmt = db.query(`SELECT ${COLUMNS} FROM apps ORDER BY name`);
    this.getStmt = db.query(`SELECT ${COLUMNS} FROM apps WHERE name = ?`);
    this.getNoCaseStmt = db.query(`SELECT ${COLUMNS} FROM apps WHERE name = ? COLLATE NOCASE`);
    this.insertStmt = db.query(
      `INSERT INTO apps (${COLUMNS}) VALUES ($name, $source_type, $hls, $ll_hls, $publish_policy,
         $play_policy, $hook_url, $origin_url, $srt_port, $outage_policy, $recording_enabled, $recording_format,
         $recording_segment_sec, $recording_path, $recording_retention_days, $recording_quota_mb,
         $snapshot_enabled, $snapshot_interval_sec, $snapshot_keep, $signing_secret, $created_at_ms)`,
    );
    this.updateStmt = db.query(
      `UPDATE apps SET source_type = $source_type, hls = $hls, ll_hls = $ll_hls,
         publish_policy = $publish_policy, play_policy = $play_policy, hook_url = $hook_url,
         origin_url = $origin_url, srt_port = $srt_port, outage_policy = $outage_policy, recording_enabled = $recording_enabled,
         recording_format = $recording_format, recording_segment_sec = $recording_segment_sec, recording_path = $recording_path,
         recording_retention_days = $recording_retention_days, recording_quota_mb = $recording_quota_mb,
         snapshot_enabled = $snapshot_enabled, snapshot_interval_sec = $snapshot_interval_sec, snapshot_keep = $snapshot_keep, signing_secret = $signing_secret
       WHERE name = $name`,
    );
    this.deleteStmt = db.query('DELETE FROM apps WHERE name = ?');
  }

  list(): AppRecord[] {
    return this.listStmt.all().map(mapAppRow);
  }

  get(name: string): AppRecord | null {
    const row = this.getStmt.get(name);
    return row ? mapAppRow(row) : null;
  }

  /** the app whose name equals `name` ignoring case (names are unique that way) */
  findIgnoringCase(name: string): AppRecord | null {
    const row = this.getNoCaseStmt.get(name);
    return row ? mapAppRow(row) : null;
  }

  insert(app: AppRecord): void {
    this.db.transaction(() => {
      this.insertStmt.run(toParams(app));
      this.revision.bump();
    })();
  }

  /** bumps the revision only when a setting the engine sees changed */
  update(app: AppRecord, engineVisible: boolean): void {
    this.db.transaction(() => {
      this.updateStmt.run(toParams(app));
      if (engineVisible) this.revision.bump();
    })();
  }

  /** deletes the app and (by foreign key cascade) its stream keys, pull sources and forwards */
  delete(name: string): boolean {
    return this.db.transaction(() => {
      const changes = this.deleteStmt.run(name).changes;
      if (changes > 0) this.revision.bump();
      return changes > 0;
    })();
  }
}
