// MP4 export jobs: a recorded range of one stream written as one fast-start MP4 without
// re-encoding. Pass one reads each file's sample timing (record/recorded-media.ts) and plans the
// file (record/mp4-export-plan.ts); pass two reads the files again and writes the header and the
// planned samples to a temporary name, fsync'd and renamed, so memory holds one recording file
// at a time whatever the range. One job runs at a time; a few wait; finished jobs and their files
// are kept for a while (the download link) and then removed.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { selectRange } from '../record/lookback-playlist.ts';
import { exportSamples, planMp4Export, type ExportFile } from '../record/mp4-export-plan.ts';
import { readRecordedFile } from '../record/recorded-media.ts';
import type { RecordedSegment } from '../record/recording-index.ts';
import type { Logger } from '../shared/logger.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import type { StreamRecording } from './recording-manager.ts';

export type { RecordingExportJob as ExportJob, RecordingExportState as ExportState } from '../shared/config-protocol.ts';
import type { RecordingExportJob as ExportJob } from '../shared/config-protocol.ts';

export type ExportRequest = Readonly<{ app: string; stream: string; startMs: number; endMs: number; fileName?: string }>;

export type ExportRefusal = Readonly<{ status: 400 | 404 | 503; reason: string }>;

export interface ExportSource {
  streamRecording(app: string, stream: string): Promise<StreamRecording | null>;
}

/**
 * one export covers at most this much: planning holds every sample's timing and size (about
 * 250 MB of engine memory for 6 h of 25 fps video with AAC); longer ranges are several exports
 */
export const MAX_EXPORT_MS = 6 * 60 * 60 * 1000;
const MAX_WAITING = 4;
const MAX_KEPT = 32;
/** a finished export (and its file) is kept this long for its download */
export const EXPORT_KEEP_MS = 60 * 60 * 1000;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const EXPORT_DIR = '.exports';

