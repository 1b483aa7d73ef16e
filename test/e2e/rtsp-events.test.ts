// RTSP plays and publishes report the same events as other protocols (play-start with protocol 'rtsp', play-stop,
// publish-start, publish-stop), and PAUSE/PLAY keeps one play; admission is asked with protocol 'rtsp' and the query.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import type { AdmissionRequest } from '../../src/server/admission.ts';
import type { EngineEvent } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RTSP_SETTINGS } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { waitFor } from './harness.ts';
import { connectRtmp } from './rtmp-test-client.ts';
import { connectRtsp, playInterleaved } from './rtsp-test-client.ts';

let engine: RunningEngine;
const events: EngineEvent[] = [];
const asked: AdmissionRequest[] = [];

beforeAll(() => {
  engine = startEngine(
    {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
      hls: { ...DEFAULT_ENGINE_CONFIG.hls, enabled: false, lowLatencyEnabled: false },
      rtsp: { ...DEFAULT_RTSP_SETTINGS, host: '127.0.0.1', port: 0 },
    },
    {
      logger: createLogger({ level: 'error' }),
      events: { emit: (e) => events.push(e) },
      admission: {
        decide: async (request) => {
          asked.push(request);
          return request.query.includes('key=good') ? { allow: true } : { allow: false, reason: 'bad key' };
        },
      },
    },
  );
});
afterAll(() => engine.stop());

const url = (path: string) => `rtsp://127.0.0.1:${engine.rtspPort!}/${path}`;
const AVCC = [1, 0x42, 0x00, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0x00, 0x1e, 1, 0, 2, 0x68, 0xce];

test('play: admission sees protocol rtsp and the query; play-start once across PAUSE/PLAY, play-stop at TEARDOWN', async () => {
  const publisher = await connectRtmp(engine.rtmpPort, 'live', 'ev?key=good', 'publish');
  await publisher.next((e) => e.type === 'ready');
  publisher.session.sendMedia(9, 0, Buffer.from([0x17, 0, 0, 0, 0, ...AVCC]));
  publisher.session.sendMedia(9, 0, Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88]));
  publisher.flush();
  expect(await waitFor(() => engine.context.streams.find('live', 'ev')?.started === true, 3000)).toBe(true);

  const refused = await connectRtsp(engine.rtspPort!);
  expect((await refused.request('DESCRIBE', url('live/ev?key=bad'))).status).toBe(403);
  refused.close();

  const viewer = await connectRtsp(engine.rtspPort!);
  const session = await playInterleaved(viewer, url('live/ev?key=good'));
  const play = asked.find((r) => r.action === 'play' && r.query === 'key=good');
  expect(play).toMatchObject({ protocol: 'rtsp', app: 'live', stream: 'ev' });
  expect((await viewer.request('PAUSE', url('live/ev?key=good'), [['Session', session]])).status).toBe(200);
  expect((await viewer.request('PLAY', url('live/ev?key=good'), [['Session', session]])).status).toBe(200);
  expect(events.filter((e) => e.type === 'play-start' && e.stream === 'ev')).toMatchObject([{ protocol: 'rtsp', app: 'live' }]);
  expect((await viewer.request('TEARDOWN', url('live/ev?key=good'), [['Session', session]])).status).toBe(200);
  expect(events.filter((e) => e.type === 'play-stop' && e.stream === 'ev').length).toBe(1);
  viewer.close();
  publisher.close();
});

test('publish: ANNOUNCE asks admission (publish, rtsp), RECORD is publish-start, TEARDOWN publish-stop', async () => {
  const client = await connectRtsp(engine.rtspPort!);
  const sdp = new TextEncoder().encode(
    'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n' +
      'a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0IAHg==,aM4=\r\na=control:streamid=0\r\n',
  );
  expect((await client.request('ANNOUNCE', url('live/pub?key=bad'), [['Content-Type', 'application/sdp']], sdp)).status).toBe(403);
  expect((await client.request('ANNOUNCE', url('live/pub?key=good'), [['Content-Type', 'application/sdp']], sdp)).status).toBe(200);
  expect(asked.find((r) => r.action === 'publish' && r.stream === 'pub' && r.query === 'key=good')).toMatchObject({ protocol: 'rtsp' });
  const setup = await client.request('SETUP', `${url('live/pub?key=good')}/streamid=0`, [['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record']]);
  expect(setup.status).toBe(200);
  const session = setup.headers.find(([n]) => n === 'Session')![1].split(';')[0]!;
  expect((await client.request('RECORD', url('live/pub?key=good'), [['Session', session]])).status).toBe(200);
  expect(events.filter((e) => e.type === 'publish-start' && e.stream === 'pub')).toMatchObject([{ app: 'live' }]);
  expect(engine.context.streams.find('live', 'pub')?.publisher).not.toBeNull();
  expect([...engine.context.clients.entries()].find((c) => c.protocol === 'rtsp' && c.role() === 'publisher')?.stream()).toBe('pub');
  expect((await client.request('TEARDOWN', url('live/pub?key=good'), [['Session', session]])).status).toBe(200);
  expect(events.filter((e) => e.type === 'publish-stop' && e.stream === 'pub').length).toBe(1);
  expect(engine.context.streams.find('live', 'pub')?.publisher ?? null).toBeNull();
  client.close();
});
