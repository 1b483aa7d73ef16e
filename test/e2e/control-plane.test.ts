// Both processes from source, as `npm start` runs them, driven through the REST API with
// ffmpeg: stream keys, signed URLs, a settings change reaching the running engine, and the
// engine streaming on while the control plane is stopped and restarted.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { decode, freePort, killAll, run, spawnBackground, startProcess, tempDir, testPatternArgs, waitFor, type Proc } from './harness.ts';

const ADMIN_PASSWORD = 'e2e-admin-password';




const ports = { config: freePort(), control: freePort(), engineApi: freePort(), rtmp: freePort(), http: freePort(), http2: freePort() };
let dir: { path: string; remove(): void };
let control: Proc;
let engine: Proc;
let token = '';

function startControl(): Proc {
  return startProcess(
    ['src/control-plane.ts', '--data-dir', join(dir.path, 'data'), '--config-port', String(ports.config), '--http-host', '127.0.0.1',
      '--http-port', String(ports.control), '--engine-api', `http://127.0.0.1:${ports.engineApi}`],
    { WEIR_ADMIN_PASSWORD: ADMIN_PASSWORD },
  );
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${ports.control}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Configuration reaches the engine asynchronously (reload notice, then a fetch): wait for it. */
async function engineCurrent(): Promise<boolean> {
  for (let i = 0; i < 80; i++) {
    if ((await api('GET', '/engine')).json?.engine?.configCurrent === true) return true;
    await Bun.sleep(100);
  }
  return false;
}

async function controlUp(): Promise<boolean> {
  return waitFor(() => control.logs.some((l) => l.includes('console and REST API listening')), 15_000);
}

beforeAll(async () => {
  dir = tempDir();
  control = startControl();
  expect(await controlUp()).toBe(true);
  // log in once, then work with an API token like a script would
  const login = await fetch(`http://127.0.0.1:${ports.control}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  expect(login.status).toBe(201);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`http://127.0.0.1:${ports.control}/api/v1/tokens`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e' }),
  });
  expect(created.status).toBe(201);
  token = ((await created.json()) as { token: string }).token;
  const listen = { rtmpHost: '127.0.0.1', rtmpPort: ports.rtmp, httpHost: '127.0.0.1', httpPort: ports.http };
  expect((await api('PATCH', '/settings', { listen })).status).toBe(200);
  engine = startProcess(['src/engine.ts', '--config-url', `http://127.0.0.1:${ports.config}`, '--data-dir', join(dir.path, 'data'), '--api-port', String(ports.engineApi)]);
  expect(await waitFor(() => engine.logs.some((l) => l.includes('RTMP listening') && l.includes(`port=${ports.rtmp}`)), 15_000)).toBe(true);
}, 60_000);

afterAll(async () => {
  await killAll();
  await engine?.stop();
  await control?.stop();
  dir?.remove();
});

const rtmp = (path: string) => `rtmp://127.0.0.1:${ports.rtmp}/${path}`;

