// Issue 10, item 1: a viewer-role user opened /streams/{app}/{name} in the console and got a
// one-hour signed rtmp:// publish URL, enough to take over the live stream. The console now
// shows what the same user could get from the REST API, where signed URLs are admin-only (403).
// Item 6: viewers read forward URLs with stream keys, pull URLs and hook URLs with tokens
// through the REST API and the console's relays page; now they get them redacted.
// Reproduced against a real control plane, logging in through the console's own form.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { RelayStatus } from '../../src/shared/config-protocol.ts';
import { call, login, makeHarness } from '../control/api/helpers.ts';
import { startControlPlane, type ControlPlane } from './processes.ts';

const ADMIN_PASSWORD = 'console-roles-admin-password';
const VIEWER_PASSWORD = 'console-roles-viewer-password';

let control: ControlPlane;
let base = '';
let adminCookie = '';
let adminCsrf = '';
let pullId = '';
let forwardId = '';

// every secret a viewer used to read, in each place it can hide
const SECRETS = ['FWDSECRETKEY', 'PULLPASSWORD', 'PULLTOKEN', 'PULLKEY', 'HOOKTOKEN', 'HOOKUSER', 'ORIGINTOKEN'];
const FORWARD_URL = 'rtmp://a.rtmp.youtube.com/live2/FWDSECRETKEY';
const PULL_URL = 'rtmp://cam:PULLPASSWORD@origin.example/live/PULLKEY?token=PULLTOKEN';
const HOOK_URL = 'https://HOOKUSER@hooks.example.com/srs/on_publish?token=HOOKTOKEN';
const ORIGIN_URL = 'rtmp://origin.example/{app}/{stream}?auth=ORIGINTOKEN';
const expectNoSecrets = (text: string): void => {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
};

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
  expect((await api('POST', '/apps', { name: 'hooked', publishPolicy: 'hook', hookUrl: HOOK_URL, originUrl: ORIGIN_URL }, admin)).status).toBe(201);
  expect((await api('POST', '/apps', { name: 'cams', sourceType: 'pull' }, admin)).status).toBe(201);
  const pull = await api('POST', '/pulls', { app: 'cams', stream: 'one', url: PULL_URL }, admin);
  expect(pull.status).toBe(201);
  pullId = ((await pull.json()) as { id: string }).id;
  const forward = await api('POST', '/forwards', { app: 'live', url: FORWARD_URL }, admin);
  expect(forward.status).toBe(201);
  forwardId = ((await forward.json()) as { id: string }).id;
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

