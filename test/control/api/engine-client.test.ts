// The engine API client against a real local HTTP server: secret, shapes, timeouts, engine down.
import { afterEach, describe, expect, test } from 'bun:test';
import { createEngineClient } from '../../../src/control/engine-client.ts';
import type { EngineStatus } from '../../../src/shared/config-protocol.ts';

const STATUS: EngineStatus = {
  version: '1.2.3',
  startedAtMs: 1,
  configRevision: 4,
  ready: true,
  streams: 0,
  clients: 0,
  bytesIn: 0,
  bytesOut: 0,
};

type Seen = { method: string; path: string; authorization: string | null };
let server: ReturnType<typeof Bun.serve> | null = null;
afterEach(() => {
  server?.stop(true);
  server = null;
});

function engine(handler: (req: Request, seen: Seen[]) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      seen.push({ method: req.method, path: new URL(req.url).pathname, authorization: req.headers.get('authorization') });
      return handler(req, seen);
    },
  });
  return { baseUrl: `http://127.0.0.1:${server.port}`, seen };
}

describe('engine client', () => {
  test('sends the secret and returns typed answers', async () => {
    const { baseUrl, seen } = engine((req) => {
      const path = new URL(req.url).pathname;
      if (path === '/v1/status') return Response.json(STATUS);
      if (path === '/v1/streams') return Response.json([]);
      if (path === '/v1/clients') return Response.json([{ id: 'c1' }]);
      if (path === '/v1/clients/c1') return new Response(null, { status: 204 });
      if (path === '/v1/reload') return new Response(null, { status: 202 });
      return new Response('no', { status: 404 });
    });
    const client = createEngineClient({ baseUrl, secret: () => 's3cret' });
    expect(await client.status()).toEqual({ ok: true, value: STATUS });
    expect(await client.streams()).toEqual({ ok: true, value: [] });
    expect((await client.clients()).ok).toBe(true);
    expect(await client.kick('c1')).toEqual({ ok: true, value: true });
    expect(await client.kick('gone/../x')).toEqual({ ok: true, value: false });
    expect(await client.reload()).toEqual({ ok: true, value: true });
    expect(seen.every((s) => s.authorization === 'Bearer s3cret')).toBe(true);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /v1/status',
      'GET /v1/streams',
      'GET /v1/clients',
      'DELETE /v1/clients/c1',
      'DELETE /v1/clients/gone%2F..%2Fx',
      'POST /v1/reload',
    ]);
  });

  test('an engine that is not listening is "down", not an exception', async () => {
    const { baseUrl } = engine(() => new Response());
    server?.stop(true);
    const client = createEngineClient({ baseUrl, secret: 'x', timeoutMs: 500 });
    const status = await client.status();
    expect(status.ok).toBe(false);
    expect(status.ok ? '' : status.reason).toBe('engine unreachable');
    expect((await client.kick('c1')).ok).toBe(false);
    expect((await client.reload()).ok).toBe(false);
  });

  test('a slow engine times out', async () => {
    const { baseUrl } = engine(async () => {
      await Bun.sleep(1000);
      return Response.json(STATUS);
    });
    const client = createEngineClient({ baseUrl, secret: 'x', timeoutMs: 50 });
    const started = performance.now();
    const status = await client.status();
    expect(performance.now() - started).toBeLessThan(800);
    expect(status).toEqual({ ok: false, reason: 'engine did not answer within 50 ms' });
  });

  test('wrong secret, bad JSON or a wrong shape are "down" with a reason', async () => {
    let mode = 'auth';
    const { baseUrl } = engine(() => {
      if (mode === 'auth') return new Response('no', { status: 401 });
      if (mode === 'json') return new Response('{oops', { headers: { 'content-type': 'application/json' } });
      return Response.json({ not: 'a list' });
    });
    const client = createEngineClient({ baseUrl, secret: 'x' });
    expect(await client.status()).toEqual({ ok: false, reason: 'engine answered 401 to GET /v1/status' });
    mode = 'json';
    expect(await client.status()).toEqual({ ok: false, reason: 'engine sent invalid JSON for GET /v1/status' });
    mode = 'shape';
    expect(await client.streams()).toEqual({ ok: false, reason: 'engine sent an unexpected body for GET /v1/streams' });
    mode = 'auth';
    expect(await client.reload()).toEqual({ ok: false, reason: 'engine answered 401 to a reload' });
    expect(await client.kick('c1')).toEqual({ ok: false, reason: 'engine answered 401 to a kick' });
  });
});
