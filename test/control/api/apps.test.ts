// /api/v1/apps: CRUD, validation with field paths, conflicts, and the engine told to reload.
import { describe, expect, test } from 'bun:test';
import { call, expectProblem, useAdminApi } from './helpers.ts';

const admin = useAdminApi();
const api = admin.api;

describe('apps', () => {
  // The expected app is alike in shape to control/apps.test.ts's: that pins the service's record, this the REST answer, each with its own values.
  test('create, read, list, change, delete', async () => {
    const created = await api('POST', '/apps', { name: 'cam-1', publishPolicy: 'stream-key', llHls: false });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'cam-1',
      sourceType: 'push',
      hls: true,
      llHls: false,
      publishPolicy: 'stream-key',
      playPolicy: 'open',
      hookUrl: null,
      outagePolicy: 'admitted',
      recording: { enabled: false, format: 'fmp4', segmentDurationSec: 6, path: null, retentionDays: 0, quotaMb: 0 },
      snapshot: { enabled: false, intervalSec: 10, keep: 1 },
      createdAtMs: admin.h.clock.now,
    });
    expect((await api('GET', '/apps/cam-1')).body).toEqual(created.body);
    expect((await api('GET', '/apps')).body.items.map((a: { name: string }) => a.name)).toEqual(['cam-1', 'live']);

    const changed = await api('PATCH', '/apps/cam-1', { playPolicy: 'hook', hookUrl: 'https://auth.example.com/on_play' });
    expect(changed.status).toBe(200);
    // fields not sent keep their values
    expect(changed.body).toMatchObject({ publishPolicy: 'stream-key', llHls: false, playPolicy: 'hook', hookUrl: 'https://auth.example.com/on_play' });
    expect((await api('PATCH', '/apps/cam-1', {})).body).toEqual(changed.body);
    const revision = admin.h.services.config.revision();
    expect((await api('PATCH', '/apps/cam-1', { outagePolicy: 'closed' })).body.outagePolicy).toBe('closed');
    expect(admin.h.services.config.revision()).toBe(revision + 1);
    expect(admin.h.services.config.snapshot().apps.find((a) => a.name === 'cam-1')?.outagePolicy).toBe('closed');
    expectProblem(await api('PATCH', '/apps/cam-1', { outagePolicy: 'sometimes' }), 400, 'invalid');

    const deleted = await api('DELETE', '/apps/cam-1');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectProblem(await api('GET', '/apps/cam-1'), 404, 'not-found');
    expectProblem(await api('DELETE', '/apps/cam-1'), 404, 'not-found');
  });

  test('schema errors are 400 problems naming every bad field, and change nothing', async () => {
    const revision = admin.h.services.config.revision();
    const bad = expectProblem(await api('POST', '/apps', { name: 'x', hls: 'yes', publishPolicy: 'password' }), 400, 'invalid');
    const paths = bad.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('/name');
    expect(paths).toContain('/hls');
    expect(paths).toContain('/publishPolicy');
    expect(bad.errors.find((e: { path: string }) => e.path === '/publishPolicy').message).toBe(
      'must be one of "open", "stream-key", "signed-url", "hook"',
    );
    expect(bad.errors.every((e: { in: string }) => e.in === 'body')).toBe(true);

    const missing = expectProblem(await api('POST', '/apps', {}), 400, 'invalid');
    expect(missing.errors).toContainEqual({ in: 'body', path: '/name', message: 'is required: a string matching ^[A-Za-z0-9_-]{2,40}$' });

    for (const name of ['a', 'x'.repeat(41), 'has space', 'dot.ted', 'ünï']) {
      expectProblem(await api('POST', '/apps', { name }), 400, 'invalid');
    }
    expectProblem(await api('PATCH', '/apps/live', { sourceType: 'carrier pigeon' }), 400, 'invalid');
    expect((await api('GET', '/apps')).body.items).toHaveLength(1);
    expect((await api('GET', '/apps/live')).body.sourceType).toBe('push');
    expect(admin.h.services.config.revision()).toBe(revision);
    expect(admin.h.engine.reloads).toBe(0);
  });

  test('domain rules are problems too: duplicate names (any case) 409, a hook policy without URL 400', async () => {
    expectProblem(await api('POST', '/apps', { name: 'live' }), 409, 'conflict');
    expectProblem(await api('POST', '/apps', { name: 'LIVE' }), 409, 'conflict');
    const hook = expectProblem(await api('POST', '/apps', { name: 'hooked', publishPolicy: 'hook' }), 400, 'invalid');
    expect(hook.errors?.[0]?.path).toBe('/hookUrl');
    expectProblem(await api('POST', '/apps', { name: 'hooked', publishPolicy: 'hook', hookUrl: 'ftp://x' }), 400, 'invalid');
    expectProblem(await api('PATCH', '/apps/nope', { hls: false }), 404, 'not-found');
  });

  test('malformed JSON is a 400 problem', async () => {
    const res = await call(admin.h.app, 'POST', '/api/v1/apps', { creds: { token: admin.token }, raw: '{"name": ' });
    expectProblem(res, 400, 'malformed');
  });

  test('every configuration change tells the engine to reload', async () => {
    expect(admin.h.engine.reloads).toBe(0);
    await api('POST', '/apps', { name: 'cam' });
    expect(admin.h.engine.reloads).toBe(1);
    await api('PATCH', '/apps/cam', { hls: false });
    expect(admin.h.engine.reloads).toBe(2);
    await api('DELETE', '/apps/cam');
    expect(admin.h.engine.reloads).toBe(3);
    // reads do not
    await api('GET', '/apps');
    expect(admin.h.engine.reloads).toBe(3);
  });

  test('an engine that is down does not fail the change', async () => {
    admin.h.engine.up = false;
    expect((await api('POST', '/apps', { name: 'cam' })).status).toBe(201);
    expect(admin.h.engine.reloads).toBe(1);
  });
});
