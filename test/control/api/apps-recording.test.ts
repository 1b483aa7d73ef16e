// Per-app recording settings (issue 13 item 1) through /api/v1/apps and the services: defaults
// off, validation (absolute path, ranges, a path before turning on), patches change only what
// they send, the engine's snapshot carries them, and the migration on a database made before it.
import { describe, expect, test } from 'bun:test';
import { migrationVersion, withOldAppDatabase } from '../old-database.ts';
import { parseConfigSnapshot } from '../../../src/engine/control-link/config-snapshot.ts';
import { call, expectProblem, useAdminApi } from './helpers.ts';

const admin = useAdminApi();
const api = admin.api;

const OFF = { enabled: false, format: 'fmp4' as const, segmentDurationSec: 6, path: null, retentionDays: 0, quotaMb: 0 };

// Alike in shape to apps-snapshot.test.ts: the same kind of checks for another settings section, with its own defaults, fields and engine rules.
describe('apps recording', () => {
  test('off by default, and absent from the engine snapshot until a path is set', async () => {
    const created = await api('POST', '/apps', { name: 'cams' });
    expect(created.status).toBe(201);
    expect(created.body.recording).toEqual(OFF);
    expect(admin.h.services.config.snapshot().apps.find((a) => a.name === 'cams')?.recording).toBeUndefined();
    expect((await api('GET', '/apps/live')).body.recording).toEqual(OFF);
  });

  test('create with it, patch one field at a time; the snapshot (as the engine parses it) follows and the engine is told', async () => {
    const created = await api('POST', '/apps', { name: 'cams', recording: { enabled: true, path: '/srv/rec/', quotaMb: 2048 } });
    expect(created.status).toBe(201);
    expect(created.body.recording).toEqual({ ...OFF, enabled: true, path: '/srv/rec', quotaMb: 2048 });
    const reloads = admin.h.engine.reloads;
    const revision = admin.h.services.config.revision();
    const patched = await api('PATCH', '/apps/cams', { recording: { format: 'ts', segmentDurationSec: 10, retentionDays: 7 } });
    expect(patched.status).toBe(200);
    expect(patched.body.recording).toEqual({ enabled: true, format: 'ts', segmentDurationSec: 10, path: '/srv/rec', retentionDays: 7, quotaMb: 2048 });
    expect(admin.h.services.config.revision()).toBe(revision + 1);
    expect(admin.h.engine.reloads).toBeGreaterThan(reloads);
    const engineSide = parseConfigSnapshot(JSON.parse(JSON.stringify(admin.h.services.config.snapshot())));
    expect(engineSide.apps.find((a) => a.name === 'cams')?.recording).toEqual(patched.body.recording);

    // the same values again: no new revision
    await api('PATCH', '/apps/cams', { recording: { format: 'ts' } });
    expect(admin.h.services.config.revision()).toBe(revision + 1);

    // off, with its path kept: the engine still gets the settings, so retention goes on
    const off = await api('PATCH', '/apps/cams', { recording: { enabled: false } });
    expect(off.body.recording.enabled).toBe(false);
    expect(admin.h.services.config.snapshot().apps.find((a) => a.name === 'cams')?.recording).toMatchObject({ enabled: false, path: '/srv/rec', retentionDays: 7 });
    expect((await api('GET', '/apps/cams')).body.recording).toEqual(off.body.recording);
  });

  test('bad values are 400 problems naming the field, and change nothing', async () => {
    await api('POST', '/apps', { name: 'cams' });
    const revision = admin.h.services.config.revision();
    const cases: Array<[unknown, string]> = [
      [{ enabled: true }, '/recording/path'],
      [{ path: 'relative/dir' }, '/recording/path'],
      [{ path: '/srv/../etc' }, '/recording/path'],
      [{ path: '/srv/\u0001x' }, '/recording/path'],
      [{ path: '/' + 'x'.repeat(1100) }, 'recording'],
      [{ format: 'mkv' }, 'recording'],
      [{ segmentDurationSec: 0 }, 'recording'],
      [{ segmentDurationSec: 1.5 }, 'recording'],
      [{ retentionDays: -1 }, 'recording'],
      [{ quotaMb: -5 }, 'recording'],
    ];
    for (const [recording, field] of cases) {
      const problem = expectProblem(await api('PATCH', '/apps/cams', { recording }), 400, 'invalid');
      expect(JSON.stringify(problem)).toContain(field);
      expectProblem(await api('POST', '/apps', { name: 'other', recording }), 400, 'invalid');
    }
    expect(admin.h.services.config.revision()).toBe(revision);
    expect((await api('GET', '/apps/cams')).body.recording).toEqual(OFF);
  });

  test('the OpenAPI document describes the recording settings', async () => {
    const doc = await call(admin.h.app, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    for (const word of ['segmentDurationSec', 'retentionDays', 'quotaMb', '--record-min-free-mb']) expect(doc.text).toContain(word);
  });
});

test('the recording migration: a database made before it gains recording columns, off, and keeps its rows', () => {
  withOldAppDatabase(migrationVersion('apps recording settings'), (store) => {
    const old = store.apps.get('old')!;
    expect(old).toMatchObject({ name: 'old', signingSecret: 'abc', recording: OFF });
    store.apps.update({ ...old, recording: { ...old.recording, enabled: true, path: '/r' } }, true);
    expect(store.apps.get('old')?.recording).toEqual({ ...OFF, enabled: true, path: '/r' });
    expect(() => store.db.run(`UPDATE apps SET recording_format = 'mkv'`)).toThrow();
  });
});
