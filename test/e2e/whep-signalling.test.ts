// WHEP and WHIP signalling over real HTTP without a browser: status codes for bad requests, CORS preflight, admission
// with a bearer token, PATCH/DELETE on the session resource, and a client that posts an offer and then
// disappears (no ICE, no DELETE) being closed after the ICE timeout (a WHIP publisher: unpublished), with events.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { AdmissionRequest } from '../../src/server/admission.ts';
import type { EngineEvent } from '../../src/shared/config-protocol.ts';
import { CHROME_OFFER } from '../webrtc/chrome-offer.ts';
import { killAll, publishPattern, publishPatternUntilVideo, startTestEngine, waitFor, type TestEngine } from './harness.ts';

let engine: TestEngine;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const asked: AdmissionRequest[] = [];
const events: EngineEvent[] = [];
const path = 'live/sig';

beforeAll(async () => {
  engine = startTestEngine({
    waitForPublisherMs: 300,
    webrtc: { iceTimeoutMs: 1000, maxSessionsPerAddress: 3 },
    admission: {
      decide: async (request) => {
        asked.push(request);
        if (request.action === 'publish') return { allow: true };
        return new URLSearchParams(request.query).get('key') === 'good' ? { allow: true } : { allow: false, reason: 'invalid play key' };
      },
    },
    events: { emit: (e) => events.push(e) },
  });
  await engine.ready;
  publisher = await publishPatternUntilVideo(engine, path, { seconds: 60, bFrames: 0 });
}, 40_000);

afterAll(async () => {
  await publisher?.stop();
  await killAll();
  engine?.stop();
});

