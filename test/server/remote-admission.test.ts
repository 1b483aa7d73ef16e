// RemoteAdmission against a fake config server on port 0: cache, coalescing of a surge into
// one request, and what it decides alone when the server is down.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import type { AdmissionRequest } from '../../src/server/admission.ts';
import { ConfigServerHttp } from '../../src/server/config-server-http.ts';
import { secretFromValue } from '../../src/server/engine-secret.ts';
import { RemoteAdmission, UNREACHABLE_REASON } from '../../src/server/remote-admission.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { makeSnapshot, startFakeConfigServer, type FakeConfigServer } from './fake-config-server.ts';

const SECRET = 'test-secret-admission';
let fake: FakeConfigServer;

const config: EngineConfig = {
  ...DEFAULT_ENGINE_CONFIG,
  apps: [
    { name: 'live', publishPolicy: 'stream-key', playPolicy: 'open' },
    { name: 'private', publishPolicy: 'signed-url', playPolicy: 'signed-url' },
  ],
};

function admission(now: () => number = Date.now): RemoteAdmission {
  const wire = new ConfigServerHttp({ baseUrl: fake.url, secret: secretFromValue(SECRET), timeoutMs: 1000 });
  return new RemoteAdmission({
    ask: (query) => wire.postJson('/v1/admission', query),
    getConfig: () => config,
    logger: createLogger({ level: 'error', sink: () => {} }),
    now,
  });
}

function play(overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { action: 'play', protocol: 'http-flv', app: 'live', stream: 'cam', query: 'token=abc', clientAddress: '127.0.0.1', ...overrides };
}

beforeAll(() => {
  fake = startFakeConfigServer({ secret: SECRET, snapshot: makeSnapshot({ revision: 1 }) });
});

afterAll(() => fake.stop());

beforeEach(() => {
  fake.restart();
  fake.counts.admission = 0;
  fake.admissions.length = 0;
  fake.admissionDelayMs = 0;
  fake.admit = () => ({ allow: true, cacheTtlMs: 5000 });
});

describe('cache and coalescing', () => {
  test('200 concurrent plays of one URL are one request; later ones hit the cache', async () => {
    fake.admissionDelayMs = 100;
    const remote = admission();
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => remote.decide(play({ clientAddress: `10.0.0.${i % 250}`, clientId: `c${i}` }))));
    expect(decisions.every((d) => d.allow)).toBe(true);
    expect(fake.counts.admission).toBe(1);
    expect(remote.stats.coalesced).toBe(199);
    expect(fake.admissions[0]).toMatchObject({ action: 'play', protocol: 'http-flv', app: 'live', stream: 'cam', query: 'token=abc', clientId: 'c0' });
    await remote.decide(play());
    expect(fake.counts.admission).toBe(1);
    expect(remote.stats.cacheHits).toBe(1);
  });

  test('the key is (action, protocol, app, stream, query): any difference is asked separately', async () => {
    const remote = admission();
    await remote.decide(play());
    await remote.decide(play({ query: 'token=other' }));
    await remote.decide(play({ protocol: 'hls' }));
    await remote.decide(play({ stream: 'cam2' }));
    await remote.decide(play({ action: 'publish' }));
    await remote.decide(play({ clientAddress: '10.1.1.1' })); // not part of the key
    expect(fake.counts.admission).toBe(5);
  });

  test('answers expire after cacheTtlMs, and a refusal carries its reason', async () => {
    let nowMs = 1_000_000;
    fake.admit = (q) => (q.query === 'key=good' ? { allow: true, cacheTtlMs: 1000 } : { allow: false, reason: 'bad stream key', cacheTtlMs: 1000 });
    const remote = admission(() => nowMs);
    expect(await remote.decide(play({ action: 'publish', query: 'key=bad' }))).toEqual({ allow: false, reason: 'bad stream key' });
    expect(await remote.decide(play({ action: 'publish', query: 'key=good' }))).toEqual({ allow: true });
    expect(fake.counts.admission).toBe(2);
    nowMs += 999;
    await remote.decide(play({ action: 'publish', query: 'key=bad' }));
    expect(fake.counts.admission).toBe(2);
    nowMs += 2;
    await remote.decide(play({ action: 'publish', query: 'key=bad' }));
    expect(fake.counts.admission).toBe(3);
  });

  test('expireAll (a new configuration) makes every answer be asked again', async () => {
    const remote = admission();
    await remote.decide(play());
    remote.expireAll();
    await remote.decide(play());
    expect(fake.counts.admission).toBe(2);
  });

  test('names the engine can judge alone are never sent: unknown app, invalid stream name', async () => {
    const remote = admission();
    expect(await remote.decide(play({ app: 'nope' }))).toEqual({ allow: false, reason: "unknown app 'nope'" });
    expect(await remote.decide(play({ stream: '../etc' }))).toEqual({ allow: false, reason: 'invalid stream name' });
    expect(fake.counts.admission).toBe(0);
  });
});

describe('when the config server is unreachable', () => {
  test('the last answer for the same key stands, even expired', async () => {
    let nowMs = 1_000_000;
    fake.admit = (q) => (q.query === 'key=good' ? { allow: true, cacheTtlMs: 1000 } : { allow: false, reason: 'bad stream key', cacheTtlMs: 1000 });
    const remote = admission(() => nowMs);
    await remote.decide(play({ action: 'publish', query: 'key=good' }));
    await remote.decide(play({ action: 'publish', query: 'key=bad' }));
    fake.stop();
    nowMs += 60_000;
    expect(await remote.decide(play({ action: 'publish', query: 'key=good' }))).toEqual({ allow: true });
    expect(await remote.decide(play({ action: 'publish', query: 'key=bad' }))).toEqual({ allow: false, reason: 'bad stream key' });
    expect(remote.stats.fallbacks).toBe(2);
  });

  test("otherwise only an 'open' policy of the last known configuration admits; anything else is refused", async () => {
    fake.stop();
    const remote = admission();
    // live: play is open, publish needs a stream key
    expect(await remote.decide(play({ query: 'fresh=1' }))).toEqual({ allow: true });
    expect(await remote.decide(play({ action: 'publish', query: 'key=x' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
    // private: both need a signature
    expect(await remote.decide(play({ app: 'private' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
    expect(remote.stats.requests).toBe(1); // after one failure it decides alone for a while
  });

  test('a server that comes back is asked again', async () => {
    let nowMs = 1_000_000;
    const remote = admission(() => nowMs);
    fake.stop();
    expect((await remote.decide(play({ app: 'private' }))).allow).toBe(false);
    fake.restart();
    nowMs += 1500;
    expect((await remote.decide(play({ app: 'private' }))).allow).toBe(true);
    expect(fake.counts.admission).toBe(1);
  });
});
