// /api/v1/recordings over a fake engine: listing per stream (any user), delete and export (admins),
// the engine's refusals passed on as problems with its reason, and the export download streamed.
import { beforeEach, describe, expect, test } from 'bun:test';
import type { EngineReply, EngineResult } from '../../../src/control/engine-client.ts';
import { adminToken, call, expectProblem, FakeEngine, type Harness, makeHarness } from './helpers.ts';

type Asked = { method: string; path: string; body?: unknown };

class RecordingEngine extends FakeEngine {
  readonly asked: Asked[] = [];
  replies = new Map<string, EngineReply>();
  file: Response | null = null;
  recordingCall(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<EngineResult<EngineReply>> {
    this.asked.push({ method, path, ...(body !== undefined ? { body } : {}) });
    if (!this.up) return Promise.resolve({ ok: false, reason: 'engine unreachable' });
    const reply = this.replies.get(`${method} ${path.split('?')[0]}`) ?? { status: 404, body: { error: 'not found' } };
    return Promise.resolve({ ok: true, value: reply });
  }
  exportFile(id: string): Promise<EngineResult<Response>> {
    this.asked.push({ method: 'GET', path: `/v1/exports/${id}/file` });
    return Promise.resolve(this.file ? { ok: true, value: this.file } : { ok: false, reason: 'engine unreachable' });
  }
}

const T0 = 1_764_892_800_000;
const job = (over: Record<string, unknown> = {}) => ({
  id: 'job1',
  app: 'live',
  stream: 'cam',
  startMs: T0,
  endMs: T0 + 5000,
  fileName: 'clip.mp4',
  state: 'running',
  progress: 0.5,
  createdAtMs: T0 + 60_000,
  finishedAtMs: null,
  sizeBytes: null,
  firstMs: null,
  durationMs: null,
  error: null,
  ...over,
});

// Set-up alike in shape to console/recordings-page.test.ts's: here admin and viewer are API tokens, there console sessions.
let h: Harness;
let engine: RecordingEngine;
let admin: string;
let viewer: string;

beforeEach(async () => {
  engine = new RecordingEngine();
  h = await makeHarness({ engine });
  admin = await adminToken(h);
  const vic = await h.services.users.create({ username: 'vic', password: 'viewer password' });
  viewer = h.services.auth.createToken(vic.id, 'viewer').token;
});

const as = (token: string) => (method: string, path: string, body?: unknown) => call(h.app, method, `/api/v1${path}`, { creds: { token }, body });

describe('listing', () => {
  test('viewers list what is recorded per stream, filtered by app and stream', async () => {
    const ranges = [{ startMs: T0, endMs: T0 + 6000, segments: 6, sizeBytes: 600 }];
    engine.replies.set('GET /v1/recordings', {
      status: 200,
      body: {
        apps: [
          { app: 'live', streams: [{ stream: 'cam', format: 'fmp4', ranges, segments: 6, sizeBytes: 600 }, { stream: 'door', format: 'ts', ranges: [], segments: 0, sizeBytes: 0 }] },
          { app: 'other', streams: [{ stream: 'cam', format: 'fmp4', ranges, segments: 6, sizeBytes: 600 }] },
        ],
      },
    });
    const all = await as(viewer)('GET', '/recordings');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(3);
    expect(all.body.items[0]).toEqual({ app: 'live', stream: 'cam', format: 'fmp4', ranges, segments: 6, sizeBytes: 600 });
    expect((await as(viewer)('GET', '/recordings?app=live&stream=cam')).body.items).toEqual([all.body.items[0]]);
  });

  test('the engine down: 503', async () => {
    engine.up = false;
    expectProblem(await as(viewer)('GET', '/recordings'), 503, 'engine-unavailable');
  });
});

describe('delete', () => {
  test('admins delete a range; the engine is asked with the range', async () => {
    engine.replies.set('DELETE /v1/recordings/live/cam', { status: 200, body: { deleted: 3, sizeBytes: 300 } });
    const res = await as(admin)('DELETE', `/recordings/live/cam?startTimeMs=${T0}&endTimeMs=${T0 + 3000}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: 3, sizeBytes: 300 });
    expect(engine.asked.at(-1)).toEqual({ method: 'DELETE', path: `/v1/recordings/live/cam?startMs=${T0}&endMs=${T0 + 3000}` });
  });

  test('viewers may not; bad ranges are 400; the engine refusal keeps its reason', async () => {
    expectProblem(await as(viewer)('DELETE', `/recordings/live/cam?startTimeMs=${T0}&endTimeMs=${T0 + 3000}`), 403, 'forbidden');
    expectProblem(await as(admin)('DELETE', `/recordings/live/cam?startTimeMs=${T0}&endTimeMs=${T0}`), 400, 'invalid');
    expectProblem(await as(admin)('DELETE', '/recordings/live/cam'), 400, 'invalid');
    engine.replies.set('DELETE /v1/recordings/live/cam', { status: 404, body: { error: 'the app has no recording settings' } });
    const problem = expectProblem(await as(admin)('DELETE', `/recordings/live/cam?startTimeMs=${T0}&endTimeMs=${T0 + 1}`), 404, 'not-found');
    expect(problem.detail).toContain('the app has no recording settings');
    expect(engine.asked.filter((a) => a.method === 'DELETE')).toHaveLength(1);
  });
});

describe('export', () => {
  test('admins start an export by end time or duration: 202 with status and download links', async () => {
    engine.replies.set('POST /v1/exports', { status: 202, body: job({ state: 'queued', progress: 0 }) });
    const res = await as(admin)('POST', '/recordings/export', { app: 'live', stream: 'cam', startTimeMs: T0, durationMs: 5000, fileName: 'clip' });
    expect(res.status).toBe(202);
    expect(engine.asked.at(-1)).toEqual({ method: 'POST', path: '/v1/exports', body: { app: 'live', stream: 'cam', startMs: T0, endMs: T0 + 5000, fileName: 'clip' } });
    expect(res.body).toMatchObject({ id: 'job1', state: 'queued', startTimeMs: T0, endTimeMs: T0 + 5000, statusUrl: '/api/v1/recordings/exports/job1', downloadUrl: '/api/v1/recordings/exports/job1/download' });
    expect(res.headers.get('location')).toBe('/api/v1/recordings/exports/job1');
    await as(admin)('POST', '/recordings/export', { app: 'live', stream: 'cam', startTimeMs: T0, endTimeMs: T0 + 4000 });
    expect(engine.asked.at(-1)!.body).toEqual({ app: 'live', stream: 'cam', startMs: T0, endMs: T0 + 4000 });
  });

  test('refusals: viewers 403, end and duration both or neither 400, engine reasons kept (404, 429)', async () => {
    const body = { app: 'live', stream: 'cam', startTimeMs: T0, endTimeMs: T0 + 1000 };
    expectProblem(await as(viewer)('POST', '/recordings/export', body), 403, 'forbidden');
    expectProblem(await as(admin)('POST', '/recordings/export', { ...body, durationMs: 5 }), 400, 'invalid');
    expectProblem(await as(admin)('POST', '/recordings/export', { app: 'live', stream: 'cam', startTimeMs: T0 }), 400, 'invalid');
    expectProblem(await as(admin)('POST', '/recordings/export', { ...body, stream: '../x' }), 400, 'invalid');
    engine.replies.set('POST /v1/exports', { status: 404, body: { error: "nothing of 'live/cam' is recorded between 1 and 2" } });
    expect(expectProblem(await as(admin)('POST', '/recordings/export', body), 404, 'not-found').detail).toContain('nothing of');
    engine.replies.set('POST /v1/exports', { status: 503, body: { error: '4 exports are already waiting' } });
    expectProblem(await as(admin)('POST', '/recordings/export', body), 429, 'rate-limited');
  });

  test('status and download: 409 until done, then the engine file streamed with its name', async () => {
    engine.replies.set('GET /v1/exports/job1', { status: 200, body: job() });
    expect((await as(admin)('GET', '/recordings/exports/job1')).body).toMatchObject({ state: 'running', progress: 0.5 });
    expectProblem(await as(viewer)('GET', '/recordings/exports/job1'), 403, 'forbidden');
    expect(expectProblem(await as(admin)('GET', '/recordings/exports/job1/download'), 409, 'conflict').detail).toContain('running (50 %)');
    engine.replies.set('GET /v1/exports/job1', { status: 200, body: job({ state: 'done', progress: 1, sizeBytes: 4, firstMs: T0, durationMs: 5000, finishedAtMs: T0 + 61_000 }) });
    engine.file = new Response(new Uint8Array([0, 0, 0, 8]), { headers: { 'content-length': '4' } });
    const res = await h.app.handle(new Request('http://localhost/api/v1/recordings/exports/job1/download', { headers: { authorization: `Bearer ${admin}` } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="clip.mp4"');
    expect([...(await res.bytes())]).toEqual([0, 0, 0, 8]);
    engine.replies.set('GET /v1/exports/nope', { status: 404, body: { error: "no export 'nope'" } });
    expectProblem(await as(admin)('GET', '/recordings/exports/nope'), 404, 'not-found');
  });
});

test('the OpenAPI document describes the recording routes', async () => {
  const doc = await call(h.app, 'GET', '/api/openapi.json');
  const paths = Object.keys(doc.body?.paths ?? {});
  for (const p of ['/api/v1/recordings', '/api/v1/recordings/export', '/api/v1/recordings/exports/{id}', '/api/v1/recordings/exports/{id}/download', '/api/v1/recordings/{app}/{stream}']) {
    expect(paths).toContain(p);
  }
});
