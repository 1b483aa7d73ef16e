// /api/v1/users and /api/v1/tokens.
import { beforeEach, describe, expect, test } from 'bun:test';
import { ADMIN_PASSWORD, adminToken, call, type Creds, expectProblem, type Harness, login, makeHarness } from './helpers.ts';

let h: Harness;
let token: string;
beforeEach(async () => {
  h = await makeHarness();
  token = await adminToken(h);
});
const as = (creds: Creds) => (method: string, path: string, body?: unknown) => call(h.app, method, `/api/v1${path}`, { creds, body });
const api = (method: string, path: string, body?: unknown) => as({ token })(method, path, body);

describe('users', () => {
  test('admins list, create, change and delete users; passwords never come back', async () => {
    const created = await api('POST', '/users', { username: 'ops.jane', password: 'a long password', role: 'admin', language: 'pt-BR' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: created.body.id, username: 'ops.jane', role: 'admin', language: 'pt-BR', createdAtMs: h.clock.now });
    expect(created.text).not.toContain('a long password');
    expect((await api('GET', '/users')).body.items.map((u: { username: string }) => u.username).sort()).toEqual(['admin', 'ops.jane']);
    expect((await api('GET', `/users/${created.body.id}`)).body).toEqual(created.body);
    expect((await api('PATCH', `/users/${created.body.id}`, { role: 'viewer' })).body.role).toBe('viewer');
    expect((await api('DELETE', `/users/${created.body.id}`)).status).toBe(204);
    expectProblem(await api('GET', `/users/${created.body.id}`), 404, 'not-found');
  });

  test('validation, duplicates, and the last admin', async () => {
    const bad = expectProblem(await api('POST', '/users', { username: 'x', password: 'short', role: 'root' }), 400, 'invalid');
    expect(bad.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/password', '/role', '/username']);
    await api('POST', '/users', { username: 'bob', password: 'bob password' });
    expectProblem(await api('POST', '/users', { username: 'bob', password: 'bob password' }), 409, 'conflict');
    expectProblem(await api('DELETE', '/users/me'), 403, 'forbidden');
    expectProblem(await api('PATCH', '/users/me', { role: 'viewer' }), 403, 'forbidden');
    expect((await api('GET', '/users/me')).body.role).toBe('admin');
  });

  test('anyone reads themselves and changes their own language and password', async () => {
    await api('POST', '/users', { username: 'vic', password: 'viewer password' });
    const vic = as(await login(h.app, 'vic', 'viewer password'));
    const me = await vic('GET', '/users/me');
    expect(me.body.username).toBe('vic');
    expect((await vic('PATCH', '/users/me', { language: 'de' })).body.language).toBe('de');
    expectProblem(await vic('PATCH', '/users/me', { role: 'admin' }), 403, 'forbidden');
    const admin = h.services.users.findByUsername('admin');
    expectProblem(await vic('GET', `/users/${admin?.id}`), 403, 'forbidden');

    const missing = expectProblem(await vic('PUT', '/users/me/password', { newPassword: 'new viewer password' }), 400, 'invalid');
    expect(missing.errors).toEqual([{ in: 'body', path: '/currentPassword', message: 'is required' }]);
    const wrong = expectProblem(await vic('PUT', '/users/me/password', { currentPassword: 'nope', newPassword: 'new viewer password' }), 400, 'invalid');
    expect(wrong.errors[0].path).toBe('/currentPassword');
    expect((await vic('PUT', '/users/me/password', { currentPassword: 'viewer password', newPassword: 'new viewer password' })).status).toBe(204);
    // every session of the user ended, this one included
    expectProblem(await vic('GET', '/users/me'), 401, 'unauthorized');
    await login(h.app, 'vic', 'new viewer password');
  });

  test("an admin resets someone else's password without knowing it", async () => {
    const bob = await api('POST', '/users', { username: 'bob', password: 'bob password' });
    expect((await api('PUT', `/users/${bob.body.id}/password`, { newPassword: 'reset password' })).status).toBe(204);
    await login(h.app, 'bob', 'reset password');
    const bobs = as(await login(h.app, 'bob', 'reset password'));
    const admin = h.services.users.findByUsername('admin');
    expectProblem(await bobs('PUT', `/users/${admin?.id}/password`, { newPassword: 'hijacked password' }), 403, 'forbidden');
    await login(h.app, 'admin', ADMIN_PASSWORD);
  });
});

describe('API tokens', () => {
  test('the plain token is shown once; list and get never include it', async () => {
    const created = await api('POST', '/tokens', { name: 'deploy script' });
    expect(created.status).toBe(201);
    const { token: plain, ...apiToken } = created.body;
    expect(plain).toMatch(/^weir_/);
    expect(plain.startsWith(apiToken.prefix)).toBe(true);
    expect(apiToken).toMatchObject({ name: 'deploy script', revokedAtMs: null, lastUsedAtMs: null, createdAtMs: h.clock.now });

    const listed = await api('GET', '/tokens');
    expect(listed.body.items.map((t: { name: string }) => t.name).sort()).toEqual(['deploy script', 'test']);
    expect(listed.text).not.toContain(plain);
    const one = await api('GET', `/tokens/${apiToken.id}`);
    expect(one.body).toEqual(apiToken);
    expect(one.text).not.toContain(plain);

    // it works, records its use, and revoking it is final
    expect((await call(h.app, 'GET', '/api/v1/apps', { creds: { token: plain } })).status).toBe(200);
    expect((await api('GET', `/tokens/${apiToken.id}`)).body.lastUsedAtMs).toBe(h.clock.now);
    expect((await api('DELETE', `/tokens/${apiToken.id}`)).status).toBe(204);
    expect((await api('GET', `/tokens/${apiToken.id}`)).body.revokedAtMs).toBe(h.clock.now);
    expectProblem(await call(h.app, 'GET', '/api/v1/apps', { creds: { token: plain } }), 401, 'unauthorized');
  });

  test("users see their own tokens; admins see everyone's with ?all=true", async () => {
    await api('POST', '/users', { username: 'vic', password: 'viewer password' });
    const vic = as(await login(h.app, 'vic', 'viewer password'));
    const mine = await vic('POST', '/tokens', { name: 'vic token' });
    expect((await vic('GET', '/tokens')).body.items.map((t: { name: string }) => t.name)).toEqual(['vic token']);
    expect((await vic('GET', '/tokens?all=true')).body.items.map((t: { name: string }) => t.name)).toEqual(['vic token']);
    const adminTokens = (await api('GET', '/tokens')).body.items;
    expect(adminTokens.map((t: { name: string }) => t.name)).toEqual(['test']);
    expect((await api('GET', '/tokens?all=true')).body.items).toHaveLength(2);

    expectProblem(await vic('GET', `/tokens/${adminTokens[0].id}`), 404, 'not-found');
    expectProblem(await vic('DELETE', `/tokens/${adminTokens[0].id}`), 404, 'not-found');
    expect((await api('GET', '/apps')).status).toBe(200); // still valid
    expect((await api('DELETE', `/tokens/${mine.body.id}`)).status).toBe(204); // admins may revoke anyone's
  });

  test('a token needs a name', async () => {
    const bad = expectProblem(await api('POST', '/tokens', { name: '' }), 400, 'invalid');
    expect(bad.errors[0]).toMatchObject({ in: 'body', path: '/name' });
    expectProblem(await api('POST', '/tokens', {}), 400, 'invalid');
  });
});
