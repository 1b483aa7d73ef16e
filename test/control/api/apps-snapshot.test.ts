// Per-app snapshot settings (issue 13 item 5) through /api/v1/apps and the services: off by default,
// validation, patches change only what they send, the engine's snapshot carries them while on, the
// engine's decoder (or its absence) in GET /api/v1/engine, the JPEG through
// /api/v1/streams/{app}/{stream}/snapshot, and the migration on a database made before it.
import { describe, expect, test } from 'bun:test';
import { migrationVersion, withOldAppDatabase } from '../old-database.ts';
import { parseConfigSnapshot } from '../../../src/engine/control-link/config-snapshot.ts';
import { BASE, call, expectProblem, useAdminApi } from './helpers.ts';

const admin = useAdminApi();
const api = admin.api;

const OFF = { enabled: false, intervalSec: 10, keep: 1 };

describe('apps snapshot settings', () => {
  test('off by default and absent from the engine snapshot', async () => {
    const created = await api('POST', '/apps', { name: 'cams' });
    expect(created.status).toBe(201);
    expect(created.body.snapshot).toEqual(OFF);
    expect(admin.h.services.config.snapshot().apps.find((a) => a.name === 'cams')?.snapshot).toBeUndefined();
    expect((await api('GET', '/apps/live')).body.snapshot).toEqual(OFF);
  });

  test('create with it, patch one field at a time; the engine snapshot follows while on', async () => {
    const created = await api('POST', '/apps', { name: 'cams', snapshot: { enabled: true, keep: 5 } });
    expect(created.status).toBe(201);
    expect(created.body.snapshot).toEqual({ enabled: true, intervalSec: 10, keep: 5 });
    const revision = admin.h.services.config.revision();
    const reloads = admin.h.engine.reloads;
    const patched = await api('PATCH', '/apps/cams', { snapshot: { intervalSec: 2 } });
    expect(patched.body.snapshot).toEqual({ enabled: true, intervalSec: 2, keep: 5 });
    expect(admin.h.services.config.revision()).toBe(revision + 1);
    expect(admin.h.engine.reloads).toBeGreaterThan(reloads);
    const engineSide = parseConfigSnapshot(JSON.parse(JSON.stringify(admin.h.services.config.snapshot())));
    expect(engineSide.apps.find((a) => a.name === 'cams')?.snapshot).toEqual(patched.body.snapshot);
    await api('PATCH', '/apps/cams', { snapshot: { keep: 5 } }); // same value: no new revision
    expect(admin.h.services.config.revision()).toBe(revision + 1);
    const off = await api('PATCH', '/apps/cams', { snapshot: { enabled: false } });
    expect(off.body.snapshot).toEqual({ enabled: false, intervalSec: 2, keep: 5 });
    expect(admin.h.services.config.snapshot().apps.find((a) => a.name === 'cams')?.snapshot).toBeUndefined();
    // a patch of other settings leaves them alone
    expect((await api('PATCH', '/apps/cams', { hls: false })).body.snapshot).toEqual(off.body.snapshot);
  });

  test('bad values are 400 problems naming the field, and change nothing', async () => {
    await api('POST', '/apps', { name: 'cams' });
    const revision = admin.h.services.config.revision();
    for (const snapshot of [{ intervalSec: 0 }, { intervalSec: 3601 }, { intervalSec: 1.5 }, { keep: 0 }, { keep: 101 }, { enabled: 'yes' }]) {
      const problem = expectProblem(await api('PATCH', '/apps/cams', { snapshot }), 400, 'invalid');
      expect(JSON.stringify(problem)).toContain('snapshot');
      expectProblem(await api('POST', '/apps', { name: 'other', snapshot }), 400, 'invalid');
    }
    expect(admin.h.services.config.revision()).toBe(revision);
    expect((await api('GET', '/apps/cams')).body.snapshot).toEqual(OFF);
  });

  test('the OpenAPI document describes the settings, the decoder and the snapshot route', async () => {
    const doc = await call(admin.h.app, 'GET', '/api/openapi.json');
    for (const word of ['intervalSec', 'snapshotDecoder', '/api/v1/streams/{app}/{stream}/snapshot', 'snapshot.jpg', 'ffmpeg', 'one decoder per CPU core']) expect(doc.text).toContain(word);
  });
});

describe('engine decoder and snapshots through the REST API', () => {
  test('GET /engine says which decoder the engine has, or that it has none', async () => {
    expect((await api('GET', '/engine')).body.engine.snapshotDecoder).toBeUndefined();
    admin.h.engine.status_ = { ...admin.h.engine.status_, snapshotDecoder: null };
    expect((await api('GET', '/engine')).body.engine.snapshotDecoder).toBeNull();
    admin.h.engine.status_ = { ...admin.h.engine.status_, snapshotDecoder: '/usr/bin/ffmpeg' };
    expect((await api('GET', '/engine')).body.engine.snapshotDecoder).toBe('/usr/bin/ffmpeg');
  });

  test('the JPEG passes through; the engine reasons become problems; it needs a login', async () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    admin.h.engine.snapshots.set('live/cam/0', { found: true, jpeg, takenAtMs: 1234 });
    admin.h.engine.snapshots.set('live/cam/2', { found: true, jpeg: jpeg.slice(0, 4), takenAtMs: 1000 });
    const res = await admin.h.app.handle(new Request(`${BASE}/api/v1/streams/live/cam/snapshot`, { headers: { authorization: `Bearer ${admin.token}` } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-snapshot-time-ms')).toBe('1234');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(jpeg);
    const older = await admin.h.app.handle(new Request(`${BASE}/api/v1/streams/live/cam/snapshot?n=2`, { headers: { authorization: `Bearer ${admin.token}` } }));
    expect(new Uint8Array(await older.arrayBuffer())).toEqual(jpeg.slice(0, 4));
    const none = expectProblem(await api('GET', '/streams/live/other/snapshot'), 404, 'not-found');
    expect(none.detail).toContain('yet');
    admin.h.engine.snapshots.set('live/dark/0', { found: false, status: 503, reason: 'no snapshot decoder: ffmpeg is not installed on the engine host' });
    expect(expectProblem(await api('GET', '/streams/live/dark/snapshot'), 503, 'engine-unavailable').detail).toContain('ffmpeg');
    expectProblem(await api('GET', '/streams/live/cam/snapshot?n=-1'), 400, 'invalid');
    expectProblem(await call(admin.h.app, 'GET', '/api/v1/streams/live/cam/snapshot'), 401, 'unauthorized');
    admin.h.engine.up = false;
    expectProblem(await api('GET', '/streams/live/cam/snapshot'), 503, 'engine-unavailable');
  });
});

test('the snapshot migration: a database made before it gains the columns, off, and keeps its rows', () => {
  withOldAppDatabase(migrationVersion('apps snapshot settings'), (store) => {
    const old = store.apps.get('old')!;
    expect(old).toMatchObject({ name: 'old', signingSecret: 'abc', snapshot: OFF });
    store.apps.update({ ...old, snapshot: { enabled: true, intervalSec: 3, keep: 4 } }, true);
    expect(store.apps.get('old')?.snapshot).toEqual({ enabled: true, intervalSec: 3, keep: 4 });
    expect(() => store.db.run(`UPDATE apps SET snapshot_keep = 0`)).toThrow();
  });
});
