import { describe, expect, test } from 'bun:test';
import { createConfigServer, startConfigServer } from '../../src/config-server.ts';
import { ADMISSION_QUERY_MAX_CHARS, type AdmissionAnswer, type ConfigSnapshot, type EngineEvent } from '../../src/shared/config-protocol.ts';
import { makeFixture } from './helpers.ts';

const SECRET = 'a'.repeat(64);
const auth = { authorization: `Bearer ${SECRET}` };

async function setup() {
  const f = makeFixture();
  await f.services.bootstrap();
  return { ...f, server: createConfigServer(f.services, SECRET) };
}

const req = (path: string, init: RequestInit = {}) => new Request(`http://127.0.0.1:8089${path}`, init);
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  req(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('config server', () => {
  test('every route refuses a missing or wrong secret with 401 problem+json', async () => {
    const { server } = await setup();
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${SECRET}x` }, { authorization: SECRET }, { authorization: 'Bearer ' }]) {
      for (const r of [req('/v1/config', { headers }), post('/v1/admission', {}, headers), post('/v1/events', [], headers)]) {
        const res = await server.fetch(r);
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(res.headers.get('www-authenticate')).toStartWith('Bearer');
        expect(await res.json()).toMatchObject({ status: 401, code: 'unauthorized' });
      }
    }
  });

  test('GET /v1/config returns the snapshot with its revision', async () => {
    const { server, services } = await setup();
    const res = await server.fetch(req('/v1/config', { headers: auth }));
    expect(res.status).toBe(200);
    const snap = (await res.json()) as ConfigSnapshot;
    expect(snap).toEqual(services.config.snapshot() as ConfigSnapshot);
    expect(snap.protocolVersion).toBe(1);
    expect(snap.apps.map((a) => a.name)).toEqual(['live']);
    expect(JSON.stringify(snap)).not.toContain(services.apps.signingSecret('live'));
    services.settings.update({ listen: { httpPort: 8081 } });
    const next = (await (await server.fetch(req('/v1/config', { headers: auth }))).json()) as ConfigSnapshot;
    expect(next.revision).toBe(snap.revision + 1);
    expect(next.listen.httpPort).toBe(8081);
  });

  test('the longest query the engine sends fits the admission body limit in its costliest characters', async () => {
    const { server } = await setup();
    const base = { action: 'play', protocol: 'rtmp', app: 'live', stream: 's'.repeat(128), clientAddress: 'f'.repeat(45), clientId: 'c'.repeat(20) };
    // '€' is 3 bytes of UTF-8, '"' and '\\' 2 bytes of JSON: the worst the engine lets through
    for (const unit of ['€', '"', '\\']) {
      const res = await server.fetch(post('/v1/admission', { ...base, query: unit.repeat(ADMISSION_QUERY_MAX_CHARS) }));
      expect(res.status).toBe(200);
    }
    const over = await server.fetch(post('/v1/admission', { ...base, query: 'a'.repeat(ADMISSION_QUERY_MAX_CHARS + 1) }));
    expect(over.status).toBe(400);
  });

  test('POST /v1/admission answers; bad bodies are 400 with a reason', async () => {
    const { server, services } = await setup();
    const query = { action: 'publish', protocol: 'rtmp', app: 'live', stream: 'cam', query: '', clientAddress: '127.0.0.1', clientId: 'c1' };
    const res = await server.fetch(post('/v1/admission', query));
    expect(res.status).toBe(200);
    expect((await res.json()) as AdmissionAnswer).toEqual({ allow: true, forwardTargets: [], cacheTtlMs: 5000 });
    // RTSP publishes and plays are asked about like RTMP ones
    const rtsp = await server.fetch(post('/v1/admission', { ...query, protocol: 'rtsp' }));
    expect(rtsp.status).toBe(200);
    expect(((await rtsp.json()) as AdmissionAnswer).allow).toBe(true);
    services.apps.update('live', { publishPolicy: 'stream-key' });
    expect(await (await server.fetch(post('/v1/admission', query))).json()).toEqual({
      allow: false,
      reason: 'invalid stream key',
      cacheTtlMs: 1000,
      credentials: 'stream-key',
    });
    for (const [body, words] of [
      ['{not json', 'not JSON'],
      [[], 'object'],
      [{ ...query, action: 'delete' }, 'action'],
      [{ ...query, protocol: 'ftp' }, 'protocol'],
      [{ ...query, app: 7 }, 'app'],
      [{ ...query, clientId: undefined }, 'clientId'],
    ] as const) {
      const bad = await server.fetch(post('/v1/admission', body));
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await bad.json()) as { code: string; detail: string };
      expect(problem.code).toBe('invalid');
      expect(problem.detail).toContain(words);
    }
  });

  test('POST /v1/events records them (204); bad events are 400 and record nothing', async () => {
    const { server, services } = await setup();
    const events: EngineEvent[] = [
      { type: 'publish-start', app: 'live', stream: 'cam', clientId: 'c1', clientAddress: '127.0.0.1', atMs: 1 },
      { type: 'play-start', app: 'live', stream: 'cam', clientId: 'c2', protocol: 'hls', clientAddress: '127.0.0.2', atMs: 2 },
      { type: 'play-stop', app: 'live', stream: 'cam', clientId: 'c2', atMs: 3 },
      { type: 'publish-stop', app: 'live', stream: 'cam', clientId: 'c1', atMs: 4 },
    ];
    const res = await server.fetch(post('/v1/events', events));
    expect(res.status).toBe(204);
    expect(services.events.recent().map(({ seq: _s, receivedAtMs: _r, ...e }) => e)).toEqual(events);
    const bad = await server.fetch(post('/v1/events', [events[0], { type: 'exploded', app: 'live' }]));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('event 1');
    expect(services.events.recent()).toHaveLength(4);
    expect((await server.fetch(post('/v1/events', { type: 'publish-start' }))).status).toBe(400);
  });

  test('unknown routes are 404, wrong methods 405, oversized bodies 413', async () => {
    const { server } = await setup();
    expect((await server.fetch(req('/v1/nope', { headers: auth }))).status).toBe(404);
    const wrong = await server.fetch(req('/v1/admission', { headers: auth }));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await server.fetch(post('/v1/admission', 'x'.repeat(20_000)))).status).toBe(413);
  });

  test('serves over HTTP on a loopback address', async () => {
    const { services } = await setup();
    const http = startConfigServer(services, SECRET, { port: 0 });
    try {
      expect(http.hostname).toBe('127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${http.port}/v1/config`, { headers: auth });
      expect(res.status).toBe(200);
      expect(((await res.json()) as ConfigSnapshot).apps).toHaveLength(1);
      expect((await fetch(`http://127.0.0.1:${http.port}/v1/config`)).status).toBe(401);
    } finally {
      http.stop(true);
    }
  });
});
