// The engine API's recording routes (behind the engine secret, see engine-api.ts): what is
// recorded (all apps, or one app with its files), deleting a stream's range, and MP4 export jobs
// with their download. The engine owns the files; the control plane asks here.
import { recordedRanges, type RecordedSegment } from '../record/recording-index.ts';
import type { RecordingStatus } from '../shared/config-protocol.ts';
import type { ExportJob, ExportRequest, RecordingExporter } from '../recorder/recording-export.ts';
import type { StreamRecording } from '../recorder/recording-manager.ts';
import { error, json, safeDecode } from './engine-api-responses.ts';

export interface RecordingView {
  status(): RecordingStatus;
  segments(app: string): Promise<readonly RecordedSegment[] | null>;
  streamRecording(app: string, stream: string): Promise<StreamRecording | null>;
  removeRange(app: string, stream: string, startMs: number, endMs: number): Promise<{ deleted: number; sizeBytes: number } | null>;
  recordingApps(): string[];
}

export type ExportView = Pick<RecordingExporter, 'start' | 'get' | 'list' | 'filePath'>;

const UNIX_MS = /^\d{1,15}$/;
const MAX_BODY_BYTES = 4096;

/** The answer to a recording route, or null when the path is not one. */
export function routeRecordings(req: Request, url: URL, recordings: RecordingView | undefined, exports: ExportView | undefined): Promise<Response> | Response | null {
  const { pathname } = url;
  const method = req.method;
  if (pathname === '/v1/recordings') {
    if (method !== 'GET') return error(405, 'method not allowed');
    return recordings ? allRecordings(recordings) : json(200, { apps: [] });
  }
  if (pathname.startsWith('/v1/recordings/')) {
    const parts = pathname.slice('/v1/recordings/'.length).split('/').map(safeDecode);
    if (!recordings || parts.some((p) => !p) || parts.length > 2) return error(404, 'not found');
    const [app, stream] = parts as [string, string | undefined];
    if (stream === undefined) return method === 'GET' ? appRecordings(recordings, app) : error(405, 'method not allowed');
    return method === 'DELETE' ? deleteRange(recordings, app, stream, url.searchParams) : error(405, 'method not allowed');
  }
  if (pathname === '/v1/exports') {
    if (!exports) return error(404, 'this engine does not export recordings');
    if (method === 'GET') return json(200, exports.list());
    return method === 'POST' ? startExport(req, exports) : error(405, 'method not allowed');
  }
  if (pathname.startsWith('/v1/exports/')) {
    const [id, file, ...rest] = pathname.slice('/v1/exports/'.length).split('/');
    if (method !== 'GET' && method !== 'HEAD') return error(405, 'method not allowed');
    const job = exports && id ? exports.get(id) : undefined;
    if (!exports || !job || rest.length > 0 || (file !== undefined && file !== 'file')) return error(404, `no export '${id ?? ''}'`);
    return file === undefined ? json(200, job) : download(exports, job);
  }
  return null;
}

function summarize(segments: readonly RecordedSegment[]) {
  const byStream = new Map<string, RecordedSegment[]>();
  for (const s of segments) {
    const list = byStream.get(s.stream) ?? [];
    list.push(s);
    byStream.set(s.stream, list);
  }
  return [...byStream].map(([stream, list]) => ({
    stream,
    ranges: recordedRanges(list),
    segments: list.length,
    sizeBytes: list.reduce((total, s) => total + s.sizeBytes, 0),
    format: list.at(-1)!.format,
  }));
}

/** Every app with recording settings: per stream, its continuous ranges and totals. */
async function allRecordings(recordings: RecordingView): Promise<Response> {
  const apps = [];
  for (const app of recordings.recordingApps()) apps.push({ app, streams: summarize((await recordings.segments(app)) ?? []) });
  return json(200, { apps });
}

/** One app's recordings per stream: the continuous ranges and the segment files, from the index. */
async function appRecordings(recordings: RecordingView, app: string): Promise<Response> {
  const segments = await recordings.segments(app);
  if (segments === null) return error(404, 'the app has no recording settings');
  const streams = summarize(segments).map((summary) => ({
    ...summary,
    segments: segments
      .filter((s) => s.stream === summary.stream)
      .map(({ fileName, startMs, durationMs, sizeBytes, format }) => ({ fileName, startMs, durationMs, sizeBytes, format })),
  }));
  return json(200, { app, streams });
}

async function deleteRange(recordings: RecordingView, app: string, stream: string, query: URLSearchParams): Promise<Response> {
  const start = query.get('startMs');
  const end = query.get('endMs');
  if (start === null || end === null || !UNIX_MS.test(start) || !UNIX_MS.test(end)) return error(400, 'startMs and endMs (UNIX milliseconds) are required');
  if (Number(end) <= Number(start)) return error(400, 'endMs must be after startMs');
  const result = await recordings.removeRange(app, stream, Number(start), Number(end));
  if (result === null) return error(404, 'the app has no recording settings');
  return json(200, result);
}

async function startExport(req: Request, exports: ExportView): Promise<Response> {
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) return error(413, 'request body too large');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return error(400, 'the body must be JSON');
  }
  const request = exportRequest(body);
  if (typeof request === 'string') return error(400, request);
  const started = await exports.start(request);
  return started.ok ? json(202, started.job) : error(started.refusal.status, started.refusal.reason);
}

function exportRequest(body: unknown): ExportRequest | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.app !== 'string' || typeof b.stream !== 'string') return 'app and stream are required';
  if (typeof b.startMs !== 'number' || typeof b.endMs !== 'number') return 'startMs and endMs are required numbers';
  if (b.fileName !== undefined && typeof b.fileName !== 'string') return 'fileName must be a string';
  return { app: b.app, stream: b.stream, startMs: b.startMs, endMs: b.endMs, ...(typeof b.fileName === 'string' ? { fileName: b.fileName } : {}) };
}

function download(exports: ExportView, job: ExportJob): Response {
  const path = exports.filePath(job);
  if (!path) return error(409, job.state === 'failed' ? `the export failed: ${job.error ?? ''}` : 'the export is not finished');
  return new Response(Bun.file(path), {
    headers: {
      'Content-Type': 'video/mp4',
      'Content-Disposition': `attachment; filename="${job.fileName}"`,
      'Cache-Control': 'no-store',
    },
  });
}
