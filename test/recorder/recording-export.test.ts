// Export jobs on the engine over real recording files (cut from an ffmpeg FLV into a temporary
// directory) and the engine API routes for them: a job runs to done with progress and a file,
// refusals say why, a file deleted mid-export fails the job with a reason and leaves nothing,
// finished jobs expire with their files, and the routes check what they are given.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { rebuildIndex } from '../../src/record/recording-index.ts';
import { SegmentCutter } from '../../src/record/segment-cutter.ts';
import { formatSegmentName } from '../../src/record/segment-name.ts';
import { routeRecordings, type RecordingView } from '../../src/engine/engine-api-recordings.ts';
import { EXPORT_KEEP_MS, RecordingExporter, type ExportSource } from '../../src/recorder/recording-export.ts';
import type { StreamRecording } from '../../src/recorder/recording-manager.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { run, tempDir } from '../e2e/harness.ts';

const T0 = 1_764_892_800_000;
let dir: { path: string; remove(): void };
let streamDir: string;
/** the first file's start: the first video keyframe's wall clock */
let first: number;
const logs: string[] = [];
const log = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
const clock = { now: T0 + 3_600_000 };

function recording(): StreamRecording {
  const names = readdirSync(streamDir);
  return { dir: streamDir, segments: rebuildIndex(names.map((fileName) => ({ stream: 'cam', fileName, sizeBytes: readFileSync(join(streamDir, fileName)).length }))) };
}
const source: ExportSource = { streamRecording: async (app, stream) => (app === 'rec' && stream === 'cam' ? recording() : null) };

beforeAll(async () => {
  dir = tempDir();
  streamDir = join(dir.path, 'rec', 'cam');
  mkdirSync(streamDir, { recursive: true });
  const flv = join(dir.path, 'in.flv');
  const made = await run([
    'ffmpeg', '-hide_banner', '-loglevel', 'error',
    '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', flv,
  ]);
  expect(made.exitCode).toBe(0);
  const cutter = new SegmentCutter({ format: 'fmp4', segmentDurationMs: 1000, maxSegmentBytes: 64 << 20 });
  const segments = [];
  for (const t of new FlvReader().push(new Uint8Array(readFileSync(flv)))) {
    segments.push(...cutter.push({ type: t.tagType as 8 | 9 | 18, timestampMs: t.timestampMs, body: t.body, header: false, randomAccess: false, discontinuity: false }, T0 + t.timestampMs));
  }
  segments.push(...cutter.flush());
  for (const s of segments) writeFileSync(join(streamDir, formatSegmentName(s)), s.bytes);
  first = segments[0]!.startMs;
});
afterAll(() => dir.remove());

async function finished(exporter: RecordingExporter, id: string) {
  for (let i = 0; i < 200 && ['queued', 'running'].includes(exporter.get(id)!.state); i++) await Bun.sleep(10);
  return exporter.get(id)!;
}

describe('export jobs', () => {
  test('run to done: progress 1, the file, its size and span; expire with their file', async () => {
    const exporter = new RecordingExporter(source, log, () => clock.now);
    const started = await exporter.start({ app: 'rec', stream: 'cam', startMs: T0 + 1200, endMs: T0 + 2500 });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    expect(started.job.fileName).toBe('rec-cam-2025-12-05T00-00-01-200Z.mp4');
    const job = await finished(exporter, started.job.id);
    expect(job).toMatchObject({ state: 'done', progress: 1, error: null, firstMs: first + 1000 });
    expect(job.durationMs).toBeGreaterThanOrEqual(1900); // from the keyframe at 1 s to the one at 3 s
    const path = exporter.filePath(job)!;
    expect(path.startsWith(join(dir.path, 'rec', '.exports'))).toBe(true);
    expect(readFileSync(path).length).toBe(job.sizeBytes!);
    expect(exporter.list().map((j) => j.id)).toEqual([job.id]);
    clock.now += EXPORT_KEEP_MS + 1;
    expect(exporter.get(job.id)).toBeUndefined();
    expect(await waitGone(path)).toBe(true);
  });

  test('refusals: bad range, too long, bad name, nothing recorded, unknown app', async () => {
    const exporter = new RecordingExporter(source, log, () => clock.now);
    const refusal = async (request: Parameters<RecordingExporter['start']>[0]) => {
      const started = await exporter.start(request);
      return started.ok ? null : started.refusal;
    };
    expect(await refusal({ app: 'rec', stream: 'cam', startMs: T0 + 5, endMs: T0 + 5 })).toEqual({ status: 400, reason: 'the end must be after the start' });
    expect((await refusal({ app: 'rec', stream: 'cam', startMs: T0, endMs: T0 + 6 * 3_600_000 + 1 }))?.status).toBe(400);
    expect((await refusal({ app: 'rec', stream: 'cam', startMs: 1.5, endMs: T0 }))?.status).toBe(400);
    for (const fileName of ['../x', '.hidden', 'a/b', 'x'.repeat(120), 'a"b']) {
      expect((await refusal({ app: 'rec', stream: 'cam', startMs: T0, endMs: T0 + 1000, fileName }))?.status).toBe(400);
    }
    expect(await refusal({ app: 'rec', stream: 'cam', startMs: T0 - 10_000, endMs: T0 - 5000 })).toEqual({ status: 404, reason: `nothing of 'rec/cam' is recorded between ${T0 - 10_000} and ${T0 - 5000}` });
    expect((await refusal({ app: 'other', stream: 'cam', startMs: T0, endMs: T0 + 1000 }))?.status).toBe(404);
    expect(exporter.list()).toEqual([]);
  });

  test('a file deleted while it is exported fails the job with a reason and leaves no file', async () => {
    const copy = join(dir.path, 'copy', 'cam');
    mkdirSync(copy, { recursive: true });
    for (const name of readdirSync(streamDir)) writeFileSync(join(copy, name), readFileSync(join(streamDir, name)));
    const index = rebuildIndex(readdirSync(copy).map((fileName) => ({ stream: 'cam', fileName, sizeBytes: 1 })));
    rmSync(join(copy, index[1]!.fileName));
    const exporter = new RecordingExporter({ streamRecording: async () => ({ dir: copy, segments: index }) }, log, () => clock.now);
    const started = await exporter.start({ app: 'rec', stream: 'cam', startMs: T0, endMs: T0 + 3000, fileName: 'x' });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    const job = await finished(exporter, started.job.id);
    expect(job.state).toBe('failed');
    expect(job.error).toBe('a recording file of the range was deleted while it was exported');
    expect(exporter.filePath(job)).toBeNull();
    const exportsDir = join(dir.path, 'copy', '.exports');
    expect(existsSync(exportsDir) ? readdirSync(exportsDir) : []).toEqual([]);
  });
});

