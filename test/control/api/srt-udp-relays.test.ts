// srt:// and udp:// pull sources and forward targets through the REST API: their own rules (port, known keys,
// passphrase length, latency, multicast interface) give a 400 with the reason, and an SRT passphrase is stored for
// the engine but never shown back, to admins neither (*** sent back keeps it), as RTSP passwords are.
import { beforeEach, describe, expect, test } from 'bun:test';
import { call, expectProblem, login, useAdminApi } from './helpers.ts';

const SECRET = 'Srt-Pa55phrase-1';
const SRT_URL = `srt://192.0.2.20:9000?streamid=live/feed&passphrase=${SECRET}&latency=200`;

const fixture = useAdminApi();
beforeEach(async () => {
  await fixture.api('POST', '/apps', { name: 'feeds', sourceType: 'pull' });
  await fixture.api('POST', '/apps', { name: 'live' });
});
const api = fixture.api;
const enginePull = (id: string) => fixture.h.services.config.snapshot().pulls?.find((p) => p.id === id)?.url;
const engineForward = (id: string) => fixture.h.services.config.snapshot().forwards?.find((f) => f.id === id)?.url;

describe('srt:// and udp:// pull sources', () => {
  test('accepted: an SRT listener to call, a unicast bind address, a multicast group with its interface', async () => {
    for (const [stream, url] of [
      ['a', 'srt://192.0.2.20:9000'],
      ['b', 'srt://encoder.example:9000?streamid=%23!%3A%3Ar%3Dlive%2Fa%2Cm%3Drequest&latency=500&pbkeylen=32&passphrase=0123456789'],
      ['c', 'udp://0.0.0.0:5000'],
      ['d', 'udp://239.1.1.1:5000?interface=192.0.2.1'],
      ['e', 'udp://239.1.1.2:5000?localaddr=192.0.2.1'],
    ] as const) {
      const res = await api('POST', '/pulls', { app: 'feeds', stream, url });
      expect({ url, status: res.status }).toEqual({ url, status: 201 });
    }
  });

  test('refused with the reason: no port, unknown keys, a short passphrase, latency out of range, listener mode, interface without a group', async () => {
    const cases: [string, RegExp][] = [
      ['srt://192.0.2.20', /needs a port/],
      ['srt://192.0.2.20:9000?pasphrase=0123456789', /unknown parameter 'pasphrase'/],
      ['srt://192.0.2.20:9000?passphrase=short', /10 to 79 characters/],
      ['srt://192.0.2.20:9000?latency=120000', /latency \(milliseconds\) must be an integer from 20 to 60000/],
      ['srt://192.0.2.20:9000?mode=listener', /only mode=caller/],
      ['srt://user:pw@192.0.2.20:9000', /no user or password/],
      ['udp://127.0.0.1:5000?interface=192.0.2.1', /multicast group/],
      ['udp://239.1.1.1:5000?interface=eth0', /IPv4 address/],
      ['udp://239.1.1.1:5000?pkt_size=1000', /multiple of 188/],
      ['udp://239.1.1.1', /needs a port/],
    ];
    for (const [url, reason] of cases) {
      const problem = expectProblem(await api('POST', '/pulls', { app: 'feeds', stream: 'x', url }), 400, 'invalid');
      expect({ url, path: problem.errors[0].path, message: problem.errors[0].message }).toEqual({ url, path: '/url', message: expect.stringMatching(reason) });
    }
    expect((await api('GET', '/pulls')).body.items).toEqual([]);
  });

  test('the passphrase is never shown back; *** keeps it, a new one replaces it, *** for another host is refused', async () => {
    const created = await api('POST', '/pulls', { app: 'feeds', stream: 'feed', url: SRT_URL });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(SECRET);
    expect(created.body.url).toBe('srt://192.0.2.20:9000?streamid=live/feed&passphrase=***&latency=200');
    expect(enginePull(created.body.id)).toBe(SRT_URL);
    for (const path of ['/pulls', `/pulls/${created.body.id}`]) expect((await api('GET', path)).text).not.toContain(SECRET);
    expect((await api('POST', '/users', { username: 'vera', password: 'viewer password 1' })).status).toBe(201);
    const viewer = await login(fixture.h.app, 'vera', 'viewer password 1');
    const listed = await call(fixture.h.app, 'GET', '/api/v1/pulls', { creds: { cookie: viewer.cookie } });
    expect(listed.text).not.toContain(SECRET);

    const id = created.body.id;
    const edited = await api('PATCH', `/pulls/${id}`, { url: 'srt://192.0.2.20:9000?streamid=live/other&passphrase=***' });
    expect(edited.status).toBe(200);
    expect(edited.body.url).toBe('srt://192.0.2.20:9000?streamid=live/other&passphrase=***');
    expect(enginePull(id)).toBe(`srt://192.0.2.20:9000?streamid=live/other&passphrase=${SECRET}`);
    await api('PATCH', `/pulls/${id}`, { url: 'srt://192.0.2.20:9000?passphrase=another-secret' });
    expect(enginePull(id)).toBe('srt://192.0.2.20:9000?passphrase=another-secret');
    const elsewhere = expectProblem(await api('PATCH', `/pulls/${id}`, { url: 'srt://198.51.100.7:9000?passphrase=***' }), 400, 'invalid');
    expect(elsewhere.errors[0].message).toMatch(/passphrase/);
    expect(enginePull(id)).toBe('srt://192.0.2.20:9000?passphrase=another-secret');
  });
});

