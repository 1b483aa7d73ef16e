// /api/v1/streams, /api/v1/clients and /api/v1/engine: live state from a fake engine.
import { beforeEach, describe, expect, test } from 'bun:test';
import type { ClientState, LiveStreamState } from '../../../src/shared/config-protocol.ts';
import { adminToken, call, expectProblem, type Harness, makeHarness } from './helpers.ts';

let h: Harness;
let token: string;
const api = (method: string, path: string, body?: unknown) => call(h.app, method, `/api/v1${path}`, { creds: { token }, body });

const stream = (app: string, name: string, over: Partial<LiveStreamState> = {}): LiveStreamState => ({
  app,
  stream: name,
  publisherId: `pub-${name}`,
  publisherAddress: '10.0.0.7:51000',
  startedAtMs: h.clock.now - 90_500,
  tracks: [
    { kind: 'video', codec: 'avc1.64001f', width: 1280, height: 720 },
    { kind: 'audio', codec: 'mp4a.40.2', sampleRateHz: 48000, channels: 2 },
  ],
  bitrateInBps: 2_500_000,
  bitrateOutBps: 7_500_000,
  viewers: { rtmp: 1, 'http-flv': 2, hls: 3 },
  ...over,
});

const client = (id: string, over: Partial<ClientState> = {}): ClientState => ({
  id,
  role: 'viewer',
  protocol: 'http-flv',
  address: '10.0.0.9:40000',
  app: 'live',
  stream: 'demo',
  connectedAtMs: h.clock.now - 5_000,
  bytesIn: 100,
  bytesOut: 1_000_000,
  ...over,
});

beforeEach(async () => {
  h = await makeHarness();
  token = await adminToken(h);
});

describe('streams', () => {
  test('codecs, resolution, bitrates, viewers per protocol and uptime', async () => {
    h.engine.liveStreams = [stream('live', 'demo'), stream('cam', 'one', { tracks: [{ kind: 'audio', codec: 'mp3' }], publisherId: null, publisherAddress: null, viewers: {} })];
    const res = await api('GET', '/streams');
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toEqual({
      app: 'live',
      stream: 'demo',
      publisher: { id: 'pub-demo', address: '10.0.0.7:51000' },
      startedAtMs: h.clock.now - 90_500,
      uptimeSec: 90,
      video: { codec: 'avc1.64001f', width: 1280, height: 720 },
      audio: { codec: 'mp4a.40.2', sampleRateHz: 48000, channels: 2 },
      tracks: h.engine.liveStreams[0]?.tracks,
      bitrateInBps: 2_500_000,
      bitrateOutBps: 7_500_000,
      viewers: { rtmp: 1, 'http-flv': 2, hls: 3 },
      viewerCount: 6,
    });
    expect(res.body.items[1]).toMatchObject({ publisher: null, video: null, audio: { codec: 'mp3', sampleRateHz: null, channels: null }, viewerCount: 0 });

    expect((await api('GET', '/streams?app=cam')).body.items.map((s: { stream: string }) => s.stream)).toEqual(['one']);
    expect((await api('GET', '/streams/live/demo')).body.stream).toBe('demo');
    expectProblem(await api('GET', '/streams/live/nope'), 404, 'not-found');
  });

  test('ending a stream kicks its publisher', async () => {
    h.engine.liveStreams = [stream('live', 'demo')];
    expect((await api('DELETE', '/streams/live/demo')).status).toBe(204);
    expect(h.engine.kicked).toEqual(['pub-demo']);
    expectProblem(await api('DELETE', '/streams/live/other'), 404, 'not-found');
  });

  test('an engine that is down is a 503 problem', async () => {
    h.engine.up = false;
    const problem = expectProblem(await api('GET', '/streams'), 503, 'engine-unavailable');
    expect(problem.detail).toContain('engine unreachable');
    expectProblem(await api('GET', '/streams/live/demo'), 503, 'engine-unavailable');
    expectProblem(await api('GET', '/clients'), 503, 'engine-unavailable');
    expectProblem(await api('DELETE', '/clients/c1'), 503, 'engine-unavailable');
  });
});

describe('clients', () => {
  test('list with filters, then kick one', async () => {
    h.engine.liveClients = [client('c1'), client('c2', { role: 'publisher', protocol: 'rtmp', stream: 'other' }), client('c3', { app: null, stream: null, role: 'idle' })];
    const all = await api('GET', '/clients');
    expect(all.body.items).toHaveLength(3);
    expect(all.body.items[0]).toEqual({ ...client('c1'), connectedSec: 5 });
    expect((await api('GET', '/clients?role=publisher')).body.items.map((c: { id: string }) => c.id)).toEqual(['c2']);
    expect((await api('GET', '/clients?app=live&stream=demo')).body.items.map((c: { id: string }) => c.id)).toEqual(['c1']);
    expectProblem(await api('GET', '/clients?role=admin'), 400, 'invalid');

    expect((await api('DELETE', '/clients/c1')).status).toBe(204);
    expect(h.engine.kicked).toEqual(['c1']);
    expectProblem(await api('DELETE', '/clients/c1'), 404, 'not-found');
  });

  test('SRT clients carry their link figures (RTT, loss, retransmissions, bitrate); others have none', async () => {
    const link = { rttMs: 12.5, packetsLost: 40, packetsDropped: 1, packetsRetransmitted: 38, receiveRateBps: 2_400_000, sendRateBps: 9_000 };
    h.engine.liveClients = [client('s1', { protocol: 'srt', role: 'publisher', link }), client('c1')];
    const all = await api('GET', '/clients');
    expect(all.body.items[0]).toEqual({ ...client('s1', { protocol: 'srt', role: 'publisher', link }), connectedSec: 5 });
    expect(all.body.items[1].link).toBeUndefined();
    expect((await api('DELETE', '/clients/s1')).status).toBe(204);
    expect(h.engine.kicked).toEqual(['s1']);
  });
});

describe('engine', () => {
  test('up: version, uptime and whether it runs the latest configuration', async () => {
    h.engine.status_ = { ...h.engine.status_, startedAtMs: h.clock.now - 3_600_000, configRevision: h.services.config.revision(), streams: 2 };
    const res = await api('GET', '/engine');
    expect(res.body).toMatchObject({
      up: true,
      reason: null,
      configRevision: h.services.config.revision(),
      engine: { version: '0.1.0-test', uptimeSec: 3600, configCurrent: true, ready: true, streams: 2 },
    });
    await api('POST', '/apps', { name: 'cam' });
    expect((await api('GET', '/engine')).body.engine.configCurrent).toBe(false);
  });

  test("the engine's SRT and RTSP listeners pass through (absent from an engine that does not report them)", async () => {
    expect((await api('GET', '/engine')).body.engine.listeners).toBeUndefined();
    const listeners = { srt: { enabled: true, port: 10080, encrypted: true }, rtsp: { enabled: false, port: null } };
    h.engine.status_ = { ...h.engine.status_, listeners };
    expect((await api('GET', '/engine')).body.engine.listeners).toEqual(listeners);
  });

  test('down: 200 with up=false; a forced reload is 503', async () => {
    h.engine.up = false;
    const res = await api('GET', '/engine');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ up: false, reason: 'engine unreachable', configRevision: h.services.config.revision(), engine: null });
    expectProblem(await api('POST', '/engine/reload'), 503, 'engine-unavailable');
    h.engine.up = true;
    const reload = await api('POST', '/engine/reload');
    expect(reload.status).toBe(202);
    expect(h.engine.reloads).toBe(2);
  });
});
