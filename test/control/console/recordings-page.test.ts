// The console's recordings page (issue 13 item 7) over a fake engine: the timeline of recorded
// ranges with its gaps and totals, the look-back play URL with this user's query, the MP4 export
// (CSRF, admins, polled job, download link), the two-step delete, the "recording paused" warning
// (here and on the live streams page), viewers refused on the server too, escaping and Chinese.
import { beforeEach, describe, expect, test } from 'bun:test';
import type { EngineReply, EngineResult } from '../../../src/control/engine-client.ts';
import { DEFAULT_APP_RECORDING } from '../../../src/control/services/recording-settings.ts';
import { ADMIN_PASSWORD, BASE, FakeEngine, makeHarness, type Harness } from '../api/helpers.ts';

class RecordingEngine extends FakeEngine {
  readonly asked: Array<{ method: string; path: string; body?: unknown }> = [];
  readonly replies = new Map<string, EngineReply>();
  recordingCall(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<EngineResult<EngineReply>> {
    this.asked.push({ method, path, ...(body !== undefined ? { body } : {}) });
    if (!this.up) return Promise.resolve({ ok: false, reason: 'engine unreachable' });
    return Promise.resolve({ ok: true, value: this.replies.get(`${method} ${path.split('?')[0]}`) ?? { status: 404, body: { error: 'not found' } } });
  }
}

type Reply = { status: number; headers: Headers; text: string };
type Session = (method: string, path: string, form?: Record<string, string>, options?: { csrf?: boolean }) => Promise<Reply>;

async function session(h: Harness, username: string, password: string): Promise<Session> {
  let cookie = '';
  let csrf = '';
  const req: Session = async (method, path, form, options = {}) => {
    const headers: Record<string, string> = cookie ? { cookie } : {};
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (csrf && options.csrf !== false) headers['x-csrf-token'] = csrf;
    const res = await h.app.handle(new Request(BASE + path, { method, headers, body: form ? new URLSearchParams(form).toString() : undefined, redirect: 'manual' }));
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const login = await req('POST', '/login', { username, password });
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  csrf = /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec((await req('GET', '/')).text)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return req;
}

// 2026-12-05 00:00:00 UTC
const T0 = Date.UTC(2026, 11, 5);
const MIN = 60_000;
const ranges = [
  { startMs: T0 + 10 * MIN, endMs: T0 + 40 * MIN, segments: 300, sizeBytes: 300 * 1024 * 1024 },
  { startMs: T0 + 90 * MIN, endMs: T0 + 100 * MIN, segments: 100, sizeBytes: 100 * 1024 * 1024 },
];
const job = (over: Record<string, unknown> = {}) => ({
  id: 'job1', app: 'live', stream: 'cam', startMs: T0 + 10 * MIN, endMs: T0 + 11 * MIN, fileName: 'clip.mp4', state: 'running', progress: 0.25,
  createdAtMs: T0, finishedAtMs: null, sizeBytes: null, firstMs: null, durationMs: null, error: null, ...over,
});

let h: Harness;
let engine: RecordingEngine;
let admin: Session;
let viewer: Session;

beforeEach(async () => {
  engine = new RecordingEngine();
  h = await makeHarness({ engine });
  h.services.apps.update('live', { recording: { ...DEFAULT_APP_RECORDING, enabled: true, path: '/srv/rec' } });
  engine.replies.set('GET /v1/recordings', {
    status: 200,
    body: { apps: [{ app: 'live', streams: [{ stream: 'cam', format: 'fmp4', ranges, segments: 400, sizeBytes: 400 * 1024 * 1024 }, { stream: 'door', format: 'ts', ranges: [], segments: 0, sizeBytes: 0 }] }] },
  });
  await h.services.users.create({ username: 'vic', password: 'viewer password' });
  admin = await session(h, 'admin', ADMIN_PASSWORD);
  viewer = await session(h, 'vic', 'viewer password');
});

const asked = (method: string) => engine.asked.filter((a) => a.method === method);

describe('the page', () => {
  test('a timeline row per hour with a bar per range, the gap between them empty, totals and the ranges table', async () => {
    const page = await viewer('GET', '/streams/live/cam/recordings');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const rows = [...page.text.matchAll(/data-testid="rec-row" data-start="(\d+)"/g)].map((m) => Number(m[1]));
    // 00:10-00:40 and 01:30-01:40: rows 00:00 and 01:00, hour by hour
    expect(rows).toEqual([T0, T0 + 60 * MIN]);
    const bars = [...page.text.matchAll(/<rect class="rec-bar" data-testid="rec-bar" x="([\d.]+)" y="3" width="([\d.]+)"[^>]*data-start="(\d+)" data-end="(\d+)"/g)];
    expect(bars.map((b) => [Number(b[1]), Number(b[2]), Number(b[3])])).toEqual([
      [(10 / 60) * 1000, (30 / 60) * 1000, ranges[0]!.startMs].map((v, i) => (i < 2 ? Number(v.toFixed(2)) : v)),
      [(30 / 60) * 1000, (10 / 60) * 1000, ranges[1]!.startMs].map((v, i) => (i < 2 ? Number(v.toFixed(2)) : v)),
    ]);
    expect(page.text).toContain('data-testid="rec-total"><strong>Total:</strong> 400 MiB · 400 segments · 2 ranges · Format fmp4');
    expect(page.text).toContain('<td>2026-12-05 00:10:00Z</td><td>2026-12-05 00:40:00Z</td><td>30m 0s</td><td>300</td><td>300 MiB</td>');
    // the polled fragment is the same timeline
    const fragment = await viewer('GET', '/fragments/streams/live/cam/recordings');
    expect(fragment.status).toBe(200);
    expect([...fragment.text.matchAll(/data-testid="rec-bar"/g)]).toHaveLength(2);
    expect(page.text).toContain('hx-get="/fragments/streams/live/cam/recordings" hx-trigger="every 10s"');
  });

  test('the play form points at the look-back playlist on the engine port; a signed-only app: admins get a signed query, viewers no player', async () => {
    const page = await viewer('GET', '/streams/live/cam/recordings');
    const port = h.services.settings.get().listen.httpPort;
    expect(page.text).toContain(`data-play-base="http://localhost:${port}/live/cam/index.m3u8" data-play-query=""`);
    expect(page.text).toContain('/console/assets/hls.min.js');
    expect(page.text).toContain('/console/assets/console-recordings.js');
    expect((await viewer('GET', '/console/assets/console-recordings.js')).text).toContain('start_time=');
    h.services.apps.update('live', { playPolicy: 'signed-url' });
    const signed = await admin('GET', '/streams/live/cam/recordings');
    expect(signed.text).toMatch(/data-play-query="[^"]*expires[^"]+"/i);
    const refused = await viewer('GET', '/streams/live/cam/recordings');
    expect(refused.text).toContain('data-testid="rec-no-play"');
    expect(refused.text).not.toContain('data-play-base');
    expect(refused.text).not.toContain('rec-play-hook');
    h.services.apps.update('live', { playPolicy: 'hook', hookUrl: 'http://127.0.0.1:9/hook' });
    expect((await viewer('GET', '/streams/live/cam/recordings')).text).toContain('data-testid="rec-play-hook"');
  });

  test('nothing recorded, an app without recording, an engine down, an unknown app, a bad stream name', async () => {
    expect((await viewer('GET', '/streams/live/door/recordings')).text).toContain('Nothing of this stream is recorded.');
    h.services.apps.update('live', { recording: { ...DEFAULT_APP_RECORDING, enabled: false } });
    expect((await viewer('GET', '/streams/live/nope/recordings')).text).toContain('This app does not record');
    engine.up = false;
    const down = await viewer('GET', '/streams/live/cam/recordings');
    expect(down.status).toBe(200);
    expect(down.text).toContain('data-testid="engine-down"');
    expect((await viewer('GET', '/streams/nosuchapp/cam/recordings')).status).toBe(404);
    expect((await viewer('GET', '/streams/live/a%20b/recordings')).status).toBe(400);
  });

  test('viewers get no export or delete controls; admins do; the stream page links here', async () => {
    const v = await viewer('GET', '/streams/live/cam/recordings');
    expect(v.text).toContain('data-testid="rec-admin-only"');
    expect(v.text).not.toContain('rec-export-start');
    expect(v.text).not.toContain('rec-delete-review');
    const a = await admin('GET', '/streams/live/cam/recordings');
    expect(a.text).toContain('hx-post="/streams/live/cam/recordings/export"');
    expect(a.text).toContain('hx-post="/streams/live/cam/recordings/delete"');
    expect((await viewer('GET', '/streams/live/cam')).text).toContain('<a href="/streams/live/cam/recordings" data-testid="recordings-link">Recordings</a>');
  });

  test('in Chinese', async () => {
    h.services.users.update(h.services.users.findByUsername('vic')!.id, { language: 'zh' });
    const page = await viewer('GET', '/streams/live/cam/recordings');
    expect(page.text).toContain('<html lang="zh-CN">');
    expect(page.text).toContain('已录制时段');
    expect(page.text).toContain('<strong>合计:</strong> 400 MiB · 400 个分片');
    expect(page.text).toContain('导出和删除录制仅限管理员。');
  });
});

describe('recording paused for lack of disk', () => {
  const paused = (apps: string[]) => ({
    ...h.engine.status_,
    recording: { minFreeBytes: 1 << 30, recorders: 1, segmentsWritten: 5, segmentsDropped: 0, segmentsDeleted: 0, paths: [{ path: '/srv/rec', freeBytes: 512 * 1024 * 1024, paused: true, apps }] },
  });

  test('the recordings page of an app on that path and the live streams page warn; other apps do not', async () => {
    h.engine.status_ = paused(['live']);
    const page = await viewer('GET', '/streams/live/cam/recordings');
    expect(page.text).toContain('data-testid="recording-paused"');
    expect(page.text).toContain('Recording is paused: free disk space is below the floor on <code>/srv/rec</code> (512 MiB; apps: live).');
    expect((await viewer('GET', '/streams')).text).toContain('data-testid="recording-paused"');
    expect((await viewer('GET', '/fragments/streams')).text).toContain('data-testid="recording-paused"');
    h.engine.status_ = paused(['other']);
    expect((await viewer('GET', '/streams/live/cam/recordings')).text).not.toContain('recording-paused');
    h.engine.status_ = { ...paused(['live']), recording: { ...paused(['live']).recording, paths: [{ path: '/srv/rec', freeBytes: 5 << 30, paused: false, apps: ['live'] }] } };
    expect((await viewer('GET', '/streams')).text).not.toContain('recording-paused');
  });

  test('in Chinese', async () => {
    h.engine.status_ = paused(['live']);
    h.services.users.update(h.services.users.findByUsername('vic')!.id, { language: 'zh' });
    expect((await viewer('GET', '/streams')).text).toContain('录制已暂停：磁盘可用空间低于下限');
  });
});

describe('export', () => {
  test('an admin exports a range: the engine gets the times in ms, the job is polled until its download link', async () => {
    engine.replies.set('POST /v1/exports', { status: 202, body: job({ state: 'queued', progress: 0 }) });
    const started = await admin('POST', '/streams/live/cam/recordings/export', { start: '2026-12-05 00:10:00Z', end: '', durationSec: '60', fileName: 'clip' });
    expect(started.status).toBe(200);
    expect(asked('POST').at(-1)!.body).toEqual({ app: 'live', stream: 'cam', startMs: T0 + 10 * MIN, endMs: T0 + 11 * MIN, fileName: 'clip' });
    expect(started.text).toContain('hx-get="/fragments/recordings/exports/job1" hx-trigger="every 1s"');
    expect(started.text).toContain('data-testid="export-progress"');
    await admin('POST', '/streams/live/cam/recordings/export', { start: String(T0), end: '2026-12-05T00:00:30.5Z' });
    expect(asked('POST').at(-1)!.body).toEqual({ app: 'live', stream: 'cam', startMs: T0, endMs: T0 + 30_500 });

    engine.replies.set('GET /v1/exports/job1', { status: 200, body: job({ progress: 0.5 }) });
    const running = await admin('GET', '/fragments/recordings/exports/job1');
    expect(running.text).toContain('value="0.500"');
    expect(running.text).toContain('hx-trigger="every 1s"');
    engine.replies.set('GET /v1/exports/job1', { status: 200, body: job({ state: 'done', progress: 1, sizeBytes: 2 * 1024 * 1024, durationMs: 60_000, fileName: 'clip.mp4' }) });
    const done = await admin('GET', '/fragments/recordings/exports/job1');
    expect(done.text).toContain('href="/api/v1/recordings/exports/job1/download" download="clip.mp4"');
    expect(done.text).not.toContain('hx-trigger');
    engine.replies.set('GET /v1/exports/job1', { status: 200, body: job({ state: 'failed', error: '<img src=x> disk gone' }) });
    const failed = await admin('GET', '/fragments/recordings/exports/job1');
    expect(failed.text).toContain('The export failed: &lt;img src=x&gt; disk gone');
    expect(failed.text).not.toContain('<img src=x>');
    expect(failed.text).not.toContain('hx-trigger');
    engine.replies.delete('GET /v1/exports/job1');
    const gone = await admin('GET', '/fragments/recordings/exports/job1');
    expect(gone.text).toContain('data-state="gone"');
    expect(gone.text).not.toContain('hx-trigger');
  });

  test('the engine file name is escaped; its refusal reason reaches the flash', async () => {
    engine.replies.set('POST /v1/exports', { status: 202, body: job({ fileName: '"><script>alert(1)</script>.mp4' }) });
    const started = await admin('POST', '/streams/live/cam/recordings/export', { start: String(T0), end: String(T0 + 1000) });
    expect(started.text).not.toContain('<script>alert');
    expect(started.text).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.mp4');
    engine.replies.set('POST /v1/exports', { status: 404, body: { error: "nothing of 'live/cam' is recorded between 1 and 2" } });
    const refused = await admin('POST', '/streams/live/cam/recordings/export', { start: '1', end: '2' });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('hx-retarget')).toBe('#flash');
    expect(refused.text).toContain('nothing of &#39;live/cam&#39; is recorded');
  });

  test('bad ranges are refused before the engine is asked', async () => {
    for (const form of <Array<Record<string, string>>>[
      { start: 'yesterday', end: '2' },
      { start: '1000', end: 'soon' },
      { start: '1000', end: '1000' },
      { start: '1000' },
      { start: '1000', durationSec: '0' },
      { start: '1000', durationSec: '1.5' },
      { start: '1000', durationSec: '21601' },
      { start: '1000', end: '2000', fileName: 'x'.repeat(101) },
    ]) {
      const res = await admin('POST', '/streams/live/cam/recordings/export', form);
      expect(res.status).toBe(400);
    }
    expect((await admin('POST', '/streams/live/bad%20name/recordings/export', { start: '1', end: '2' })).status).toBe(400);
    expect((await admin('POST', '/streams/nosuchapp/cam/recordings/export', { start: '1', end: '2' })).status).toBe(404);
    expect(asked('POST')).toHaveLength(0);
  });

  test('viewers are refused by the server, and anyone without the CSRF token', async () => {
    engine.replies.set('POST /v1/exports', { status: 202, body: job() });
    engine.replies.set('GET /v1/exports/job1', { status: 200, body: job({ state: 'done' }) });
    const form = { start: String(T0), end: String(T0 + 1000) };
    const v = await viewer('POST', '/streams/live/cam/recordings/export', form);
    expect(v.status).toBe(403);
    expect(v.text).toContain('changes need an admin account');
    const status = await viewer('GET', '/fragments/recordings/exports/job1');
    expect(status.status).toBe(403);
    expect(status.text).not.toContain('download');
    const noCsrf = await admin('POST', '/streams/live/cam/recordings/export', form, { csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.text).toContain('CSRF');
    expect(asked('POST')).toHaveLength(0);
    expect(asked('GET').filter((a) => a.path.startsWith('/v1/exports'))).toHaveLength(0);
  });
});

describe('delete', () => {
  test('step one shows what would go and deletes nothing; step two deletes and redraws the timeline', async () => {
    const review = await admin('POST', '/streams/live/cam/recordings/delete', { start: '2026-12-05 00:00:00Z', end: '2026-12-05 00:50:00Z' });
    expect(review.status).toBe(200);
    expect(review.text).toContain('data-testid="delete-review"');
    expect(review.text).toContain('1 ranges (≤ 300 segments, ≤ 300 MiB)');
    expect(review.text).toContain(`name="start" value="${T0}"`);
    expect(review.text).toContain(`name="end" value="${T0 + 50 * MIN}"`);
    expect(review.text).toContain('name="confirm" value="yes"');
    expect(asked('DELETE')).toHaveLength(0);
    const nothing = await admin('POST', '/streams/live/cam/recordings/delete', { start: '2026-12-05 03:00:00Z', durationSec: '60' });
    expect(nothing.text).toContain('data-testid="delete-nothing"');
    expect(nothing.text).not.toContain('confirm');

    engine.replies.set('DELETE /v1/recordings/live/cam', { status: 200, body: { deleted: 300, sizeBytes: 300 * 1024 * 1024 } });
    const deleted = await admin('POST', '/streams/live/cam/recordings/delete', { start: String(T0), end: String(T0 + 50 * MIN), confirm: 'yes' });
    expect(deleted.status).toBe(200);
    expect(asked('DELETE')).toEqual([{ method: 'DELETE', path: `/v1/recordings/live/cam?startMs=${T0}&endMs=${T0 + 50 * MIN}` }]);
    expect(deleted.text).toContain('Deleted: 300 segments, 300 MiB');
    expect(deleted.text).toContain('id="rec-timeline" hx-get="/fragments/streams/live/cam/recordings" hx-trigger="every 10s" hx-swap="innerHTML" hx-swap-oob="true"');
    expect(h.logLines.some((l) => l.includes('recordings deleted') && l.includes('admin'))).toBe(true);
  });

  test('viewers and requests without the CSRF token are refused; the engine refusal keeps its reason', async () => {
    engine.replies.set('DELETE /v1/recordings/live/cam', { status: 200, body: { deleted: 1, sizeBytes: 1 } });
    const form = { start: String(T0), end: String(T0 + MIN), confirm: 'yes' };
    expect((await viewer('POST', '/streams/live/cam/recordings/delete', form)).status).toBe(403);
    expect((await viewer('POST', '/streams/live/cam/recordings/delete', { start: String(T0), end: String(T0 + MIN) })).status).toBe(403);
    expect((await admin('POST', '/streams/live/cam/recordings/delete', form, { csrf: false })).status).toBe(403);
    expect(asked('DELETE')).toHaveLength(0);
    engine.replies.set('DELETE /v1/recordings/live/cam', { status: 404, body: { error: 'the app has <no> recording settings' } });
    const refused = await admin('POST', '/streams/live/cam/recordings/delete', form);
    expect(refused.status).toBe(404);
    expect(refused.text).toContain('the app has &lt;no&gt; recording settings');
  });
});