describe('srt:// and udp:// forward targets', () => {
  test('accepted and checked like pulls; the passphrase is hidden from the admin too and *** keeps it', async () => {
    const udp = await api('POST', '/forwards', { app: 'live', url: 'udp://239.2.2.2:1234?ttl=4&pkt_size=1316&localaddr=192.0.2.1' });
    expect(udp.status).toBe(201);
    expect(udp.body.url).toBe('udp://239.2.2.2:1234?ttl=4&pkt_size=1316&localaddr=192.0.2.1');
    expectProblem(await api('POST', '/forwards', { app: 'live', url: 'udp://239.2.2.2:1234?ttl=300' }), 400, 'invalid');
    const srt = await api('POST', '/forwards', { app: 'live', stream: 'demo', url: SRT_URL });
    expect(srt.status).toBe(201);
    expect(srt.text).not.toContain(SECRET);
    expect((await api('GET', '/forwards')).text).not.toContain(SECRET);
    expect(engineForward(srt.body.id)).toBe(SRT_URL);
    const kept = await api('PATCH', `/forwards/${srt.body.id}`, { url: 'srt://192.0.2.20:9000?streamid=live/b&passphrase=***' });
    expect(kept.status).toBe(200);
    expect(engineForward(srt.body.id)).toBe(`srt://192.0.2.20:9000?streamid=live/b&passphrase=${SECRET}`);
  });
});

test("an SRT pull's status carries its link figures from the engine", async () => {
  const created = await api('POST', '/pulls', { app: 'feeds', stream: 'feed', url: SRT_URL });
  const link = { rttMs: 20.5, packetsLost: 3, packetsDropped: 0, packetsRetransmitted: 3, receiveRateBps: 1_200_000, sendRateBps: 8_000 };
  const status = {
    id: created.body.id, kind: 'pull', app: 'feeds', stream: 'feed', url: 'srt://192.0.2.20:9000?***', state: 'live', lastError: null,
    liveSinceMs: 1, nextRetryAtMs: 0, retries: 0, bytesIn: 10, bytesOut: 0, droppedMessages: 0, link,
  };
  Object.assign(fixture.h.engine, { relays: () => Promise.resolve({ ok: true, value: [status] }) });
  const read = await api('GET', `/pulls/${created.body.id}`);
  expect(read.status).toBe(200);
  expect(read.body.status.link).toEqual(link);
});
