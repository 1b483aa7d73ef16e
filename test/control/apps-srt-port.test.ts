// Per-app SRT listen port (issue 14 item 1): service validation (range, the engine's own UDP ports, one app per
// port), store round trip, the snapshot and the engine config built from it, the engine's snapshot parser, the
// REST API's 400 problems and OpenAPI text, and the migration that adds apps.srt_port to an older database.
import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, openStore, runMigrations, schemaVersion } from '../../src/control/store/index.ts';
import { parseConfigSnapshot } from '../../src/engine/control-link/config-snapshot.ts';
import { DEFAULT_ENGINE_CONFIG, engineConfigFromSnapshot } from '../../src/shared/engine-config.ts';
import { adminToken, call, expectProblem, makeHarness } from './api/helpers.ts';
import { domainError, makeFixture } from './helpers.ts';

describe('app srtPort: validation', () => {
  test.each([0, 65_536, -1, 1.5, '9000', true])('refuses %p as out of range or not an integer', async (srtPort) => {
    const { services } = makeFixture();
    const err = await domainError(() => services.apps.create({ name: 'cams', srtPort: srtPort as never }));
    expect({ code: err.code, field: err.field }).toEqual({ code: 'invalid', field: 'srtPort' });
    services.apps.create({ name: 'other' });
    const err2 = await domainError(() => services.apps.update('other', { srtPort: srtPort as never }));
    expect({ code: err2.code, field: err2.field }).toEqual({ code: 'invalid', field: 'srtPort' });
  });

  test("the engine's main SRT port and its RTSP RTP range are refused with the reason", async () => {
    const { services } = makeFixture();
    const main = await domainError(() => services.apps.create({ name: 'cams', srtPort: 10080 }));
    expect(main.message).toContain("engine's main SRT listener");
    const rtp = await domainError(() => services.apps.create({ name: 'cams', srtPort: 30_500 }));
    expect(rtp.message).toContain('RTSP RTP/RTCP range');
    expect(services.apps.create({ name: 'cams', srtPort: 10081 }).srtPort).toBe(10081);
  });

  test("another app's port is refused naming that app, on create and on update; freeing it makes it usable", async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'cams', srtPort: 9000 });
    const taken = await domainError(() => services.apps.create({ name: 'more', srtPort: 9000 }));
    expect({ code: taken.code, field: taken.field }).toEqual({ code: 'invalid', field: 'srtPort' });
    expect(taken.message).toContain("app 'cams'");
    expect(() => services.apps.get('more')).toThrow();
    services.apps.create({ name: 'more' });
    const patched = await domainError(() => services.apps.update('more', { srtPort: 9000 }));
    expect(patched.message).toContain("app 'cams'");
    // an app may keep its own port in a patch
    expect(services.apps.update('cams', { srtPort: 9000, hls: false }).srtPort).toBe(9000);
    services.apps.update('cams', { srtPort: null });
    expect(services.apps.update('more', { srtPort: 9000 }).srtPort).toBe(9000);
  });
});

describe('app srtPort and udp:// pull sources share the UDP port space', () => {
  test("a udp:// pull source's port is refused as an SRT port, and an app's SRT port as a udp:// pull source's", async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'feeds', sourceType: 'pull' });
    services.pulls.create({ app: 'feeds', stream: 'mux', url: 'udp://0.0.0.0:9100' });
    const err = await domainError(() => services.apps.create({ name: 'cams', srtPort: 9100 }));
    expect({ code: err.code, field: err.field }).toEqual({ code: 'invalid', field: 'srtPort' });
    expect(err.message).toContain("'feeds/mux' receives MPEG-TS over UDP");
    services.apps.create({ name: 'cams', srtPort: 9200 });
    const pull = await domainError(() => services.pulls.create({ app: 'feeds', stream: 'other', url: 'udp://239.1.1.1:9200' }));
    expect({ code: pull.code, field: pull.field }).toEqual({ code: 'invalid', field: 'url' });
    expect(pull.message).toContain("SRT port of app 'cams'");
    // an srt:// pull calls out from an ephemeral port: it takes no listen port
    expect(services.pulls.create({ app: 'feeds', stream: 'caller', url: 'srt://10.0.0.1:9200' }).url).toBe('srt://10.0.0.1:9200');
  });
});

