// The console's app form shows and saves the outage policy (what the engine decides alone while
// it cannot reach the control plane), like the REST API does.
import { beforeEach, expect, test } from 'bun:test';
import { ADMIN_PASSWORD, BASE, makeHarness, type Harness } from '../api/helpers.ts';

let h: Harness;
let cookie = '';
let csrf = '';

async function req(method: string, path: string, form?: Record<string, string>) {
  const headers: Record<string, string> = cookie ? { cookie } : {};
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (csrf) headers['x-csrf-token'] = csrf;
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const res = await h.app.handle(new Request(BASE + path, { method, headers, body, redirect: 'manual' }));
  return { status: res.status, headers: res.headers, text: await res.text() };
}

beforeEach(async () => {
  h = await makeHarness();
  cookie = '';
  csrf = '';
  const login = await req('POST', '/login', { username: 'admin', password: ADMIN_PASSWORD });
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  csrf = /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec((await req('GET', '/')).text)?.[1] ?? '';
  expect(csrf).not.toBe('');
});

test('the app form offers admitted, closed and open, and saving it changes the app and the revision', async () => {
  const page = await req('GET', '/apps/live');
  expect(page.text).toContain('<select name="outagePolicy"><option value="admitted" selected>admitted</option><option value="closed">closed</option><option value="open">open</option></select>');
  const revision = h.services.config.revision();
  const saved = await req('POST', '/apps/live', { sourceType: 'push', publishPolicy: 'open', playPolicy: 'open', outagePolicy: 'closed' });
  expect(saved.status).toBe(200);
  expect(h.services.apps.get('live').outagePolicy).toBe('closed');
  expect(h.services.config.revision()).toBe(revision + 1);
  const refused = await req('POST', '/apps/live', { sourceType: 'push', outagePolicy: 'sometimes' });
  expect(refused.status).toBe(400);
  expect(h.services.apps.get('live').outagePolicy).toBe('closed');
});
