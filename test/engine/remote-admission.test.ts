// RemoteAdmission against a fake config server on port 0: cache, coalescing of a surge into
// one request, malformed input refused before asking, a 4xx as a refusal (not an outage), and
// what it decides alone when the server is down: bounded stale answers, per-app outage policy.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import type { AdmissionRequest } from '../../src/server/admission.ts';
import { ControlPlaneHttp } from '../../src/engine/control-link/control-plane-http.ts';
import { secretFromValue } from '../../src/engine/control-link/engine-secret.ts';
import { RemoteAdmission, UNREACHABLE_REASON } from '../../src/engine/control-link/remote-admission.ts';
import { ADMISSION_QUERY_MAX_CHARS } from '../../src/shared/config-protocol.ts';
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
    { name: 'hooked', publishPolicy: 'hook', playPolicy: 'hook' },
    { name: 'strict', publishPolicy: 'stream-key', playPolicy: 'signed-url', outagePolicy: 'closed' },
    { name: 'lenient', publishPolicy: 'stream-key', playPolicy: 'signed-url', outagePolicy: 'open' },
  ],
};

function admission(now: () => number = Date.now, cache: { maxStaleMs?: number } = {}): RemoteAdmission {
  const wire = new ControlPlaneHttp({ baseUrl: fake.url, secret: secretFromValue(SECRET), timeoutMs: 1000 });
  return new RemoteAdmission({
    ask: (query) => wire.postJson('/v1/admission', query),
    getConfig: () => config,
    logger: createLogger({ level: 'error', sink: () => {} }),
    now,
    cache,
  });
}

const problem = (status: number) => Response.json({ status, detail: 'no' }, { status });

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

  test("a refusal for want of credentials says so (RTSP challenges then), also from the cache; a kind it does not know is not taken", async () => {
    fake.admit = (q) => ({ allow: false, reason: 'invalid stream key', cacheTtlMs: 1000, ...(q.query === 'odd=1' ? { credentials: 'yes' as unknown as 'stream-key' } : { credentials: 'signed-url' as const }) });
    const remote = admission();
    const want = { allow: false as const, reason: 'invalid stream key', credentials: 'signed-url' as const };
    expect(await remote.decide(play({ action: 'publish', query: 'key=bad' }))).toEqual(want);
    expect(await remote.decide(play({ action: 'publish', query: 'key=bad' }))).toEqual(want);
    expect(fake.counts.admission).toBe(1);
    expect(await remote.decide(play({ action: 'publish', query: 'odd=1' }))).toEqual({ allow: false, reason: 'invalid stream key' });
  });

  test('expireAll (a new configuration) makes every answer be asked again', async () => {
    const remote = admission();
    await remote.decide(play());
    remote.expireAll();
    await remote.decide(play());
    expect(fake.counts.admission).toBe(2);
  });

  test('hook apps: the client address is part of the key, so the hook judges each address', async () => {
    fake.admit = (q) => (q.clientAddress === '127.0.0.1' ? { allow: true, cacheTtlMs: 5000 } : { allow: false, reason: 'denied by hook', cacheTtlMs: 1000 });
    const remote = admission();
    expect(await remote.decide(play({ app: 'hooked' }))).toEqual({ allow: true });
    expect(await remote.decide(play({ app: 'hooked', clientAddress: '127.0.0.2' }))).toEqual({ allow: false, reason: 'denied by hook' });
    expect(await remote.decide(play({ app: 'hooked' }))).toEqual({ allow: true }); // cached per address
    expect(fake.counts.admission).toBe(2);
  });

  test('names the engine can judge alone are never sent: unknown app, invalid stream name', async () => {
    const remote = admission();
    expect(await remote.decide(play({ app: 'nope' }))).toEqual({ allow: false, reason: "unknown app 'nope'" });
    expect(await remote.decide(play({ stream: '../etc' }))).toEqual({ allow: false, reason: 'invalid stream name' });
    expect(fake.counts.admission).toBe(0);
  });

  test('malformed queries are refused by the engine and never sent: over 4096 characters, control characters', async () => {
    const remote = admission();
    expect(await remote.decide(play({ query: 'x='.padEnd(ADMISSION_QUERY_MAX_CHARS + 1, 'a') }))).toEqual({
      allow: false,
      reason: `query string longer than ${ADMISSION_QUERY_MAX_CHARS} characters`,
    });
    expect(await remote.decide(play({ query: 'key=a\u0000b' }))).toEqual({ allow: false, reason: 'query string has control characters' });
    expect(await remote.decide(play({ query: 'key=a\ud800b' }))).toEqual({ allow: false, reason: 'query string is not valid text' });
    expect(fake.counts.admission).toBe(0);
    expect((await remote.decide(play({ query: 'x='.padEnd(ADMISSION_QUERY_MAX_CHARS, 'a') }))).allow).toBe(true);
    expect(fake.counts.admission).toBe(1);
  });
});