describe('app srtPort: round trip', () => {
  test('create, read back, move, clear; the revision moves only on a change; snapshot and engine config carry it', () => {
    const { services, store } = makeFixture();
    expect('srtPort' in services.apps.create({ name: 'plain' })).toBe(false); // unset: absent
    expect(services.apps.create({ name: 'cams', srtPort: 9000 }).srtPort).toBe(9000);
    expect(store.apps.get('cams')?.srtPort).toBe(9000);
    const snapshot = services.config.snapshot();
    expect(snapshot.apps.find((a) => a.name === 'cams')?.srtPort).toBe(9000);
    expect('srtPort' in snapshot.apps.find((a) => a.name === 'plain')!).toBe(false);
    // what the engine parses from the wire and builds its config from
    const parsed = parseConfigSnapshot(JSON.parse(JSON.stringify(snapshot)));
    expect(parsed.apps.find((a) => a.name === 'cams')?.srtPort).toBe(9000);
    const engineConfig = engineConfigFromSnapshot(DEFAULT_ENGINE_CONFIG, parsed);
    expect(engineConfig.apps.find((a) => a.name === 'cams')?.srtPort).toBe(9000);
    expect(engineConfig.apps.find((a) => a.name === 'plain')?.srtPort ?? null).toBeNull();

    const revision = services.config.revision();
    services.apps.update('cams', { srtPort: 9000 });
    expect(services.config.revision()).toBe(revision);
    services.apps.update('cams', { srtPort: 9001 });
    expect(services.config.revision()).toBe(revision + 1);
    services.apps.update('cams', { playPolicy: 'open' }); // not sent: kept
    expect(services.apps.get('cams').srtPort).toBe(9001);
    services.apps.update('cams', { srtPort: null });
    expect(services.config.revision()).toBe(revision + 2);
    expect(services.apps.get('cams').srtPort ?? null).toBeNull();
  });

  test("the engine's snapshot parser refuses a port out of range", () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'cams', srtPort: 9000 });
    const wire = JSON.parse(JSON.stringify(services.config.snapshot()));
    wire.apps.find((a: { name: string }) => a.name === 'cams').srtPort = 70_000;
    expect(() => parseConfigSnapshot(wire)).toThrow(/srtPort/);
  });
});

describe('app srtPort: REST', () => {
  test('create and patch with it; conflicts and reserved ports are 400 problems naming srtPort; OpenAPI describes it', async () => {
    const h = await makeHarness();
    const token = await adminToken(h);
    const api = (method: string, path: string, body?: unknown) => call(h.app, method, `/api/v1${path}`, { creds: { token }, body });
    const created = await api('POST', '/apps', { name: 'cams', srtPort: 9000 });
    expect(created.status).toBe(201);
    expect(created.body.srtPort).toBe(9000);
    expect((await api('GET', '/apps/cams')).body.srtPort).toBe(9000);
    const revision = h.services.config.revision();
    for (const srtPort of [9000, 10080, 0, 'x']) {
      const problem = expectProblem(await api('POST', '/apps', { name: 'more', srtPort }), 400, 'invalid');
      expect(JSON.stringify(problem)).toContain('srtPort');
      expectProblem(await api('PATCH', '/apps/live', { srtPort }), 400, 'invalid');
    }
    expect(h.services.config.revision()).toBe(revision);
    expect((await api('PATCH', '/apps/cams', { srtPort: 9002 })).body.srtPort).toBe(9002);
    expect((await api('PATCH', '/apps/cams', { srtPort: null })).body.srtPort ?? null).toBeNull();
    const doc = await call(h.app, 'GET', '/api/openapi.json');
    expect(doc.text).toContain('srtPort');
    expect(doc.text).toContain('listens for SRT callers of this app only');
  });
});

describe('app srtPort: migration', () => {
  test('a database at schema 4 with apps gains srt_port (null) and keeps its rows; two apps cannot share a port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-srtport-'));
    try {
      const path = join(dir, 'weir.db');
      const db = new Database(path, { create: true, strict: true });
      runMigrations(db, MIGRATIONS.filter((m) => m.version <= 4));
      expect(schemaVersion(db)).toBe(4);
      db.run(
        `INSERT INTO apps (name, source_type, hls, ll_hls, publish_policy, play_policy, hook_url, signing_secret, created_at_ms)
         VALUES ('old', 'push', 1, 0, 'open', 'open', NULL, 'abc', 123), ('older', 'push', 1, 1, 'open', 'open', NULL, 'def', 124)`,
      );
      db.close();
      const store = openStore(path);
      try {
        const old = store.apps.get('old');
        expect(old).toMatchObject({ name: 'old', llHls: false, signingSecret: 'abc', createdAtMs: 123 });
        expect(old?.srtPort ?? null).toBeNull();
        store.apps.update({ ...old!, srtPort: 9000 }, true);
        expect(store.apps.get('old')?.srtPort).toBe(9000);
        // the unique index backs the service's check
        expect(() => store.apps.update({ ...store.apps.get('older')!, srtPort: 9000 }, true)).toThrow();
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