const post = (target: string, init: { body?: string; contentType?: string; token?: string } = {}) =>
  fetch(engine.httpUrl(target), {
    method: 'POST',
    headers: { ...(init.contentType !== undefined ? { 'Content-Type': init.contentType } : { 'Content-Type': 'application/sdp' }), ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
    body: init.body ?? CHROME_OFFER,
  });
const webrtcClients = () => engine.context.clients.list().filter((c) => c.protocol === 'webrtc');

describe('WHEP signalling', () => {
  test('CORS preflight names the methods and headers a browser page needs', async () => {
    const res = await fetch(engine.httpUrl(`${path}/whep`), { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(res.headers.get('access-control-expose-headers')).toContain('Location');
  });

  test('bad requests get a clear 4xx', async () => {
    expect((await post(`${path}/whep`, { contentType: 'text/plain', token: 'good' })).status).toBe(415);
    const bad = await post(`${path}/whep`, { body: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n', token: 'good' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('SDP offer');
    expect((await post(`${path}/whep`, { body: 'x'.repeat(70_000), token: 'good' })).status).toBe(413);
    expect((await fetch(engine.httpUrl(`${path}/whep`))).status).toBe(405);
    expect((await post('live/nobody/whep', { token: 'good' })).status).toBe(404);
  });

  test('admission: the bearer token is the play key; a wrong one is 403 with the reason', async () => {
    const refused = await post(`${path}/whep`, { token: 'bad' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('invalid play key');
    const request = asked.find((r) => r.protocol === 'webrtc' && r.query === 'key=bad');
    expect(request).toMatchObject({ action: 'play', app: 'live', stream: 'sig', clientAddress: '127.0.0.1' });
    expect(webrtcClients()).toHaveLength(0);
  });

  test('PATCH takes trickle fragments, DELETE ends the session and a second DELETE is 404', async () => {
    const res = await post(`${path}/whep`, { token: 'good' });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/sdp');
    const location = res.headers.get('location')!;
    expect((await res.text())).toContain('a=ice-lite');
    expect(webrtcClients()).toHaveLength(1);
    const patch = (contentType: string) => fetch(engine.httpUrl(location.slice(1)), { method: 'PATCH', headers: { 'Content-Type': contentType }, body: 'a=end-of-candidates\r\n' });
    expect((await patch('application/trickle-ice-sdpfrag')).status).toBe(204);
    expect((await patch('text/plain')).status).toBe(415);
    expect((await fetch(engine.httpUrl(location.slice(1)), { method: 'DELETE' })).status).toBe(200);
    expect(webrtcClients()).toHaveLength(0);
    expect((await fetch(engine.httpUrl(location.slice(1)), { method: 'DELETE' })).status).toBe(404);
  });

  test('a kick through the client registry ends the session: its Location is gone, play-stop is reported', async () => {
    const res = await post(`${path}/whep`, { token: 'good' });
    expect(res.status).toBe(201);
    const client = webrtcClients()[0]!;
    expect(client).toMatchObject({ role: 'viewer', app: 'live', stream: 'sig', address: '127.0.0.1' });
    expect(client.link).toMatchObject({ packetsRetransmitted: 0 });
    expect(engine.context.clients.kick(client.id, 'test')).toBe(true);
    expect(webrtcClients()).toHaveLength(0);
    expect((await fetch(engine.httpUrl(res.headers.get('location')!.slice(1)), { method: 'DELETE' })).status).toBe(404);
    expect(events.some((e) => e.type === 'play-stop' && e.clientId === client.id)).toBe(true);
  });

  test('sessions per address are capped (429)', async () => {
    const locations: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(`${path}/whep`, { token: 'good' });
      expect(res.status).toBe(201);
      locations.push(res.headers.get('location')!);
    }
    expect((await post(`${path}/whep`, { token: 'good' })).status).toBe(429);
    for (const l of locations) await fetch(engine.httpUrl(l.slice(1)), { method: 'DELETE' });
  });

  test('a client that never connects and never sends DELETE is closed after the ICE timeout', async () => {
    const res = await post(`${path}/whep`, { token: 'good' });
    expect(res.status).toBe(201);
    const id = webrtcClients()[0]!.id;
    const before = engine.webrtc!.stats.sessionsTimedOut;
    expect(await waitFor(() => webrtcClients().length === 0, 10_000)).toBe(true);
    expect(engine.webrtc!.stats.sessionsTimedOut).toBe(before + 1);
    expect(engine.webrtc!.sessions.size).toBe(0);
    expect(events.some((e) => e.type === 'play-stop' && e.clientId === id)).toBe(true);
    expect(events.some((e) => e.type === 'play-start' && e.clientId === id && e.protocol === 'webrtc')).toBe(true);
  }, 20_000);

  test('WHIP: a publisher that never connects holds the stream until the ICE timeout, then it is unpublished', async () => {
    const sendonly = readFileSync(join(import.meta.dir, '..', 'fixtures', 'webrtc', 'chromium-sendonly-offer.sdp'), 'utf8');
    const res = await post('live/ghost/whip', { token: 'good', body: sendonly });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/live\/ghost\/whip\/[0-9a-f]{32}$/);
    const answer = await res.text();
    expect(answer).toContain('a=recvonly');
    const publisher = webrtcClients().find((c) => c.role === 'publisher')!;
    expect(publisher).toMatchObject({ app: 'live', stream: 'ghost' });
    expect(engine.context.streams.find('live', 'ghost')?.publisher).not.toBeNull();
    expect(asked.some((r) => r.action === 'publish' && r.protocol === 'webrtc' && r.stream === 'ghost' && r.query === 'key=good')).toBe(true);
    // a WHEP session resource id is not a WHIP one and the reverse
    expect((await fetch(engine.httpUrl(res.headers.get('location')!.slice(1).replace('/whip/', '/whep/')), { method: 'DELETE' })).status).toBe(404);
    expect(await waitFor(() => webrtcClients().length === 0, 10_000)).toBe(true);
    expect(engine.context.streams.find('live', 'ghost')?.publisher ?? null).toBeNull();
    expect(events.some((e) => e.type === 'publish-stop' && e.clientId === publisher.id)).toBe(true);
  }, 20_000);
});