describe('a 4xx from the config server', () => {
  test('refuses that request only: the next requests are asked, not answered from stale memory', async () => {
    let nowMs = 1_000_000;
    const remote = admission(() => nowMs);
    expect(await remote.decide(play({ app: 'private', query: 'sig=old' }))).toEqual({ allow: true });
    nowMs += 60_000; // the old allow is long past its fresh life
    fake.admit = (q) => (q.query === 'poison' ? problem(400) : { allow: false, reason: 'signed URL expired', cacheTtlMs: 1000 });
    expect(await remote.decide(play({ app: 'private', query: 'poison' }))).toEqual({
      allow: false,
      reason: 'refused by the control plane (HTTP 400)',
    });
    // old code: the 400 counted as an outage, and the stale allow was handed out for a second
    expect(await remote.decide(play({ app: 'private', query: 'sig=old' }))).toEqual({ allow: false, reason: 'signed URL expired' });
    fake.admit = (q) => (q.query === 'poison' ? problem(413) : { allow: true, cacheTtlMs: 5000 });
    const results = [];
    for (let i = 0; i < 5; i++) {
      await remote.decide(play({ app: 'private', query: 'poison' }));
      results.push((await remote.decide(play({ app: 'private', query: `sig=valid${i}` }))).allow);
    }
    expect(results).toEqual([true, true, true, true, true]);
    expect(remote.stats).toMatchObject({ failures: 0, fallbacks: 0, refusedByServer: 6 });
  });

  test('a 5xx is an outage; a 401 (the engine secret being rotated) too', async () => {
    let status = 503;
    fake.admit = () => problem(status);
    let nowMs = 1_000_000;
    const remote = admission(() => nowMs);
    expect(await remote.decide(play({ app: 'private' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
    expect(await remote.decide(play())).toEqual({ allow: true }); // live: play is open
    expect(remote.stats).toMatchObject({ failures: 1, fallbacks: 2 });
    status = 401;
    nowMs += 2000;
    expect(await remote.decide(play({ app: 'private' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
    expect(remote.stats.failures).toBe(2);
  });
});

describe('when the config server is unreachable', () => {
  test('the last answer for the same key stands while within the stale bound', async () => {
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

  test('an allow older than the stale bound is not reused (10 minutes by default)', async () => {
    let nowMs = 1_000_000;
    const remote = admission(() => nowMs);
    await remote.decide(play({ action: 'publish', query: 'key=good' }));
    fake.stop();
    nowMs += 600_000 - 1;
    expect(await remote.decide(play({ action: 'publish', query: 'key=good' }))).toEqual({ allow: true });
    nowMs += 1;
    expect(await remote.decide(play({ action: 'publish', query: 'key=good' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
  });

  test("an answer's maxAgeMs (a signed URL's expiry) holds during an outage too", async () => {
    let nowMs = 1_000_000;
    fake.admit = () => ({ allow: true, cacheTtlMs: 5000, maxAgeMs: 3000 });
    const remote = admission(() => nowMs);
    expect(await remote.decide(play({ app: 'private', query: 'expires=1&sign=x' }))).toEqual({ allow: true });
    fake.stop();
    nowMs += 2999;
    expect((await remote.decide(play({ app: 'private', query: 'expires=1&sign=x' }))).allow).toBe(true);
    nowMs += 1;
    expect(await remote.decide(play({ app: 'private', query: 'expires=1&sign=x' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
  });

  test('a new configuration revision (a revoked key) drops the fallbacks too', async () => {
    const remote = admission();
    await remote.decide(play({ action: 'publish', query: 'key=revoked' }));
    remote.expireAll();
    fake.stop();
    expect(await remote.decide(play({ action: 'publish', query: 'key=revoked' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
  });

  test('an answer asked for before a new revision is not remembered after it', async () => {
    fake.admissionDelayMs = 100;
    const remote = admission();
    const asked = remote.decide(play({ action: 'publish', query: 'key=k' }));
    await Bun.sleep(20);
    remote.expireAll();
    expect((await asked).allow).toBe(true); // the client that asked gets its answer
    fake.stop();
    expect(await remote.decide(play({ action: 'publish', query: 'key=k' }))).toEqual({ allow: false, reason: UNREACHABLE_REASON });
  });

  test("outage policy per app: 'admitted' reuses allows, 'closed' refuses, 'open' admits", async () => {
    let nowMs = 1_000_000;
    const remote = admission(() => nowMs);
    for (const app of ['private', 'strict', 'lenient']) await remote.decide(play({ app, query: 'seen' }));
    fake.stop();
    nowMs += 10_000; // past the fresh life: only the outage rules decide
    const unreachable = { allow: false, reason: UNREACHABLE_REASON };
    expect(await remote.decide(play({ app: 'private', query: 'seen' }))).toEqual({ allow: true });
    expect(await remote.decide(play({ app: 'private', query: 'new' }))).toEqual(unreachable);
    expect(await remote.decide(play({ app: 'strict', query: 'seen' }))).toEqual(unreachable);
    expect(await remote.decide(play({ app: 'strict', query: 'new' }))).toEqual(unreachable);
    expect(await remote.decide(play({ app: 'lenient', query: 'seen' }))).toEqual({ allow: true });
    expect(await remote.decide(play({ app: 'lenient', query: 'new' }))).toEqual({ allow: true });
  });

  test('a new configuration (the server is back) ends the local-decision window at once', async () => {
    const remote = admission();
    fake.stop();
    expect((await remote.decide(play({ app: 'private' }))).allow).toBe(false);
    fake.restart();
    remote.expireAll();
    expect((await remote.decide(play({ app: 'private' }))).allow).toBe(true);
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