async function waitGone(path: string): Promise<boolean> {
  for (let i = 0; i < 100 && existsSync(path); i++) await Bun.sleep(10);
  return !existsSync(path);
}

describe('engine API routes', () => {
  const exporter = new RecordingExporter(source, log, () => clock.now);
  const removed: Array<[string, string, number, number]> = [];
  const recordings: RecordingView = {
    status: () => ({ minFreeBytes: 0, paths: [], recorders: 0, segmentsWritten: 0, segmentsDropped: 0, segmentsDeleted: 0 }),
    segments: async (app) => (app === 'rec' ? recording().segments : null),
    streamRecording: source.streamRecording,
    removeRange: async (app, stream, startMs, endMs) => {
      removed.push([app, stream, startMs, endMs]);
      return app === 'rec' ? { deleted: 2, sizeBytes: 20 } : null;
    },
    recordingApps: () => ['rec'],
  };
  const ask = async (method: string, path: string, body?: string) => {
    const req = new Request(`http://engine${path}`, { method, ...(body !== undefined ? { body } : {}) });
    const res = await routeRecordings(req, new URL(req.url), recordings, exporter);
    return { status: res!.status, json: (await res!.json()) as Record<string, unknown> };
  };

  test('listing: all apps summarized, one app with its files', async () => {
    const all = await ask('GET', '/v1/recordings');
    expect(all.json).toEqual({ apps: [{ app: 'rec', streams: [{ stream: 'cam', ranges: [expect.objectContaining({ startMs: first, segments: 4 })], segments: 4, sizeBytes: expect.any(Number), format: 'fmp4' }] }] });
    const one = await ask('GET', '/v1/recordings/rec');
    expect((one.json.streams as Array<{ segments: unknown[] }>)[0]!.segments).toHaveLength(4);
  });

  test('delete needs a range', async () => {
    expect((await ask('DELETE', '/v1/recordings/rec/cam')).status).toBe(400);
    expect((await ask('DELETE', `/v1/recordings/rec/cam?startMs=${T0}&endMs=${T0}`)).status).toBe(400);
    expect((await ask('DELETE', `/v1/recordings/rec/cam?startMs=${T0}&endMs=${T0 + 1}`)).json).toEqual({ deleted: 2, sizeBytes: 20 });
    expect(removed).toEqual([['rec', 'cam', T0, T0 + 1]]);
    expect((await ask('DELETE', `/v1/recordings/nope/cam?startMs=${T0}&endMs=${T0 + 1}`)).status).toBe(404);
    expect((await ask('POST', '/v1/recordings/rec/cam')).status).toBe(405);
  });

  test('exports: bad bodies are 400, a started job is 202, its file is 409 until done', async () => {
    expect((await ask('POST', '/v1/exports', 'not json')).status).toBe(400);
    expect((await ask('POST', '/v1/exports', JSON.stringify({ app: 'rec', stream: 'cam' }))).status).toBe(400);
    expect((await ask('POST', '/v1/exports', JSON.stringify({ app: 'rec', stream: 'cam', startMs: 'x', endMs: 1 }))).status).toBe(400);
    const started = await ask('POST', '/v1/exports', JSON.stringify({ app: 'rec', stream: 'cam', startMs: T0, endMs: T0 + 1000 }));
    expect(started.status).toBe(202);
    const id = started.json.id as string;
    // the job has just started (its first file read is pending): no file yet
    expect(await ask('GET', `/v1/exports/${id}/file`)).toEqual({ status: 409, json: { error: 'the export is not finished' } });
    await finished(exporter, id);
    const req = new Request(`http://engine/v1/exports/${id}/file`);
    const file = await routeRecordings(req, new URL(req.url), recordings, exporter)!;
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/mp4');
    expect((await file.bytes()).length).toBe(exporter.get(id)!.sizeBytes!);
    expect((await ask('GET', '/v1/exports/nope')).status).toBe(404);
    expect((await ask('GET', `/v1/exports/${id}/other`)).status).toBe(404);
  });
});
