// The control plane's /metrics and /readyz (a wrapper around the REST app), in process on the
// test harness and on a running weir-control process, with SIGHUP and SIGTERM.
import { afterAll, describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { ControlMetrics, RouteMatcher } from '../../src/control/metrics.ts';
import { ADMIN_PASSWORD, adminToken, BASE, makeHarness } from '../control/api/helpers.ts';
import { killAll, tempDir } from '../e2e/harness.ts';
import { parsePrometheusText, sampleValue } from './prom-text-parser.ts';

afterAll(killAll);

describe('route templates', () => {
  test('static segments beat parameters; unknown paths are one label', () => {
    const m = new RouteMatcher([
      { method: 'GET', path: '/api/v1/apps/:name' },
      { method: 'GET', path: '/api/v1/apps/:name/keys' },
      { method: 'GET', path: '/api/v1/apps/special' },
      { method: 'DELETE', path: '/api/v1/apps/:name' },
      { method: 'GET', path: '/api/docs/*' },
    ]);
    expect(m.match('GET', '/api/v1/apps/cam')).toBe('/api/v1/apps/:name');
    expect(m.match('HEAD', '/api/v1/apps/cam')).toBe('/api/v1/apps/:name');
    expect(m.match('GET', '/api/v1/apps/special')).toBe('/api/v1/apps/special');
    expect(m.match('GET', '/api/v1/apps/cam/keys')).toBe('/api/v1/apps/:name/keys');
    expect(m.match('DELETE', '/api/v1/apps/x')).toBe('/api/v1/apps/:name');
    expect(m.match('POST', '/api/v1/apps/x')).toBe('unmatched');
    expect(m.match('GET', '/api/docs/a/b.js')).toBe('/api/docs/*');
    expect(m.match('GET', '/wp-admin/../etc/passwd')).toBe('unmatched');
  });
});

describe('control-plane /metrics', () => {
  test('counts requests by route template and status, and login failures; needs credentials', async () => {
    const h = await makeHarness();
    const metrics = new ControlMetrics({ version: '1.0.0-test', services: h.services, routes: () => h.app.routes });
    const fetch = metrics.wrap((req) => h.app.handle(req));
    const token = await adminToken(h);
    const authed = { authorization: `Bearer ${token}` };
    await fetch(new Request(`${BASE}/api/v1/apps`, { headers: authed }));
    await fetch(new Request(`${BASE}/api/v1/apps/live`, { headers: authed }));
    await fetch(new Request(`${BASE}/api/v1/apps/nope-${'x'.repeat(5)}`, { headers: authed }));
    await fetch(new Request(`${BASE}/api/v1/apps`)); // 401
    await fetch(new Request(`${BASE}/no/such/path`));
    const bad = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'wrong' }) };
    expect((await fetch(new Request(`${BASE}/api/v1/session`, bad))).status).toBe(401);
    expect((await fetch(new Request(`${BASE}/api/v1/session`, bad))).status).toBe(401);
    const good = { ...bad, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) };
    const login = await fetch(new Request(`${BASE}/api/v1/session`, good));
    expect(login.status).toBe(201);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

    const refused = await fetch(new Request(`${BASE}/metrics`));
    expect(refused.status).toBe(401);
    expect((await fetch(new Request(`${BASE}/metrics`, { headers: { authorization: 'Bearer weir_wrong' } }))).status).toBe(401);
    const byCookie = await fetch(new Request(`${BASE}/metrics`, { headers: { cookie } }));
    expect(byCookie.status).toBe(200);
    const res = await fetch(new Request(`${BASE}/metrics`, { headers: authed }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parsePrometheusText(await res.text());
    const req = (method: string, route: string, status: string) => sampleValue(m, 'weir_api_requests_total', { method, route, status });
    expect(req('GET', '/api/v1/apps', '200')).toBe(1);
    expect(req('GET', '/api/v1/apps', '401')).toBe(1);
    expect(req('GET', '/api/v1/apps/:app', '200')).toBe(1);
    expect(req('GET', '/api/v1/apps/:app', '404')).toBe(1);
    expect(req('GET', 'unmatched', '404')).toBe(1);
    expect(req('POST', '/api/v1/session', '401')).toBe(2);
    expect(req('POST', '/api/v1/session', '201')).toBe(1);
    expect(req('GET', '/metrics', '401')).toBe(2);
    expect(sampleValue(m, 'weir_login_failures_total')).toBe(2);
    expect(sampleValue(m, 'weir_build_info', { version: '1.0.0-test' })).toBe(1);
    // no raw path ever becomes a label
    for (const s of m.get('weir_api_requests_total')!.samples) expect(s.labels.route).not.toContain('nope');
    expect(m.get('weir_api_request_duration_seconds')?.type).toBe('histogram');
  });

  test('/readyz: 200 while the store answers, 503 once stopping', async () => {
    const h = await makeHarness();
    let storeOk = true;
    const metrics = new ControlMetrics({ version: '0', services: h.services, routes: () => h.app.routes, storeReady: () => storeOk });
    const fetch = metrics.wrap((req) => h.app.handle(req));
    const ready = await fetch(new Request(`${BASE}/readyz`));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    storeOk = false;
    expect((await fetch(new Request(`${BASE}/readyz`))).status).toBe(503);
    storeOk = true;
    metrics.markStopping();
    expect(await (await fetch(new Request(`${BASE}/readyz`))).json()).toEqual({ ready: false });
    expect((await fetch(new Request(`${BASE}/healthz`))).status).toBe(200); // liveness is unchanged
  });
});

describe('the weir-control process', () => {
  test('serves /readyz and /metrics, ignores SIGHUP, stops on SIGTERM with exit 0', async () => {
    const dir = tempDir();
    const proc = Bun.spawn(
      [process.execPath, resolve(import.meta.dir, '../../src/control-plane.ts'), '--data-dir', join(dir.path, 'data'),
        '--config-host', '127.0.0.1', '--config-port', '0', '--http-host', '127.0.0.1', '--http-port', '0'],
      { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore', env: { ...process.env, WEIR_ADMIN_PASSWORD: ADMIN_PASSWORD } },
    );
    let text = '';
    const decoder = new TextDecoder();
    const pump = (async () => {
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) text += decoder.decode(chunk);
    })();
    const waitLog = async (re: RegExp): Promise<string> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const m = re.exec(text);
        if (m) return m[1] ?? m[0];
        if (Date.now() > deadline) throw new Error(`no log line matched ${re}:\n${text}`);
        await Bun.sleep(25);
      }
    };
    try {
      const port = await waitLog(/console and REST API listening host=\S+ port=(\d+)/);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const login = await fetch(`${base}/api/v1/session`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      expect(login.status).toBe(201);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const m = parsePrometheusText(await (await fetch(`${base}/metrics`, { headers: { cookie } })).text());
      expect(sampleValue(m, 'weir_api_requests_total', { method: 'POST', route: '/api/v1/session', status: '201' })).toBe(1);
      expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);

      proc.kill('SIGHUP');
      await waitLog(/SIGHUP: nothing to reload/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      const started = performance.now();
      proc.kill('SIGTERM');
      const code = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => 'timeout' as const)]);
      expect(code).toBe(0);
      // within its stop bound is what "drained=true" below says; this only catches a hung exit
      expect(performance.now() - started).toBeLessThan(15_000);
      await pump;
      expect(text).toMatch(/INFO  stopped drained=true/);
    } finally {
      proc.kill('SIGKILL');
      await proc.exited;
      dir.remove();
    }
  }, 30_000);
});
