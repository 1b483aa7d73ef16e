import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { AdmissionQuery } from '../../src/shared/config-protocol.ts';
import { makeFixture } from './helpers.ts';

const q = (over: Partial<AdmissionQuery>): AdmissionQuery => ({
  action: 'publish',
  protocol: 'rtmp',
  app: 'live',
  stream: 'cam',
  query: '',
  clientAddress: '192.0.2.7',
  clientId: 'c1',
  ...over,
});

// An SRS-style auth backend: answers by the stream name, records what it was sent.
type Seen = { body: Record<string, unknown>; contentType: string | null };
const seen: Seen[] = [];
let hook: ReturnType<typeof Bun.serve>;
let hookUrl = '';

/** the 'slow' hook answers only when released: the test has its decision before that */
let releaseSlowHook = (): void => {};
const slowHookGate = new Promise<void>((resolve) => (releaseSlowHook = resolve));

beforeAll(() => {
  hook = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = (await req.json()) as Record<string, unknown>;
      seen.push({ body, contentType: req.headers.get('content-type') });
      switch (body['stream']) {
        case 'zero':
          return new Response('0');
        case 'json':
          return Response.json({ code: 0, forward_targets: ['rtmp://cdn.example/live/x', 'ftp://bad/x'] });
        case 'srs-forward':
          return Response.json({ code: 0, data: { urls: ['rtmps://cdn.example/live/y'] } });
        case 'code1':
          return Response.json({ code: 1 });
        case 'forbidden':
          return new Response('0', { status: 403 });
        case 'slow':
          // answers only once the test has its decision: a decision at all proves the timeout
          await slowHookGate;
          return new Response('0');
        default:
          return new Response('nope');
      }
    },
  });
  hookUrl = `http://127.0.0.1:${hook.port}/auth`;
});
afterAll(() => {
  releaseSlowHook();
  hook.stop(true);
});

