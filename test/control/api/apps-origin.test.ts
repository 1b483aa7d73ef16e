// /api/v1/apps originUrl: the per-app edge origin template on create, update and response.
import { describe, expect, test } from 'bun:test';
import { call, expectProblem, useAdminApi } from './helpers.ts';

const admin = useAdminApi();
const api = admin.api;

describe('apps originUrl', () => {
  test('create with it, read it back, change it, clear it; the engine is told each time', async () => {
    const created = await api('POST', '/apps', { name: 'edge', originUrl: 'rtmp://origin:1935/{app}/{stream}' });
    expect(created.status).toBe(201);
    expect(created.body.originUrl).toBe('rtmp://origin:1935/{app}/{stream}');
    expect((await api('GET', '/apps/edge')).body).toEqual(created.body);
    const listed = (await api('GET', '/apps')).body.items.find((a: { name: string }) => a.name === 'edge');
    expect(listed.originUrl).toBe('rtmp://origin:1935/{app}/{stream}');
    expect(admin.h.services.config.snapshot().apps.find((a) => a.name === 'edge')?.originUrl).toBe('rtmp://origin:1935/{app}/{stream}');

    const reloads = admin.h.engine.reloads;
    const changed = await api('PATCH', '/apps/edge', { originUrl: 'https://origin/{app}/{stream}.flv' });
    expect(changed.status).toBe(200);
    expect(changed.body.originUrl).toBe('https://origin/{app}/{stream}.flv');
    expect((await api('PATCH', '/apps/edge', { hls: false })).body.originUrl).toBe('https://origin/{app}/{stream}.flv');
    const cleared = await api('PATCH', '/apps/edge', { originUrl: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.originUrl ?? null).toBeNull();
    expect((await api('GET', '/apps/edge')).body.originUrl ?? null).toBeNull();
    expect(admin.h.engine.reloads).toBeGreaterThan(reloads);
  });

  test('null on create means none; absent means none', async () => {
    expect((await api('POST', '/apps', { name: 'a1', originUrl: null })).body.originUrl ?? null).toBeNull();
    expect((await api('POST', '/apps', { name: 'a2' })).body.originUrl ?? null).toBeNull();
  });

  test('bad templates are 400 problems naming originUrl, and change nothing', async () => {
    const revision = admin.h.services.config.revision();
    for (const originUrl of ['ftp://origin/{app}/{stream}', 'rtmp://origin/{app}/{who}', 'not a url']) {
      const problem = expectProblem(await api('POST', '/apps', { name: 'edge', originUrl }), 400, 'invalid');
      expect(JSON.stringify(problem)).toContain('originUrl');
      expectProblem(await api('PATCH', '/apps/live', { originUrl }), 400, 'invalid');
    }
    expectProblem(await api('POST', '/apps', { name: 'edge', originUrl: 42 }), 400, 'invalid');
    expectProblem(await api('POST', '/apps', { name: 'edge', originUrl: 'rtmp://x/' + 'y'.repeat(2100) }), 400, 'invalid');
    expect(admin.h.services.config.revision()).toBe(revision);
    expectProblem(await api('GET', '/apps/edge'), 404, 'not-found');
  });

  test('the OpenAPI document describes originUrl as optional and nullable', async () => {
    const doc = await call(admin.h.app, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.text).toContain('originUrl');
  });
});
