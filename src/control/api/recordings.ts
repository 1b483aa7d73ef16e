// /api/v1/recordings: what the engine has recorded per stream (any signed-in user), deleting a
// range of a stream and exporting one as an MP4 (admins). The engine owns the files: every route
// asks it over the engine API (engine-client.ts -> engine/engine-api-recordings.ts) and passes
// its refusals on as problems with the engine's reason.
import { Elysia, t } from 'elysia';
import type { RecordingExportJob } from '../../shared/config-protocol.ts';
import type { EngineReply } from '../engine-client.ts';
import { assertAdmin, requireAuth } from './auth.ts';
import { AppName, Int, ListOf, OneOf, StreamName, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { fromEngine } from './live.ts';
import { ApiProblem, problemResponses, type ProblemCode } from './problem.ts';

const tags = ['recordings'];
export const EXPORTS_PATH = '/api/v1/recordings/exports';

const RangeSchema = t.Object(
  { startMs: TimestampMs, endMs: TimestampMs, segments: Int({ minimum: 0 }), sizeBytes: t.Number() },
  { description: 'A continuous recorded stretch (segments less than 1 s apart)' },
);

export const RecordingSummarySchema = t.Object(
  {
    app: t.String(),
    stream: t.String(),
    format: OneOf(['fmp4', 'ts'], { description: 'format of the newest segment' }),
    ranges: t.Array(RangeSchema),
    segments: Int({ minimum: 0 }),
    sizeBytes: t.Number(),
  },
  { description: "One stream's recordings" },
);

const ExportBody = t.Object({
  app: AppName,
  stream: StreamName,
  startTimeMs: Int({ minimum: 0, description: 'start of the range, UNIX ms; the export starts at the last keyframe at or before it' }),
  endTimeMs: t.Optional(Int({ minimum: 0, description: 'end of the range, UNIX ms (or durationMs); the export ends before the first keyframe at or after it' })),
  durationMs: t.Optional(Int({ minimum: 1, description: 'length of the range in ms (or endTimeMs)' })),
  fileName: t.Optional(t.String({ maxLength: 100, description: 'download name; .mp4 is added when missing. Default {app}-{stream}-{UTC start}.mp4' })),
});

export const ExportJobSchema = t.Object(
  {
    id: t.String(),
    app: t.String(),
    stream: t.String(),
    startTimeMs: TimestampMs,
    endTimeMs: TimestampMs,
    fileName: t.String(),
    state: OneOf(['queued', 'running', 'done', 'failed']),
    progress: t.Number({ minimum: 0, maximum: 1 }),
    createdAtMs: TimestampMs,
    finishedAtMs: t.Nullable(TimestampMs),
    sizeBytes: t.Nullable(t.Number({ description: 'the MP4 size, once done' })),
    firstTimeMs: t.Nullable(TimestampMs),
    durationMs: t.Nullable(t.Number()),
    error: t.Nullable(t.String({ description: 'why the export failed' })),
    statusUrl: t.String(),
    downloadUrl: t.String({ description: 'answers the MP4 once state is done (409 before)' }),
  },
  { description: 'An MP4 export job. Finished exports are kept for an hour.' },
);

const ListQuery = t.Object({
  app: t.Optional(t.String({ description: 'only this app' })),
  stream: t.Optional(t.String({ description: 'only this stream' })),
});
const StreamParams = t.Object({ app: t.String({ description: 'app name' }), stream: t.String({ description: 'stream name' }) });
const DeleteQuery = t.Object({
  startTimeMs: t.Numeric({ description: 'UNIX ms' }),
  endTimeMs: t.Numeric({ description: 'UNIX ms, after startTimeMs' }),
});
const DeletedSchema = t.Object({ deleted: Int({ minimum: 0, description: 'segment files deleted' }), sizeBytes: t.Number() });
const ExportParams = t.Object({ id: t.String({ description: 'export id' }) });

type EngineJob = RecordingExportJob;
type EngineStreamSummary = { stream: string; format: 'fmp4' | 'ts'; ranges: Array<typeof RangeSchema.static>; segments: number; sizeBytes: number };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isJob = (v: unknown): v is EngineJob => isObject(v) && typeof v.id === 'string' && typeof v.state === 'string' && typeof v.startMs === 'number';
const isListing = (v: unknown): v is { apps: Array<{ app: string; streams: EngineStreamSummary[] }> } =>
  isObject(v) && Array.isArray(v.apps) && v.apps.every((a) => isObject(a) && typeof a.app === 'string' && Array.isArray(a.streams));

/** The engine's refusal as a problem with its reason; anything unexpected as a 500. */
function problemFrom(reply: EngineReply, what: string): ApiProblem {
  const reason = isObject(reply.body) && typeof reply.body.error === 'string' ? reply.body.error : `the engine answered ${reply.status}`;
  const codes: Record<number, ProblemCode> = { 400: 'invalid', 404: 'not-found', 409: 'conflict', 503: 'rate-limited' };
  return new ApiProblem(codes[reply.status] ?? 'internal', `${what}: ${reason}`);
}

async function ask(deps: ApiDeps, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<EngineReply> {
  if (!deps.engine.recordingCall) throw new ApiProblem('engine-unavailable', 'this engine client cannot reach recordings');
  return fromEngine(deps.engine.recordingCall(method, path, body));
}

function toJob(job: EngineJob): typeof ExportJobSchema.static {
  const statusUrl = `${EXPORTS_PATH}/${encodeURIComponent(job.id)}`;
  return {
    id: job.id,
    app: job.app,
    stream: job.stream,
    startTimeMs: job.startMs,
    endTimeMs: job.endMs,
    fileName: job.fileName,
    state: job.state,
    progress: job.progress,
    createdAtMs: job.createdAtMs,
    finishedAtMs: job.finishedAtMs,
    sizeBytes: job.sizeBytes,
    firstTimeMs: job.firstMs,
    durationMs: job.durationMs,
    error: job.error,
    statusUrl,
    downloadUrl: `${statusUrl}/download`,
  };
}

async function exportJob(deps: ApiDeps, id: string): Promise<EngineJob> {
  const reply = await ask(deps, 'GET', `/v1/exports/${encodeURIComponent(id)}`);
  if (reply.status !== 200 || !isJob(reply.body)) throw problemFrom(reply, `export '${id}'`);
  return reply.body;
}

export type RecordingSummary = typeof RecordingSummarySchema.static;
export type ExportJob = typeof ExportJobSchema.static;
export type ExportInput = typeof ExportBody.static;

// The operations behind the routes, also called by the console (console/recordings-routes.ts);
// callers check the role first.

/** what is recorded, per stream, optionally of one app and one stream */
export async function listRecordings(deps: ApiDeps, filter: Readonly<{ app?: string | undefined; stream?: string | undefined }>): Promise<RecordingSummary[]> {
  const reply = await ask(deps, 'GET', '/v1/recordings');
  if (reply.status !== 200 || !isListing(reply.body)) throw problemFrom(reply, 'recordings');
  const out: RecordingSummary[] = [];
  for (const { app, streams } of reply.body.apps) {
    if (filter.app !== undefined && filter.app !== app) continue;
    for (const s of streams) {
      if (filter.stream !== undefined && filter.stream !== s.stream) continue;
      out.push({ app, stream: s.stream, format: s.format, ranges: s.ranges, segments: s.segments, sizeBytes: s.sizeBytes });
    }
  }
  return out;
}

/** deletes the segment files overlapping [startMs, endMs); `by` names the admin in the log */
export async function deleteRecordings(deps: ApiDeps, app: string, stream: string, startMs: number, endMs: number, by: string): Promise<{ deleted: number; sizeBytes: number }> {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) throw new ApiProblem('invalid', 'endTimeMs must be after startTimeMs');
  const path = `/v1/recordings/${encodeURIComponent(app)}/${encodeURIComponent(stream)}?startMs=${Math.floor(startMs)}&endMs=${Math.ceil(endMs)}`;
  const reply = await ask(deps, 'DELETE', path);
  const body = reply.body;
  if (reply.status !== 200 || !isObject(body) || typeof body.deleted !== 'number' || typeof body.sizeBytes !== 'number') {
    throw problemFrom(reply, `recordings of '${app}/${stream}'`);
  }
  deps.logger.info('recordings deleted', { app, stream, deleted: body.deleted, by });
  return { deleted: body.deleted, sizeBytes: body.sizeBytes };
}

export async function startExport(deps: ApiDeps, body: ExportInput): Promise<ExportJob> {
  if ((body.endTimeMs === undefined) === (body.durationMs === undefined)) throw new ApiProblem('invalid', 'give endTimeMs or durationMs (one of them)');
  const endMs = body.endTimeMs ?? body.startTimeMs + body.durationMs!;
  const request = { app: body.app, stream: body.stream, startMs: body.startTimeMs, endMs, ...(body.fileName !== undefined ? { fileName: body.fileName } : {}) };
  const reply = await ask(deps, 'POST', '/v1/exports', request);
  if (reply.status !== 202 || !isJob(reply.body)) throw problemFrom(reply, 'export');
  return toJob(reply.body);
}

export const exportStatus = async (deps: ApiDeps, id: string): Promise<ExportJob> => toJob(await exportJob(deps, id));

export const recordingRoutes = (deps: ApiDeps) =>
  new Elysia({ prefix: '/recordings' })
    .use(requireAuth(deps))
    .get(
      '',
      async ({ query }) => ({ items: await listRecordings(deps, query) }),
      {
        query: ListQuery,
        response: { 200: ListOf(RecordingSummarySchema), ...problemResponses(401, 503) },
        detail: {
          tags,
          summary: 'What is recorded, per stream',
          description:
            'Continuous recorded ranges, segment count and size of every recorded stream of the apps with recording settings. ' +
            'Play a range at /{app}/{stream}/index.m3u8?start_time={UNIX ms}&end_time={UNIX ms} on the engine HTTP port.',
        },
      },
    )
    .delete(
      '/:app/:stream',
      async ({ auth, params, query }) => {
        assertAdmin(auth);
        return deleteRecordings(deps, params.app, params.stream, query.startTimeMs, query.endTimeMs, auth.user.username);
      },
      {
        params: StreamParams,
        query: DeleteQuery,
        response: { 200: DeletedSchema, ...problemResponses(400, 401, 403, 404, 503) },
        detail: {
          tags,
          summary: 'Delete a recorded range',
          description: 'Deletes every segment file of the stream that overlaps [startTimeMs, endTimeMs), whole (segments are not cut).',
        },
      },
    )
    .post(
      '/export',
      async ({ auth, body, set }) => {
        assertAdmin(auth);
        const job = await startExport(deps, body);
        set.status = 202;
        set.headers.location = job.statusUrl;
        return job;
      },
      {
        parse: 'json',
        body: ExportBody,
        response: { 202: ExportJobSchema, ...problemResponses(400, 401, 403, 404, 429, 503) },
        detail: {
          tags,
          summary: 'Export a recorded range as MP4',
          description:
            'Starts a job that writes one fast-start MP4 (moov first) of the range, cut at video keyframes, without re-encoding. ' +
            'Poll statusUrl for progress; downloadUrl answers the file once state is done. Gaps in the recording are closed up. ' +
            'One export covers at most 6 h; a few wait while one runs (429 past that).',
        },
      },
    )
    .get(
      '/exports/:id',
      async ({ auth, params }) => {
        assertAdmin(auth);
        return exportStatus(deps, params.id);
      },
      {
        params: ExportParams,
        response: { 200: ExportJobSchema, ...problemResponses(401, 403, 404, 503) },
        detail: { tags, summary: 'Export status', description: 'state, progress (0-1), and once done the size and duration.' },
      },
    )
    .get(
      '/exports/:id/download',
      async ({ auth, params }) => {
        assertAdmin(auth);
        const job = await exportJob(deps, params.id);
        if (job.state !== 'done') throw new ApiProblem('conflict', job.state === 'failed' ? `the export failed: ${job.error ?? ''}` : `the export is ${job.state} (${Math.round(job.progress * 100)} %)`);
        if (!deps.engine.exportFile) throw new ApiProblem('engine-unavailable', 'this engine client cannot download exports');
        const file = await fromEngine(deps.engine.exportFile(job.id));
        if (file.status !== 200 || !file.body) {
          await file.body?.cancel().catch(() => undefined);
          throw new ApiProblem(file.status === 404 ? 'not-found' : 'internal', `export '${job.id}': the engine answered ${file.status}`);
        }
        return new Response(file.body, {
          headers: {
            'content-type': 'video/mp4',
            'content-disposition': `attachment; filename="${job.fileName}"`,
            'cache-control': 'no-store',
            ...(file.headers.get('content-length') ? { 'content-length': file.headers.get('content-length')! } : {}),
          },
        });
      },
      {
        params: ExportParams,
        response: { 200: t.Any({ description: 'the MP4 (video/mp4)' }), ...problemResponses(401, 403, 404, 409, 503) },
        detail: { tags, summary: 'Download an export', description: 'The MP4 file, once the job is done (409 before, with its state).' },
      },
    );