describe('AdmissionService', () => {
  test('unknown app is denied with a short cache', async () => {
    const { services } = makeFixture();
    expect(await services.admission.decide(q({ app: 'nope' }))).toEqual({ allow: false, reason: 'unknown app', cacheTtlMs: 1000 });
  });

  test('open app: publish allowed with its forward targets, play allowed', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live' });
    const f = services.forwards.create({ app: 'live', url: 'rtmp://cdn.example/live/all' });
    services.forwards.create({ app: 'live', stream: 'other', url: 'rtmp://cdn.example/live/other' });
    expect(await services.admission.decide(q({}))).toEqual({ allow: true, forwardTargets: [f.url], cacheTtlMs: 5000 });
    expect(await services.admission.decide(q({ action: 'play', protocol: 'hls' }))).toEqual({ allow: true, cacheTtlMs: 5000 });
  });

  test('stream-key: key= parameter, the OBS "stream?key=" form, the key as stream name; wrong and revoked keys denied', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'live', publishPolicy: 'stream-key' });
    const { key, streamKey } = services.streamKeys.create({ app: 'live', stream: 'cam' });
    const anyKey = services.streamKeys.create({ app: 'live' }).key;
    expect((await services.admission.decide(q({ query: `key=${key}` }))).allow).toBe(true);
    expect((await services.admission.decide(q({ query: `foo=1&key=${encodeURIComponent(key)}` }))).allow).toBe(true);
    expect((await services.admission.decide(q({ stream: anyKey }))).allow).toBe(true);
    // credentials: a key would do (RTSP then challenges for user:password instead of refusing with 403)
    expect(await services.admission.decide(q({ query: 'key=wsk_wrong' }))).toEqual({
      allow: false,
      reason: 'invalid stream key',
      cacheTtlMs: 1000,
      credentials: 'stream-key',
    });
    expect((await services.admission.decide(q({}))).reason).toBe('invalid stream key');
    expect((await services.admission.decide(q({ stream: 'cam2', query: `key=${key}` }))).allow).toBe(false);
    services.streamKeys.revoke(streamKey.id);
    expect((await services.admission.decide(q({ query: `key=${key}` }))).reason).toBe('invalid stream key');
    // play stays open
    expect((await services.admission.decide(q({ action: 'play' }))).allow).toBe(true);
  });

  test('signed-url publish and play: valid, tampered, expired; allow never cached past expiry', async () => {
    const { services, clock } = makeFixture();
    services.apps.create({ name: 'live', publishPolicy: 'signed-url', playPolicy: 'signed-url' });
    const pub = services.signedUrls.build('live', 'cam', 3, 'publish');
    const play = services.signedUrls.build('live', 'cam', 60);
    // maxAgeMs: no engine cache, not even the outage fallback, may hold the allow past the expiry
    expect(await services.admission.decide(q({ query: pub.query }))).toEqual({ allow: true, forwardTargets: [], cacheTtlMs: 3000, maxAgeMs: 3000 });
    expect((await services.admission.decide(q({ query: play.query }))).allow).toBe(false);
    expect((await services.admission.decide(q({ action: 'play', query: play.query }))).allow).toBe(true);
    expect((await services.admission.decide(q({ action: 'play', query: play.query.replace(/.$/, 'x') }))).reason).toBe(
      'invalid signature',
    );
    expect(await services.admission.decide(q({ action: 'play' }))).toMatchObject({ reason: 'missing signature', credentials: 'signed-url' });
    clock.advance(3000);
    expect(await services.admission.decide(q({ query: pub.query }))).toEqual({
      allow: false,
      credentials: 'signed-url',
      reason: 'signed URL expired',
      cacheTtlMs: 1000,
    });
  });

  test('hook: SRS body; 0 and {"code":0} allow; forward targets from the answer; non-200, other bodies and timeouts deny', async () => {
    const { services } = makeFixture({ hookTimeoutMs: 200 });
    services.apps.create({ name: 'live', publishPolicy: 'hook', playPolicy: 'hook', hookUrl });
    const own = services.forwards.create({ app: 'live', url: 'rtmp://own.example/live/all' });
    seen.length = 0;

    expect(await services.admission.decide(q({ stream: 'zero', query: 'token=abc' }))).toEqual({
      allow: true,
      forwardTargets: [own.url],
      cacheTtlMs: 5000,
    });
    expect(seen[0]?.contentType).toBe('application/json');
    expect(seen[0]?.body).toMatchObject({
      action: 'on_publish',
      client_id: 'c1',
      ip: '192.0.2.7',
      vhost: '__defaultVhost__',
      app: 'live',
      stream: 'zero',
      param: '?token=abc',
      server_id: 'weir',
      stream_url: '/live/zero',
    });

    expect((await services.admission.decide(q({ stream: 'json' }))).forwardTargets).toEqual([own.url, 'rtmp://cdn.example/live/x']);
    expect((await services.admission.decide(q({ stream: 'srs-forward' }))).forwardTargets).toEqual([
      own.url,
      'rtmps://cdn.example/live/y',
    ]);
    expect(await services.admission.decide(q({ stream: 'code1' }))).toEqual({ allow: false, reason: 'denied by hook', cacheTtlMs: 1000 });
    expect((await services.admission.decide(q({ stream: 'forbidden' }))).reason).toBe('denied by hook');
    expect((await services.admission.decide(q({ stream: 'other' }))).reason).toBe('denied by hook');

    const started = performance.now();
    expect(await services.admission.decide(q({ stream: 'slow' }))).toEqual({
      allow: false,
      reason: 'authorization hook unavailable',
      cacheTtlMs: 1000,
    });
    // decided while the hook still had not answered, and not before the 200 ms timeout
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    releaseSlowHook();

    seen.length = 0;
    expect(await services.admission.decide(q({ action: 'play', protocol: 'http-flv', stream: 'zero' }))).toEqual({
      allow: true,
      cacheTtlMs: 5000,
    });
    expect(seen[0]?.body).toMatchObject({ action: 'on_play', param: '', stream: 'zero', protocol: 'http-flv' });
  });

  test('hook unreachable denies', async () => {
    const { services } = makeFixture({ hookTimeoutMs: 500 });
    const dead = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('0') });
    const url = `http://127.0.0.1:${dead.port}/auth`;
    dead.stop(true);
    services.apps.create({ name: 'live', publishPolicy: 'hook', hookUrl: url });
    expect((await services.admission.decide(q({}))).reason).toBe('authorization hook unavailable');
  });

  test('the default timeout is 2 s', async () => {
    const { services } = makeFixture({
      fetch: (_url, init) =>
        new Promise((_resolve, reject) => {
          const started = Date.now();
          init.signal?.addEventListener('abort', () => reject(new Error(`aborted after ${Date.now() - started}`)));
        }),
    });
    services.apps.create({ name: 'live', publishPolicy: 'hook', hookUrl: 'http://127.0.0.1:9/auth' });
    const started = performance.now();
    expect((await services.admission.decide(q({}))).allow).toBe(false);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(3000);
  });

  test('a pull app refuses publishing; empty stream names are refused', async () => {
    const { services } = makeFixture();
    services.apps.create({ name: 'relay', sourceType: 'pull' });
    services.apps.create({ name: 'live' });
    expect((await services.admission.decide(q({ app: 'relay' }))).reason).toBe('app takes pulled streams only');
    expect((await services.admission.decide(q({ app: 'relay', action: 'play' }))).allow).toBe(true);
    expect((await services.admission.decide(q({ stream: '' }))).reason).toBe('missing stream name');
  });
});