describe('secrets in configured URLs', () => {
  test('a viewer reads forwards, pulls and apps through the REST API with their secrets replaced by ***', async () => {
    const viewer = await apiLogin('vera', VIEWER_PASSWORD);
    const get = async (path: string) => {
      const res = await fetch(`${base}/api/v1${path}`, { headers: { cookie: viewer.cookie } });
      expect(res.status).toBe(200);
      return res.text();
    };
    const texts = await Promise.all(['/forwards', `/forwards/${forwardId}`, '/pulls', `/pulls/${pullId}`, '/apps', '/apps/hooked'].map(get));
    for (const text of texts) expectNoSecrets(text);
    const forwards = JSON.parse(texts[0]!) as { items: { url: string }[] };
    expect(forwards.items.map((f) => f.url)).toEqual(['rtmp://a.rtmp.youtube.com/live2/***']);
    const pull = JSON.parse(texts[3]!) as { url: string };
    expect(pull.url).toBe('rtmp://***@origin.example/live/***?token=***');
    const app = JSON.parse(texts[5]!) as { hookUrl: string; originUrl: string };
    expect(app.hookUrl).toBe('https://***@hooks.example.com/srs/on_publish?token=***');
    expect(app.originUrl).toBe('rtmp://origin.example/{app}/{stream}?auth=***');
  });

  test('an admin reads them whole through the API (it is how they are edited)', async () => {
    const res = await fetch(`${base}/api/v1/forwards/${forwardId}`, { headers: { cookie: adminCookie } });
    expect(((await res.json()) as { url: string }).url).toBe(FORWARD_URL);
    const app = await fetch(`${base}/api/v1/apps/hooked`, { headers: { cookie: adminCookie } });
    expect(((await app.json()) as { hookUrl: string }).hookUrl).toBe(HOOK_URL);
  });

  test('the console relays page and app page show a viewer no secret, and the edit forms are refused', async () => {
    const cookie = await consoleLogin('vera', VIEWER_PASSWORD);
    const relays = await page('/relays', cookie);
    expectNoSecrets(relays);
    expect(relays).toContain('rtmp://a.rtmp.youtube.com/live2/***');
    expectNoSecrets(await page('/fragments/pulls', cookie));
    expectNoSecrets(await page('/fragments/forwards', cookie));
    expectNoSecrets(await page('/apps/hooked', cookie));
    for (const path of [`/pulls/${pullId}/edit`, `/forwards/${forwardId}/edit`]) {
      const res = await fetch(`${base}${path}`, { headers: { cookie } });
      expect(res.status).toBe(403);
      expectNoSecrets(await res.text());
    }
  });

  test('an admin sees lists redacted too, and the whole URL only in the edit form', async () => {
    const cookie = await consoleLogin('admin', ADMIN_PASSWORD);
    expectNoSecrets(await page('/relays', cookie));
    expect(await page(`/forwards/${forwardId}/edit`, cookie)).toContain(`value="${FORWARD_URL}"`);
    // the pull's userinfo password is never shown back, admins included (it comes back as ***, which keeps it)
    const pullForm = await page(`/pulls/${pullId}/edit`, cookie);
    expect(pullForm).toContain('rtmp://cam:***@origin.example/live/PULLKEY?token=PULLTOKEN');
    expect(pullForm).not.toContain('PULLPASSWORD');
    expect(await page('/apps/hooked', cookie)).toContain('HOOKTOKEN');
  });
});

describe('secrets in what the engine reports about relays', () => {
  // The engine hides query and password in a relay's URL but not the stream key, and an error
  // may quote the whole URL: a viewer gets both redacted (app.handle with a fake engine).
  test('status URL and last error reach a viewer without the key, through the API and the console', async () => {
    const h = await makeHarness();
    const admin = await login(h.app);
    const app = await call(h.app, 'POST', '/api/v1/apps', { creds: admin, body: { name: 'cams', sourceType: 'pull' } });
    expect(app.status).toBe(201);
    const forward = await call(h.app, 'POST', '/api/v1/forwards', { creds: admin, body: { app: 'live', url: FORWARD_URL } });
    const pull = await call(h.app, 'POST', '/api/v1/pulls', { creds: admin, body: { app: 'cams', stream: 'one', url: PULL_URL } });
    const status = (id: string, kind: RelayStatus['kind'], url: string): RelayStatus => ({
      id, kind, app: 'live', stream: 'one', url, state: 'retrying', lastError: `could not reach ${url}: refused`,
      liveSinceMs: 0, nextRetryAtMs: 0, retries: 2, bytesIn: 0, bytesOut: 0, droppedMessages: 0,
    });
    const relays = [status(forward.body.id, 'forward', FORWARD_URL), status(pull.body.id, 'pull', PULL_URL)];
    Object.assign(h.engine, { relays: () => Promise.resolve({ ok: true, value: relays }) });
    expect((await call(h.app, 'POST', '/api/v1/users', { creds: admin, body: { username: 'vera', password: VIEWER_PASSWORD } })).status).toBe(201);
    const viewer = await login(h.app, 'vera', VIEWER_PASSWORD);
    for (const path of ['/api/v1/forwards', '/api/v1/pulls', `/api/v1/forwards/${forward.body.id}`, `/api/v1/pulls/${pull.body.id}`, '/relays', '/fragments/forwards', '/fragments/pulls']) {
      const res = await call(h.app, 'GET', path, { creds: { cookie: viewer.cookie } });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expectNoSecrets(res.text);
      if (path.startsWith('/api')) expect(res.text).toContain('could not reach rtmp://');
    }
  });
});
