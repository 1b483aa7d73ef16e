// Recording for the whole engine: starts a StreamRecorder when a stream of an app with recording
// on goes live, or when recording is turned on while it is live (reconcile), keeps one catalog per
// app and storage path, and every check interval (1) measures free space on each storage path
// with statfs: below the floor recording there pauses, with one log line each way, and live
// streaming goes on; (2) deletes what is past an app's retention or over its quota, oldest first.
import { randomBytes } from 'node:crypto';
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { LiveStream } from '../hub/live-stream.ts';
import { planRetention } from '../record/retention-plan.ts';
import type { RecordedSegment } from '../record/recording-index.ts';
import { selectRange } from '../record/lookback-playlist.ts';
import type { RecordingSettings, RecordingStatus } from '../shared/config-protocol.ts';
import { DEFAULT_RECORDING_SETTINGS, type EngineConfig, type RecordingEngineSettings } from '../shared/engine-config.ts';
import type { Logger } from '../shared/logger.ts';
import { RecordingCatalog } from './recording-catalog.ts';
import { StreamRecorder, type RecorderCounters } from './stream-recorder.ts';

const MIB = 1024 * 1024;
/** the open segment of one recorder may hold this much before it is closed without a keyframe */
const MAX_SEGMENT_BYTES = 64 * MIB;

/** One stream's recorded segments, oldest first, and the directory their files are in. */
export type StreamRecording = Readonly<{ dir: string; segments: readonly RecordedSegment[] }>;

type PathState = { freeBytes: number; paused: boolean; checked: boolean };

/** A stream name is one path component: anything that could climb out of the directory is not recorded. */
export function isSafeStreamName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

export class RecordingManager {
  private readonly recorders = new Map<string, StreamRecorder>();
  /** detached recorders whose queue is still being written */
  private readonly finishing = new Set<StreamRecorder>();
  private readonly catalogs = new Map<string, RecordingCatalog>();
  private readonly paths = new Map<string, PathState>();
  private readonly owner = randomBytes(6).toString('hex');
  private readonly enforcing = new Set<RecordingCatalog>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private sweeping: Promise<void> | null = null;
  readonly counters: RecorderCounters & { segmentsDeleted: number } = { segmentsWritten: 0, segmentsDropped: 0, bytesWritten: 0, segmentsDeleted: 0 };