export class RecordingExporter {
  private readonly jobs = new Map<string, ExportJob>();
  /** finished exports' files by job id */
  private readonly paths = new Map<string, string>();
  private readonly cleaned = new Set<string>();
  private readonly waiting: Array<{ job: ExportJob; recording: StreamRecording; segments: RecordedSegment[] }> = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly source: ExportSource,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues an export, or says why not (bad range or name, nothing recorded, too many waiting). */
  async start(request: ExportRequest): Promise<{ ok: true; job: ExportJob } | { ok: false; refusal: ExportRefusal }> {
    const refuse = (status: ExportRefusal['status'], reason: string) => ({ ok: false as const, refusal: { status, reason } });
    const { app, stream, startMs, endMs } = request;
    if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs) || startMs < 0) return refuse(400, 'startMs and endMs must be UNIX milliseconds');
    if (endMs <= startMs) return refuse(400, 'the end must be after the start');
    if (endMs - startMs > MAX_EXPORT_MS) return refuse(400, `one export covers at most ${MAX_EXPORT_MS / 3_600_000} h`);
    const fileName = request.fileName === undefined ? defaultFileName(app, stream, startMs) : withMp4Extension(request.fileName);
    if (!FILE_NAME.test(fileName)) return refuse(400, 'fileName: 1-100 of A-Z a-z 0-9 . _ - (not starting with . _ or -)');
    const recording = await this.source.streamRecording(app, stream);
    if (!recording) return refuse(404, `app '${app}' has no recording settings`);
    const segments = selectRange(recording.segments, startMs, endMs);
    if (segments.length === 0) return refuse(404, `nothing of '${app}/${stream}' is recorded between ${startMs} and ${endMs}`);
    if (this.waiting.length >= MAX_WAITING) return refuse(503, `${MAX_WAITING} exports are already waiting: try again when one has finished`);
    this.expire();
    // Alike in shape to webrtc-listener.ts's session init (a random id, then named fields): different records.
    const job: ExportJob = {
      id: randomBytes(9).toString('base64url'),
      app,
      stream,
      startMs,
      endMs,
      fileName,
      state: 'queued',
      progress: 0,
      createdAtMs: this.now(),
      finishedAtMs: null,
      sizeBytes: null,
      firstMs: null,
      durationMs: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    this.waiting.push({ job, recording, segments });
    if (!this.running) void this.runQueue();
    return { ok: true, job };
  }

  get(id: string): ExportJob | undefined {
    this.expire();
    return this.jobs.get(id);
  }

  list(): ExportJob[] {
    this.expire();
    return [...this.jobs.values()];
  }

  /** Where a finished export's file is (null until it is done). */
  filePath(job: ExportJob): string | null {
    const entry = this.paths.get(job.id);
    return job.state === 'done' && entry ? entry : null;
  }

  /** Resolves once no export runs or waits (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Files of exports a previous run of the engine left behind: removed once per directory. */
  private async removeLeftovers(dir: string): Promise<void> {
    if (this.cleaned.has(dir)) return;
    this.cleaned.add(dir);
    const mine = new Set([...this.paths.values()]);
    for (const name of await readdir(dir).catch((): string[] => [])) {
      const path = join(dir, name);
      if (!mine.has(path)) await rm(path, { force: true }).catch(() => {});
    }
  }

  private async runQueue(): Promise<void> {
    this.running = true;
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      const { job, recording, segments } = next;
      job.state = 'running';
      const dir = join(recording.dir, '..', EXPORT_DIR);
      const path = join(dir, `${job.id}.mp4`);
      try {
        await this.removeLeftovers(dir);
        await this.write(job, recording.dir, segments, dir, path);
        this.paths.set(job.id, path);
        job.state = 'done';
        job.progress = 1;
        this.log.info('recording exported', { stream: `${job.app}/${job.stream}`, id: job.id, sizeBytes: job.sizeBytes ?? 0, durationMs: job.durationMs ?? 0 });
      } catch (err) {
        job.state = 'failed';
        job.error = isProtocolError(err) ? err.message : describeIoError(err);
        await rm(path, { force: true }).catch(() => {});
        this.log.warn('recording export failed', { stream: `${job.app}/${job.stream}`, id: job.id, reason: job.error });
      }
      job.finishedAtMs = this.now();
    }
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async write(job: ExportJob, streamDir: string, segments: readonly RecordedSegment[], dir: string, path: string): Promise<void> {
    const steps = segments.length * 2;
    const files: ExportFile[] = [];
    for (const [i, s] of segments.entries()) {
      const media = readRecordedFile(await readFile(join(streamDir, s.fileName)), s.format);
      files.push({ startMs: s.startMs, durationMs: s.durationMs, format: s.format, tracks: media.tracks, samples: exportSamples(media.samples) });
      job.progress = (i + 1) / steps;
    }
    const plan = planMp4Export(files, job.startMs, job.endMs);
    await mkdir(dir, { recursive: true });
    const temp = `${path}.part`;
    const out = await open(temp, 'w');
    try {
      await out.write(plan.header);
      let written = 0;
      for (const write of plan.writes) {
        const s = segments[write.fileIndex]!;
        const media = readRecordedFile(await readFile(join(streamDir, s.fileName)), s.format);
        const parts = write.sampleIndexes.map((i) => media.samples[i]!.data);
        for (const part of parts) written += part.byteLength;
        await out.writev(parts);
        job.progress = (segments.length + write.fileIndex + 1) / steps;
      }
      // the files changed under the plan (deleted and re-recorded between the passes): not a valid MP4
      if (written !== plan.mdatPayloadBytes) throw new Error('the recording changed while it was exported');
      await out.sync();
    } catch (err) {
      await out.close();
      await rm(temp, { force: true });
      throw err;
    }
    await out.close();
    await rename(temp, path);
    job.sizeBytes = plan.header.byteLength + plan.mdatPayloadBytes;
    job.firstMs = plan.firstMs;
    job.durationMs = plan.durationMs;
  }

  /** Forgets finished jobs past their keep time or over the count, and removes their files. */
  private expire(): void {
    const now = this.now();
    const finished = [...this.jobs.values()].filter((j) => j.finishedAtMs !== null).sort((a, b) => a.finishedAtMs! - b.finishedAtMs!);
    let over = this.jobs.size - MAX_KEPT;
    for (const job of finished) {
      if (now - job.finishedAtMs! < EXPORT_KEEP_MS && over <= 0) continue;
      over--;
      this.jobs.delete(job.id);
      const path = this.paths.get(job.id);
      this.paths.delete(job.id);
      if (path) void rm(path, { force: true }).catch(() => {});
    }
  }
}

function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'a recording file of the range was deleted while it was exported';
  if (code === 'ENOSPC') return 'no space left on the disk for the export';
  return (err as Error).message ?? String(err);
}

function withMp4Extension(name: string): string {
  return name.toLowerCase().endsWith('.mp4') ? name : `${name}.mp4`;
}

/** `{app}-{stream}-{UTC start}.mp4`, with anything a file name should not hold replaced. */
function defaultFileName(app: string, stream: string, startMs: number): string {
  const stamp = new Date(startMs).toISOString().replace(/[:.]/g, '-');
  return `${app}-${stream}-${stamp}.mp4`.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '').slice(-100) || 'recording.mp4';
}
