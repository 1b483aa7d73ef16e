// Issue 10, item 1: a viewer-role user opened /streams/{app}/{name} in the console and got a
// one-hour signed rtmp:// publish URL, enough to take over the live stream. The console now
// shows what the same user could get from the REST API, where signed URLs are admin-only (403).
// Reproduced against a real control plane, logging in through the console's own form.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startControlPlane, type ControlPlane } from './processes.ts';

const ADMIN_PASSWORD = 'console-roles-admin-password';
const VIEWER_PASSWORD = 'console-roles-viewer-password';

let control: ControlPlane;
let base = '';
let adminCookie = '';
let adminCsrf = '';

const cookieOf = (res: Response): string => (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

async function apiLogin(username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: cookieOf(res), csrf: body.csrfToken };
}

async function api(method: string, path: string, body: unknown, who: { cookie: string; csrf: string }): Promise<Response> {
  return fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', cookie: who.cookie, 'x-csrf-token': who.csrf },
    body: JSON.stringify(body),
  });
}

/** the console's login form, as a browser posts it */
async function consoleLogin(username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ username, password }).toString(),
  });
  expect(res.status).toBe(303);
  return cookieOf(res);
}

async function page(path: string, cookie: string): Promise<string> {
  const res = await fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
  expect(res.status).toBe(200);
  return res.text();
}

beforeAll(async () => {
  control = await startControlPlane(ADMIN_PASSWORD);
  base = `http://127.0.0.1:${control.httpPort}`;
  ({ cookie: adminCookie, csrf: adminCsrf } = await apiLogin('admin', ADMIN_PASSWORD));
  const admin = { cookie: adminCookie, csrf: adminCsrf };
  expect((await api('POST', '/users', { username: 'vera', password: VIEWER_PASSWORD, role: 'viewer' }, admin)).status).toBe(201);
  expect((await api('POST', '/apps', { name: 'signed', publishPolicy: 'signed-url', playPolicy: 'signed-url' }, admin)).status).toBe(201);
  expect((await api('POST', '/apps', { name: 'keyed', publishPolicy: 'stream-key' }, admin)).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await control?.remove();
});

describe('a viewer in the console', () => {
  test('the REST API refuses the viewer signed URLs (what the console must match)', async () => {
    const viewer = await apiLogin('vera', VIEWER_PASSWORD);
    for (const action of ['publish', 'play']) {
      const res = await api('POST', '/apps/signed/signed-urls', { stream: 'cam', action, expiresInSec: 3600 }, viewer);
      expect(res.status).toBe(403);
    }
  });

  test('sees no publish URL, signed or not, and no signed play URL on a stream page', async () => {
    const cookie = await consoleLogin('vera', VIEWER_PASSWORD);
    const signed = await page('/streams/signed/cam', cookie);
    expect(signed).not.toContain('sign=');
    expect(signed).not.toContain('expires=');
    expect(signed).not.toContain('data-testid="obs-server"');
    expect(signed).not.toContain('data-testid="obs-key"');
    expect(signed).not.toContain('-f flv');
    expect(signed).toContain('data-testid="publish-admin-only"');
    expect(signed).toContain('data-testid="play-signed-admin-only"');
    expect(signed).not.toContain('data-url=');

    const fragment = await page('/fragments/streams/signed/cam', cookie);
    expect(fragment).not.toContain('sign=');

    // a stream-key app: not even the key=KEY template, and the plain play URLs the viewer could build anyway
    const keyed = await page('/streams/keyed/cam', cookie);
    expect(keyed).not.toContain('key=KEY');
    expect(keyed).not.toContain('data-testid="obs-server"');
    expect(keyed).toContain('data-testid="publish-admin-only"');
    expect(keyed).toContain('/keyed/cam.flv');
  });

  test('an admin still gets the signed publish and play URLs on the same page', async () => {
    const cookie = await consoleLogin('admin', ADMIN_PASSWORD);
    const signed = await page('/streams/signed/cam', cookie);
    expect(signed).toContain('data-testid="obs-server"');
    expect(signed).toMatch(/rtmp:\/\/[^"]*\/signed\/cam\?expires=\d+&amp;sign=[0-9a-f]{64}/);
    expect(signed).toMatch(/\/signed\/cam\.flv\?expires=\d+&amp;sign=[0-9a-f]{64}/);
    expect(signed).not.toContain('data-testid="publish-admin-only"');
  });
});
