// The SRT and RTSP URLs the REST API hands out work as they are with ffmpeg, on real Weir
// processes: a stream key's SRT publish URL (the key inside the stream id) and RTSP publish URL
// are admitted, a wrong key is not, and a live stream's SRT and RTSP play URLs and a signed SRT
// play URL decode with both tracks. The ports in them are the ones the engine reports.
import { expect, test } from 'bun:test';
import { freePort, probe, run, spawnBackground, testPatternArgs } from './harness.ts';
import { useWeir } from './weir-processes.ts';

const srtPort = freePort();
const rtspPort = freePort();
const rtpBase = freePort() & ~1;
const webrtcPort = freePort();
const running = useWeir({
  engineArgs: [
    '--srt-host', '127.0.0.1', '--srt-port', String(srtPort),
    '--rtsp-host', '127.0.0.1', '--rtsp-port', String(rtspPort), '--rtsp-rtp-port-min', String(rtpBase), '--rtsp-rtp-port-max', String(rtpBase + 99),
    '--webrtc-host', '127.0.0.1', '--webrtc-port', String(webrtcPort),
  ],
  timeoutMs: 60_000,
  setup: async (weir) => {
    expect((await weir.api('POST', '/apps', { name: 'keyed', publishPolicy: 'stream-key' })).status).toBe(201);
    expect((await weir.api('POST', '/apps', { name: 'signed', publishPolicy: 'open', playPolicy: 'signed-url' })).status).toBe(201);
    expect(await weir.engineCurrent()).toBe(true);
  },
});

const isLive = async (app: string, stream: string) => (await running.weir.api('GET', `/streams/${app}/${stream}`)).status === 200;
async function waitLive(app: string, stream: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await isLive(app, stream)) return true;
    await Bun.sleep(100);
  }
  return false;
}
const codecs = async (url: string) => (await probe(url, { seconds: 2 })).streams.map((s) => s.codec_name).sort();

test('engine resource: the SRT, RTSP and WebRTC ports the engine was started with', async () => {
  const engine = (await running.weir.api('GET', '/engine')).json.engine;
  expect(engine.listeners).toEqual({ srt: { enabled: true, port: srtPort, encrypted: false }, rtsp: { enabled: true, port: rtspPort }, webrtc: { enabled: true, port: webrtcPort } });
});

test("a stream key's SRT publish URL is admitted; the same URL with another key is refused; SRT and RTSP play URLs decode", async () => {
  const created = await running.weir.api('POST', '/apps/keyed/keys', { stream: 'cam' });
  expect(created.status).toBe(201);
  const { srt, rtsp } = created.json.publishUrls as { srt: string; rtsp: string };
  expect(srt).toBe(`srt://127.0.0.1:${srtPort}?streamid=#!::r=keyed/cam,m=publish,key=${created.json.key}`);
  expect(rtsp).toBe(`rtsp://127.0.0.1:${rtspPort}/keyed/cam?key=${created.json.key}`);

  const wrong = await run(['ffmpeg', ...testPatternArgs({ seconds: 5, bFrames: 0 }), '-f', 'mpegts', srt.replace(/key=.*$/, 'key=wsk_wrong')], 30_000);
  expect(wrong.exitCode).not.toBe(0);
  expect(await isLive('keyed', 'cam')).toBe(false);

  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 40, bFrames: 0 }), '-f', 'mpegts', srt]);
  expect(await waitLive('keyed', 'cam')).toBe(true);
  const play = (await running.weir.api('GET', '/streams/keyed/cam')).json.urls.play as { srt: string; rtsp: string };
  expect(play.srt).toBe(`srt://127.0.0.1:${srtPort}?streamid=#!::r=keyed/cam,m=request`);
  expect(await codecs(play.srt)).toEqual(['aac', 'h264']);
  expect(await codecs(play.rtsp)).toEqual(['aac', 'h264']);
  await publisher.stop();
}, 120_000);

test("a stream key's RTSP publish URL is admitted (ffmpeg -f rtsp), and a signed SRT play URL decodes", async () => {
  const created = await running.weir.api('POST', '/apps/keyed/keys', { stream: 'cam2' });
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 40, bFrames: 0 }), '-f', 'rtsp', '-rtsp_transport', 'tcp', created.json.publishUrls.rtsp]);
  expect(await waitLive('keyed', 'cam2')).toBe(true);
  await publisher.stop();

  const signedPublisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 40, bFrames: 0 }), '-f', 'flv', `rtmp://127.0.0.1:${running.weir.ports.rtmp}/signed/show`]);
  expect(await waitLive('signed', 'show')).toBe(true);
  const signed = await running.weir.api('POST', '/apps/signed/signed-urls', { stream: 'show', expiresInSec: 600 });
  expect(signed.json.urls.srt).toMatch(/,m=request,expires=\d+,sign=[0-9a-f]{64}$/);
  expect(await codecs(signed.json.urls.srt)).toEqual(['aac', 'h264']);
  expect(await codecs(signed.json.urls.rtsp)).toEqual(['aac', 'h264']);
  // unsigned, the same stream is refused over SRT
  expect(await codecs(signed.json.urls.srt.replace(/,expires=.*$/, ''))).toEqual([]);
  await signedPublisher.stop();
}, 120_000);
