// Relay status through the APIs: the engine's GET /v1/relays, and the REST API's pulls and
// forwards carrying the engine's status for each id (absent when the engine is down).
import { afterAll, describe, expect, test } from 'bun:test';
import { Backoff } from '../../src/relay/backoff.ts';
import { fillOriginTemplate, parseRtmpUrl, redactUrl, relaySchemeOf } from '../../src/relay/relay-url.ts';
import { stripSetDataFrame } from '../../src/relay/script-data.ts';
import type { EngineApi } from '../../src/engine/engine-api.ts';
import type { EngineResult } from '../../src/control/engine-client.ts';
import { createEngineClient } from '../../src/control/engine-client.ts';
import type { RelayStatus } from '../../src/shared/config-protocol.ts';
import { encodeAmf0 } from '../../src/rtmp/amf0.ts';
import { adminToken, call, makeHarness } from '../control/api/helpers.ts';
import { startEngineApi } from '../e2e/managed-engine.ts';
import { startRelayEngine, type RelayTestEngine } from './relay-harness.ts';

const engines: RelayTestEngine[] = [];
const apis: EngineApi[] = [];
afterAll(() => {
  for (const engine of engines) engine.stop();
  for (const api of apis) api.stop();
});

describe('relay building blocks', () => {
  test('backoff doubles to its cap with jitter in [base/2, base] and resets', () => {
    let r = 0;
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => r });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([50, 100, 200, 400, 500]);
    r = 1;
    expect(backoff.next()).toBe(1000);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  test('RTMP URLs split into app, stream (query kept) and tcUrl; secrets are hidden', () => {
    expect(parseRtmpUrl('rtmp://a.rtmp.youtube.com/live2/abcd-efgh')).toEqual({
      tls: false, host: 'a.rtmp.youtube.com', port: 1935, app: 'live2', streamName: 'abcd-efgh', tcUrl: 'rtmp://a.rtmp.youtube.com/live2',
    });
    const s = parseRtmpUrl('rtmps://live-api-s.facebook.com:443/rtmp/KEY?s_bl=1');
    expect([s.tls, s.port, s.app, s.streamName]).toEqual([true, 443, 'rtmp', 'KEY?s_bl=1']);
    expect(parseRtmpUrl('rtmps://h/app/s').port).toBe(443);
    expect(() => parseRtmpUrl('rtmp://h/onlyapp')).toThrow();
    expect(redactUrl('rtmp://u:pw@h/app/s?key=secret')).toBe('rtmp://u:***@h/app/s?***');
    expect(relaySchemeOf('https://x/a/b.m3u8?t=1')).toBe('hls');
    expect(relaySchemeOf('http://x/a/b.flv')).toBe('http-flv');
    expect(relaySchemeOf('rtmps://x/a/b')).toBe('rtmp');
    // SRT (as caller) and MPEG-TS over UDP are relay kinds too; schemes with no host or no client are not
    expect(relaySchemeOf('srt://x:9000')).toBe('srt');
    expect(relaySchemeOf('udp://239.1.1.1:5000')).toBe('udp');
    expect(relaySchemeOf('srt:///nohost')).toBeNull();
    expect(relaySchemeOf('file:///etc/passwd')).toBeNull();
    expect(fillOriginTemplate('rtmp://o/{app}/{stream}', 'live', 'a b')).toBe('rtmp://o/live/a%20b');
  });

  test('@setDataFrame is stripped from script data, anything else is kept', () => {
    const meta = encodeAmf0(['onMetaData', { width: 320 }]);
    const wrapped = new Uint8Array([...encodeAmf0(['@setDataFrame']), ...meta]);
    expect(stripSetDataFrame(wrapped)).toEqual(meta);
    expect(stripSetDataFrame(meta)).toBe(meta);
  });
});

describe('relay status', () => {
  test('GET /v1/relays on the engine API lists a failing pull with its error; the engine client reads it', async () => {
    const engine = startRelayEngine({ pulls: [{ id: 'dead', app: 'live', stream: 'cam', url: 'rtmp://127.0.0.1:1/live/x', enabled: true }] });
    engines.push(engine);
    const api = startEngineApi(engine, 's3cret');
    apis.push(api);
    const client = createEngineClient({ baseUrl: `http://127.0.0.1:${api.port}`, secret: 's3cret' });
    let answer: EngineResult<readonly RelayStatus[]> = { ok: false, reason: '' };
    for (let i = 0; i < 40; i++) {
      answer = await client.relays!();
      if (answer.ok && answer.value[0]?.state === 'retrying') break;
      await Bun.sleep(50);
    }
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.value).toHaveLength(1);
    expect(answer.value[0]).toMatchObject({ id: 'dead', kind: 'pull', app: 'live', stream: 'cam', state: 'retrying' });
    expect(answer.value[0]!.lastError).toMatch(/connect|refused/i);
    const unauthorized = await fetch(`http://127.0.0.1:${api.port}/v1/relays`);
    expect(unauthorized.status).toBe(401);
  });

  test('REST pulls and forwards carry the engine status per id, and none when the engine is down', async () => {
    const h = await makeHarness();
    const token = await adminToken(h);
    const api = (method: string, path: string, body?: unknown) => call(h.app, method, `/api/v1${path}`, { creds: { token }, body });
    expect((await api('POST', '/apps', { name: 'relay', sourceType: 'pull' })).status).toBe(201);
    const pull = (await api('POST', '/pulls', { app: 'relay', stream: 'cam1', url: 'rtmp://origin/live/cam1' })).body;
    const forward = (await api('POST', '/forwards', { app: 'live', url: 'rtmp://cdn/app/key' })).body;
    const running: RelayStatus = {
      id: pull.id, kind: 'pull', app: 'relay', stream: 'cam1', url: 'rtmp://origin/live/cam1', state: 'live', lastError: null,
      liveSinceMs: 5, nextRetryAtMs: 0, retries: 1, bytesIn: 1234, bytesOut: 0, droppedMessages: 0,
    };
    const forwarding: RelayStatus = { ...running, id: forward.id, kind: 'forward', app: 'live', stream: 'demo', state: 'retrying', lastError: 'refused' };
    const engine = h.engine as typeof h.engine & { relays?: () => Promise<EngineResult<readonly RelayStatus[]>> };
    engine.relays = () => Promise.resolve(engine.up ? { ok: true, value: [running, forwarding] } : { ok: false, reason: 'down' });

    expect((await api('GET', '/pulls')).body.items[0].status).toEqual(running);
    expect((await api('GET', `/pulls/${pull.id}`)).body.status).toEqual(running);
    expect((await api('GET', '/forwards')).body.items[0].status).toEqual([forwarding]);
    expect((await api('GET', `/forwards/${forward.id}`)).body.status).toEqual([forwarding]);
    engine.up = false;
    const down = await api('GET', '/pulls');
    expect(down.status).toBe(200);
    expect(down.body.items[0].status).toBeUndefined();
  });
});