  constructor(
    private readonly config: () => EngineConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private get knobs(): RecordingEngineSettings {
    return this.config().recording ?? DEFAULT_RECORDING_SETTINGS;
  }

  start(): void {
    if (this.timer) return;
    this.sweepLogged();
    this.timer = setInterval(() => this.sweepLogged(), this.knobs.checkIntervalMs);
    this.timer.unref?.(); // the listeners keep the engine alive, not this check
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The recording settings of an app, when it records. */
  settingsFor(app: string): RecordingSettings | null {
    const settings = this.config().apps.find((a) => a.name === app)?.recording;
    return settings?.enabled ? settings : null;
  }

  /**
   * A stream got a publisher: record it if its app says so (one recorder per life of the stream).
   * `midStream`: it was live before recording was turned on, so the recorder first gets the
   * stream's current sequence headers and starts at the next keyframe.
   */
  attach(stream: LiveStream, midStream = false): void {
    const existing = this.recorders.get(stream.path);
    if (existing?.stream === stream) return;
    if (existing) this.detach(existing);
    const settings = this.settingsFor(stream.app);
    if (!settings) return;
    const log = this.log.child({ stream: stream.path });
    if (!isSafeStreamName(stream.name) || !isSafeStreamName(stream.app)) {
      log.warn('not recording: the stream name cannot be a directory name');
      return;
    }
    const catalog = this.catalog(settings.path, stream.app);
    void catalog.load();
    if (!this.paths.has(settings.path)) void this.checkPath(settings.path);
    const recorder = new StreamRecorder(stream, settings, {
      owner: this.owner,
      log,
      now: this.now,
      isPaused: () => this.paths.get(settings.path)?.paused ?? false,
      maxQueuedSegments: this.knobs.maxQueuedSegments,
      maxSegmentBytes: MAX_SEGMENT_BYTES,
      counters: this.counters,
      onWritten: (segment) => this.written(catalog, segment),
      // after the hub has finished telling its readers (removing one now would disturb that loop)
      onEnded: () => queueMicrotask(() => this.streamEnded(stream)),
    });
    this.recorders.set(stream.path, recorder);
    stream.addReader(recorder);
    if (midStream) for (const header of [stream.videoHeader, stream.audioHeader]) if (header) recorder.onPacket(header);
    log.info('recording', { dir: recorder.dir, format: settings.format, segmentSec: settings.segmentDurationSec });
  }

  /**
   * The configuration changed: recorders whose app stopped recording, or whose format, segment
   * duration or path changed, close their open segment and go; live streams of apps that record
   * now and have no recorder get one. (Retention and quota changes need no new recorder.)
   */
  reconcile(live: readonly LiveStream[]): void {
    for (const recorder of [...this.recorders.values()]) {
      const settings = this.settingsFor(recorder.stream.app);
      const same =
        settings !== null &&
        settings.path === recorder.settings.path &&
        settings.format === recorder.settings.format &&
        settings.segmentDurationSec === recorder.settings.segmentDurationSec;
      if (same) continue;
      recorder.onPublisherStop(); // the open segment is complete as it is
      this.detach(recorder);
      this.log.info('recording stopped: the app settings changed', { stream: recorder.stream.path });
    }
    for (const stream of live) if (stream.publisher !== null && !this.recorders.has(stream.path)) this.attach(stream, true);
  }

  /** The stream ended: its recorder finishes what it queued and goes. */
  streamEnded(stream: LiveStream): void {
    const recorder = this.recorders.get(stream.path);
    if (recorder?.stream === stream) this.detach(recorder);
  }

  /** Every queued segment written, of live and of detached recorders (shutdown, tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.recorders.values(), ...this.finishing].map((r) => r.idle()));
  }

  isPaused(app: string): boolean {
    const settings = this.settingsFor(app);
    return settings ? (this.paths.get(settings.path)?.paused ?? false) : false;
  }

  /** Apps that record now, with their pause state (metrics). */
  appStates(): Array<{ app: string; paused: boolean }> {
    return this.config()
      .apps.filter((a) => a.recording?.enabled)
      .map((a) => ({ app: a.name, paused: this.paths.get(a.recording!.path)?.paused ?? false }));
  }

  /** The index of an app's recordings (null: the app has no recording settings). */
  async segments(app: string): Promise<readonly RecordedSegment[] | null> {
    const settings = this.config().apps.find((a) => a.name === app)?.recording;
    if (!settings) return null;
    const catalog = this.catalog(settings.path, app);
    await catalog.load();
    return catalog.list();
  }

  /**
   * One stream's segments (oldest first) and the directory they are in: what look-back, time-shift
   * and export read. Null when the app has no recording settings or a name cannot be a directory.
   */
  async streamRecording(app: string, stream: string): Promise<StreamRecording | null> {
    const settings = this.config().apps.find((a) => a.name === app)?.recording;
    if (!settings || !isSafeStreamName(app) || !isSafeStreamName(stream)) return null;
    const catalog = this.catalog(settings.path, app);
    await catalog.load();
    return { dir: join(catalog.appDir, stream), segments: catalog.list().filter((s) => s.stream === stream) };
  }

  /**
   * Deletes a stream's segments that overlap [startMs, endMs), whole (a segment is one file);
   * null when the app has no recording settings. Returns what went.
   */
  async removeRange(app: string, stream: string, startMs: number, endMs: number): Promise<{ deleted: number; sizeBytes: number } | null> {
    const recording = await this.streamRecording(app, stream);
    const settings = this.config().apps.find((a) => a.name === app)?.recording;
    if (!recording || !settings) return null;
    const doomed = selectRange(recording.segments, startMs, endMs);
    const catalog = this.catalog(settings.path, app);
    const before = new Set(catalog.list());
    const deleted = await catalog.remove(doomed);
    const still = new Set(catalog.list());
    let sizeBytes = 0;
    for (const s of doomed) if (before.has(s) && !still.has(s)) sizeBytes += s.sizeBytes;
    this.counters.segmentsDeleted += deleted;
    this.log.info('recordings deleted on request', { stream: `${app}/${stream}`, deleted, startMs, endMs });
    return { deleted, sizeBytes };
  }

  /** Apps with recording settings (recording now or not): what their files are for listing. */
  recordingApps(): string[] {
    return this.config()
      .apps.filter((a) => a.recording !== undefined)
      .map((a) => a.name);
  }

  status(): RecordingStatus {
    const apps = this.config().apps.filter((a) => a.recording?.enabled);
    return {
      minFreeBytes: this.knobs.minFreeBytes,
      paths: [...this.paths].map(([path, state]) => ({
        path,
        freeBytes: state.freeBytes,
        paused: state.paused,
        apps: apps.filter((a) => a.recording!.path === path).map((a) => a.name),
      })),
      recorders: this.recorders.size,
      segmentsWritten: this.counters.segmentsWritten,
      segmentsDropped: this.counters.segmentsDropped,
      segmentsDeleted: this.counters.segmentsDeleted,
    };
  }

  /** A timer's sweep: a failing disk is logged and tried again next time, never an unhandled rejection. */
  private sweepLogged(): void {
    this.sweep().catch((err: unknown) => this.log.warn('recording check failed', { reason: (err as Error)?.message ?? String(err) }));
  }

  /** One check now: free space on every storage path, then retention and quotas (also run by the timer). */
  sweep(): Promise<void> {
    this.sweeping ??= this.runSweep().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async runSweep(): Promise<void> {
    const apps = this.config().apps.filter((a) => a.recording !== undefined);
    const paths = new Set(apps.filter((a) => a.recording!.enabled).map((a) => a.recording!.path));
    for (const path of this.paths.keys()) if (!paths.has(path)) this.paths.delete(path); // no app records there now
    for (const path of paths) await this.checkPath(path);
    for (const app of apps) {
      const settings = app.recording!;
      const catalog = this.catalog(settings.path, app.name);
      await catalog.load();
      await this.enforce(catalog, settings);
    }
  }

  private detach(recorder: StreamRecorder): void {
    recorder.stream.removeReader(recorder);
    if (this.recorders.get(recorder.stream.path) === recorder) this.recorders.delete(recorder.stream.path);
    if (recorder.queued > 0) {
      this.finishing.add(recorder);
      void recorder.idle().then(() => this.finishing.delete(recorder));
    }
  }

  private catalog(path: string, app: string): RecordingCatalog {
    const key = `${path}\0${app}`;
    let catalog = this.catalogs.get(key);
    if (!catalog) this.catalogs.set(key, (catalog = new RecordingCatalog(path, app, this.owner)));
    return catalog;
  }

  private written(catalog: RecordingCatalog, segment: RecordedSegment): void {
    catalog.add(segment);
    // the app's settings now, not when the stream started: a quota change applies at once
    const settings = this.config().apps.find((a) => a.name === catalog.app)?.recording;
    if (settings && settings.path === catalog.path && settings.quotaMb > 0 && catalog.totalBytes() > settings.quotaMb * MIB) void this.enforce(catalog, settings);
  }

  private async enforce(catalog: RecordingCatalog, settings: RecordingSettings): Promise<void> {
    if (this.enforcing.has(catalog)) return; // the one running sees the newest list when it runs again
    this.enforcing.add(catalog);
    try {
      await this.enforceNow(catalog, settings);
    } finally {
      this.enforcing.delete(catalog);
    }
  }

  private async enforceNow(catalog: RecordingCatalog, settings: RecordingSettings): Promise<void> {
    const plan = planRetention(catalog.list(), this.now(), { retentionDays: settings.retentionDays, quotaBytes: settings.quotaMb * MIB });
    if (plan.length === 0) return;
    const deleted = await catalog.remove(plan.map((d) => d.segment));
    this.counters.segmentsDeleted += deleted;
    this.log.info('recordings deleted', {
      app: catalog.app,
      deleted,
      byAge: plan.filter((d) => d.reason === 'age').length,
      byQuota: plan.filter((d) => d.reason === 'quota').length,
    });
  }

  private async checkPath(path: string): Promise<void> {
    const state = this.paths.get(path) ?? { freeBytes: 0, paused: false, checked: false };
    this.paths.set(path, state);
    try {
      await mkdir(path, { recursive: true });
      const fs = await statfs(path);
      state.freeBytes = Number(fs.bavail) * Number(fs.bsize);
    } catch (err) {
      if (!state.checked) this.log.warn('recording path cannot be checked', { path, reason: (err as Error).message });
      state.checked = true;
      return;
    }
    state.checked = true;
    const minFreeBytes = this.knobs.minFreeBytes;
    const paused = state.freeBytes < minFreeBytes;
    if (paused === state.paused) return;
    state.paused = paused;
    const fields = { path, freeMb: Math.floor(state.freeBytes / MIB), minFreeMb: Math.floor(minFreeBytes / MIB) };
    if (paused) this.log.warn('recording paused: free disk space is below the floor (--record-min-free-mb); live streaming goes on', fields);
    else this.log.info('recording resumed: free disk space is above the floor again', fields);
  }
}
