// Auth of the REST API: tokens, session cookies with CSRF, roles, login rate limit.
import { describe, expect, test } from 'bun:test';
import { ADMIN_PASSWORD, adminToken, call, expectProblem, login, makeHarness } from './helpers.ts';

const PUBLIC = new Set(['GET /healthz', 'GET /api/openapi.json', 'POST /api/v1/session']);

describe('authentication', () => {
  test('every route but health, the OpenAPI document, the docs and login answers 401 without credentials', async () => {
    const h = await makeHarness();
    let checked = 0;
    for (const route of h.app.routes) {
      const key = `${route.method} ${route.path}`;
      if (PUBLIC.has(key) || route.path.startsWith('/api/docs')) continue;
      const path = route.path.replace(/:(\w+)/g, 'x1');
      const res = await call(h.app, route.method, path, { body: ['GET', 'DELETE'].includes(route.method) ? undefined : {} });
      const problem = expectProblem(res, 401, 'unauthorized');
      expect(problem.detail).toContain('Log in');
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="weir"');
      checked++;
    }
    expect(checked).toBeGreaterThan(35);
  });

  test('the public routes need nothing', async () => {
    const h = await makeHarness();
    expect((await call(h.app, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(h.app, 'GET', '/api/openapi.json')).status).toBe(200);
    expect((await call(h.app, 'GET', '/api/docs')).status).toBe(200);
    expect((await call(h.app, 'GET', '/api/docs/swagger-ui-bundle.js')).status).toBe(200);
  });

  test('an API token works; an unknown, malformed or revoked one is refused', async () => {
    const h = await makeHarness();
    const token = await adminToken(h);
    expect((await call(h.app, 'GET', '/api/v1/apps', { creds: { token } })).status).toBe(200);
    // a token needs no CSRF header: it is not sent by browsers on their own
    expect((await call(h.app, 'POST', '/api/v1/apps', { creds: { token }, body: { name: 'cam' } })).status).toBe(201);

    expectProblem(await call(h.app, 'GET', '/api/v1/apps', { creds: { token: 'weir_nope' } }), 401, 'unauthorized');
    expectProblem(await call(h.app, 'GET', '/api/v1/apps', { headers: { authorization: 'Basic YWRtaW46eA==' } }), 401, 'unauthorized');

    const other = await call(h.app, 'POST', '/api/v1/tokens', { creds: { token }, body: { name: 'ci' } });
    expect(other.status).toBe(201);
    expect((await call(h.app, 'GET', '/api/v1/apps', { creds: { token: other.body.token } })).status).toBe(200);
    expect((await call(h.app, 'DELETE', `/api/v1/tokens/${other.body.id}`, { creds: { token } })).status).toBe(204);
    const refused = expectProblem(await call(h.app, 'GET', '/api/v1/apps', { creds: { token: other.body.token } }), 401, 'unauthorized');
    expect(refused.detail).toContain('revoked');
  });

  test('a session cookie reads freely but changes only with the right X-CSRF-Token', async () => {
    const h = await makeHarness();
    const { cookie, csrf } = await login(h.app);
    expect((await call(h.app, 'GET', '/api/v1/apps', { creds: { cookie } })).status).toBe(200);

    expectProblem(await call(h.app, 'POST', '/api/v1/apps', { creds: { cookie }, body: { name: 'cam' } }), 403, 'csrf-failed');
    expectProblem(await call(h.app, 'POST', '/api/v1/apps', { creds: { cookie, csrf: csrf + 'x' }, body: { name: 'cam' } }), 403, 'csrf-failed');
    // same length, one character off: only a real comparison refuses it, not a length check
    const sameLength = csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A');
    expect(sameLength.length).toBe(csrf.length);
    expectProblem(await call(h.app, 'POST', '/api/v1/apps', { creds: { cookie, csrf: sameLength }, body: { name: 'cam' } }), 403, 'csrf-failed');
    expectProblem(await call(h.app, 'DELETE', '/api/v1/apps/live', { creds: { cookie, csrf: sameLength } }), 403, 'csrf-failed');
    expectProblem(await call(h.app, 'DELETE', '/api/v1/apps/live', { creds: { cookie } }), 403, 'csrf-failed');
    expectProblem(await call(h.app, 'PATCH', '/api/v1/settings', { creds: { cookie }, body: {} }), 403, 'csrf-failed');
    // nothing changed
    expect((await call(h.app, 'GET', '/api/v1/apps', { creds: { cookie } })).body.items.map((a: { name: string }) => a.name)).toEqual(['live']);

    expect((await call(h.app, 'POST', '/api/v1/apps', { creds: { cookie, csrf }, body: { name: 'cam' } })).status).toBe(201);
    expect((await call(h.app, 'DELETE', '/api/v1/apps/cam', { creds: { cookie, csrf } })).status).toBe(204);
  });

  test('login sets a strict HttpOnly cookie (Secure over https) and answers the user and CSRF token', async () => {
    const h = await makeHarness();
    const res = await call(h.app, 'POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(res.status).toBe(201);
    expect(res.body.user.username).toBe('admin');
    expect(res.body.user.role).toBe('admin');
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(typeof res.body.csrfToken).toBe('string');
    expect(res.body.expiresAtMs).toBe(h.clock.now + 24 * 3600_000);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^weir_session=[^;]+; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Max-Age=86400');
    expect(cookie).not.toContain('Secure');

    const https = await call(h.app, 'POST', '/api/v1/session', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
      base: 'https://localhost',
    });
    expect(https.headers.get('set-cookie')).toContain('; Secure');
  });

  test('GET /session tells who is calling; DELETE logs out and clears the cookie', async () => {
    const h = await makeHarness();
    const creds = await login(h.app);
    const me = await call(h.app, 'GET', '/api/v1/session', { creds: { cookie: creds.cookie } });
    expect(me.body).toMatchObject({ via: 'session', csrfToken: creds.csrf, user: { username: 'admin' } });

    expectProblem(await call(h.app, 'DELETE', '/api/v1/session', { creds: { cookie: creds.cookie } }), 403, 'csrf-failed');
    const out = await call(h.app, 'DELETE', '/api/v1/session', { creds });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^weir_session=; .*Max-Age=0/);
    expectProblem(await call(h.app, 'GET', '/api/v1/session', { creds: { cookie: creds.cookie } }), 401, 'unauthorized');
  });

  test('an expired session is refused', async () => {
    const h = await makeHarness();
    const creds = await login(h.app);
    h.clock.now += 24 * 3600_000 + 1;
    const problem = expectProblem(await call(h.app, 'GET', '/api/v1/apps', { creds }), 401, 'unauthorized');
    expect(problem.detail).toContain('expired');
  });

  test('wrong passwords are 401; too many failures are 429 with Retry-After, even with the right password', async () => {
    const h = await makeHarness({ loginMaxFailures: 3 });
    for (let i = 0; i < 3; i++) {
      expectProblem(await call(h.app, 'POST', '/api/v1/session', { body: { username: 'admin', password: 'wrong password' } }), 401, 'unauthorized');
    }
    const limited = await call(h.app, 'POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expectProblem(limited, 429, 'rate-limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('set-cookie')).toBeNull();

    h.clock.now += 61_000;
    expect((await call(h.app, 'POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(201);
  });

  // Was "per client and per username"; the per-username part let anyone lock `admin` out from
  // anywhere (issue 10, item 9), so this test now pins per (address, username) and per address.
  test('the limit is per (address, username) and per address, so nobody can lock out everyone', async () => {
    const h = await makeHarness({ loginMaxFailures: 3 });
    const attempt = (ip: string | null, username: string, password: string) =>
      call(h.app, 'POST', '/api/v1/session', { body: { username, password }, headers: ip ? { 'x-test-ip': ip } : {} });
    for (let i = 0; i < 3; i++) expectProblem(await attempt('10.0.0.1', 'admin', 'guess'), 401, 'unauthorized');
    expectProblem(await attempt('10.0.0.1', 'admin', ADMIN_PASSWORD), 429, 'rate-limited'); // that pair waits
    expect((await attempt('10.0.0.1', 'nobody', 'guess')).status).toBe(401); // other names from there are still only counted
    expect((await attempt('10.0.0.2', 'admin', ADMIN_PASSWORD)).status).toBe(201); // other addresses get in
    // with no known address, failures count per username
    for (let i = 0; i < 3; i++) expectProblem(await attempt(null, 'ghost', 'guess'), 401, 'unauthorized');
    expect((await attempt(null, 'admin', ADMIN_PASSWORD)).status).toBe(201);
  });

  test('a login body is validated like any other', async () => {
    const h = await makeHarness();
    const problem = expectProblem(await call(h.app, 'POST', '/api/v1/session', { body: { username: 'admin' } }), 400, 'invalid');
    expect(problem.errors).toContainEqual(expect.objectContaining({ in: 'body', path: '/password' }));
  });

  test('viewers read but cannot change anything an admin owns', async () => {
    const h = await makeHarness();
    const token = await adminToken(h);
    const created = await call(h.app, 'POST', '/api/v1/users', { creds: { token }, body: { username: 'vic', password: 'viewer password' } });
    expect(created.body.role).toBe('viewer');
    const viewer = await login(h.app, 'vic', 'viewer password');
    expect((await call(h.app, 'GET', '/api/v1/apps', { creds: viewer })).status).toBe(200);
    expect((await call(h.app, 'GET', '/api/v1/settings', { creds: viewer })).status).toBe(200);
    expectProblem(await call(h.app, 'POST', '/api/v1/apps', { creds: viewer, body: { name: 'cam' } }), 403, 'forbidden');
    expectProblem(await call(h.app, 'DELETE', '/api/v1/apps/live', { creds: viewer }), 403, 'forbidden');
    expectProblem(await call(h.app, 'PATCH', '/api/v1/settings', { creds: viewer, body: { hls: { windowSegments: 8 } } }), 403, 'forbidden');
    expectProblem(await call(h.app, 'GET', '/api/v1/users', { creds: viewer }), 403, 'forbidden');
    expectProblem(await call(h.app, 'POST', '/api/v1/apps/live/keys', { creds: viewer, body: {} }), 403, 'forbidden');
    expect(h.services.settings.get().hls.windowSegments).toBe(6);
    // but they may make themselves a token
    expect((await call(h.app, 'POST', '/api/v1/tokens', { creds: viewer, body: { name: 'mine' } })).status).toBe(201);
  });
});