describe('control plane and engine together', () => {
  test('a publish with a valid stream key is admitted and listed; a bad key is refused', async () => {
    expect((await api('POST', '/apps', { name: 'secure', publishPolicy: 'stream-key' })).status).toBe(201);
    expect(await engineCurrent()).toBe(true);
    const key = await api('POST', '/apps/secure/keys', { stream: 'cam1', label: 'e2e' });
    expect(key.status).toBe(201);
    const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 30, bFrames: 0 }), '-f', 'flv', rtmp(`secure/cam1?key=${key.json.key}`)]);
    let streams: Array<{ app: string; stream: string }> = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !streams.some((s) => s.app === 'secure' && s.stream === 'cam1')) {
      streams = (await api('GET', '/streams')).json?.items ?? [];
      await Bun.sleep(250);
    }
    const stream = streams.find((s) => s.app === 'secure' && s.stream === 'cam1');
    expect(stream).toBeDefined();

    const bad = await run(['ffmpeg', ...testPatternArgs({ seconds: 3, bFrames: 0 }).filter((a) => a !== '-re'), '-f', 'flv', rtmp('secure/cam2?key=wsk_wrong')], 20_000);
    expect(bad.exitCode).not.toBe(0);
    expect(engine.logs.some((l) => l.includes('publish refused') && l.includes('secure/cam2'))).toBe(true);
    await publisher.stop();
  }, 60_000);

  test('a signed play URL works until it expires, then is refused', async () => {
    expect((await api('POST', '/apps', { name: 'paid', playPolicy: 'signed-url' })).status).toBe(201);
    expect(await engineCurrent()).toBe(true);
    const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 30, bFrames: 0 }), '-f', 'flv', rtmp('paid/show')]);
    const flvUrl = (query: string) => `http://127.0.0.1:${ports.http}/paid/show.flv?${query}`;
    // the engine learns of the new app asynchronously (reload notice, then a fetch): wait until it is live
    let live = false;
    for (let i = 0; i < 60 && !live; i++) {
      const items: Array<{ app: string; stream: string }> = (await api('GET', '/streams')).json?.items ?? [];
      live = items.some((s) => s.app === 'paid' && s.stream === 'show');
      if (!live) await Bun.sleep(250);
    }
    expect(live).toBe(true);
    const good = await api('POST', '/apps/paid/signed-urls', { stream: 'show', action: 'play', expiresInSec: 60 });
    expect(good.status).toBe(200);
    const ok = await fetch(flvUrl(good.json.query));
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    expect((await fetch(flvUrl('expires=1&sign=00'))).status).toBe(403);
    const short = await api('POST', '/apps/paid/signed-urls', { stream: 'show', action: 'play', expiresInSec: 1 });
    await Bun.sleep(2200);
    const expired = await fetch(flvUrl(short.json.query));
    expect(expired.status).toBe(403);
    await publisher.stop();
  }, 60_000);

  test('a settings change reaches the running engine; it streams on while the control plane restarts', async () => {
    const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 60, bFrames: 0 }), '-f', 'flv', rtmp('live/steady')]);
    await Bun.sleep(2000);
    const listen = { rtmpHost: '127.0.0.1', rtmpPort: ports.rtmp, httpHost: '127.0.0.1', httpPort: ports.http2 };
    expect((await api('PATCH', '/settings', { listen })).status).toBe(200);
    const moved = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${ports.http2}/live/steady.flv`);
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    };
    let onNewPort = false;
    for (let i = 0; i < 40 && !onNewPort; i++) {
      onNewPort = await moved();
      if (!onNewPort) await Bun.sleep(250);
    }
    expect(onNewPort).toBe(true);

    await control.stop();
    const url = `http://127.0.0.1:${ports.http2}/live/steady.flv`;
    expect((await decode(url, 2)).stderr).toBe('');
    control = startControl();
    expect(await controlUp()).toBe(true);
    const streams = (await api('GET', '/streams')).json?.items ?? [];
    expect(streams.some((s: { stream: string }) => s.stream === 'steady')).toBe(true);
    expect(publisher.proc.exitCode).toBeNull(); // the publisher never noticed
    await publisher.stop();
  }, 90_000);

  test('a setting the engine cannot apply is shown with its reason, and configCurrent is false until it applies', async () => {
    const busy = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const before = (await api('GET', '/settings')).json.listen;
    try {
      expect((await api('PATCH', '/settings', { listen: { ...before, httpPort: busy.port } })).status).toBe(200);
      const wanted = (await api('GET', '/engine')).json.configRevision as number;
      type Engine = { configRevision: number; configCurrent: boolean; configErrors: Array<{ setting: string; value: string; reason: string }> };
      let seen: Engine | null = null;
      for (let i = 0; i < 80; i++) {
        seen = (await api('GET', '/engine')).json?.engine ?? null;
        if (seen && seen.configRevision >= wanted) break;
        await Bun.sleep(100);
      }
      expect(seen?.configRevision).toBeGreaterThanOrEqual(wanted);
      expect(seen?.configCurrent).toBe(false);
      expect(seen?.configErrors).toEqual([{ setting: 'listen.http', value: `127.0.0.1:${busy.port}`, reason: expect.stringContaining('in use') }]);
      // the engine stayed where it was
      expect((await fetch(`http://127.0.0.1:${before.httpPort}/healthz`)).status).toBe(200);
    } finally {
      expect((await api('PATCH', '/settings', { listen: before })).status).toBe(200);
      busy.stop(true);
    }
    expect(await engineCurrent()).toBe(true);
    expect((await api('GET', '/engine')).json.engine.configErrors).toEqual([]);
  }, 60_000);
});
