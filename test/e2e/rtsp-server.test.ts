// The RTSP server with real clients: ffmpeg publishes over RTSP (ANNOUNCE/RECORD, TCP interleaved) and the stream
// plays over RTSP TCP and UDP (ffprobe/ffmpeg), HTTP-FLV and HLS with both tracks; an RTMP publish plays over RTSP;
// refusals are 4xx; a stalled RTSP viewer is dropped while another gets every frame; kicks through the engine API.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ManagedEngine } from '../../src/engine/engine-managed.ts';
import { startLoopbackManagedEngine } from './managed-engine.ts';
import type { RunningEngine } from '../../src/engine/engine-runtime.ts';
import type { ClientState, LiveStreamState } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RTSP_SETTINGS } from '../../src/shared/engine-config.ts';
import { freePort, killAll, run, spawnBackground, testPatternArgs, waitFor } from './harness.ts';
import { connectRtmp } from './rtmp-test-client.ts';
import { connectRtsp, playInterleaved } from './rtsp-test-client.ts';

const SECRET = 'rtsp-server-test-secret';
let managed: ManagedEngine;
let engine: RunningEngine;
let api: string;
const logs: string[] = [];
const auth = { Authorization: `Bearer ${SECRET}` };
const SETUP_TIMEOUT_MS = 1500;

beforeAll(async () => {
  const udpBase = freePort() & ~1;
  ({ managed, engine, api } = await startLoopbackManagedEngine(SECRET, logs, {
    baseConfig: {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
      streams: { ...DEFAULT_ENGINE_CONFIG.streams, waitForPublisherMs: 2000 },
      // merged writes off and a small budget: the stalled viewer below must fill it within the test
      writers: { mergeWriteMs: 0, softLimitBytes: 512 * 1024, hardLimitBytes: 2 * 1024 * 1024 },
      hls: { ...DEFAULT_ENGINE_CONFIG.hls, lowLatencyEnabled: false },
      rtsp: { ...DEFAULT_RTSP_SETTINGS, host: '127.0.0.1', port: 0, rtpPortMin: udpBase, rtpPortMax: udpBase + 199, setupTimeoutMs: SETUP_TIMEOUT_MS },
    },
  }));
});

afterAll(async () => {
  await killAll();
  managed.stop();
});

const rtspUrl = (path: string) => `rtsp://127.0.0.1:${engine.rtspPort!}/${path}`;
const httpUrl = (path: string) => `http://127.0.0.1:${engine.httpPort}/${path}`;

/** ffprobe with input options: stream codecs and the packet types of the first seconds. */
async function probeTracks(target: string, inputArgs: string[] = [], seconds = 2) {
  const result = await run(
    ['ffprobe', '-v', 'error', ...inputArgs, '-of', 'json', '-show_streams', '-show_packets', '-show_entries',
      'packet=codec_type:stream=codec_type,codec_name,width', '-read_intervals', `%+${seconds}`, target],
    30_000,
  );
  const parsed = JSON.parse(result.stdout || '{}') as { streams?: Array<{ codec_name: string; width?: number }>; packets?: Array<{ codec_type: string }> };
  const packets = parsed.packets ?? [];
  return {
    stderr: result.stderr,
    codecs: (parsed.streams ?? []).map((s) => s.codec_name).sort(),
    width: parsed.streams?.find((s) => s.width)?.width,
    video: packets.filter((p) => p.codec_type === 'video').length,
    audio: packets.filter((p) => p.codec_type === 'audio').length,
  };
}

/** Decodes `seconds` of media; -xerror makes any decode error fail the run. */
function decodeStrict(target: string, inputArgs: string[], seconds: number) {
  return run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', ...inputArgs, '-i', target, '-t', String(seconds), '-f', 'null', '-'], (seconds + 25) * 1000);
}

async function clients(): Promise<ClientState[]> {
  return (await (await fetch(`${api}/v1/clients`, { headers: auth })).json()) as ClientState[];
}

function publishRtsp(path: string, seconds: number) {
  return spawnBackground(['ffmpeg', ...testPatternArgs({ seconds, bFrames: 2 }), '-f', 'rtsp', '-rtsp_transport', 'tcp', rtspUrl(path)]);
}

describe('ffmpeg publishes over RTSP', () => {
  test('it plays over RTSP TCP and UDP, HTTP-FLV and HLS, with both tracks decoded', async () => {
    const publisher = publishRtsp('live/cam', 40);
    expect(await waitFor(() => engine.context.streams.find('live', 'cam')?.started === true, 15_000)).toBe(true);
    const pub = (await clients()).find((c) => c.role === 'publisher' && c.stream === 'cam');
    expect(pub?.protocol).toBe('rtsp');

    for (const transport of ['tcp', 'udp']) {
      const probed = await probeTracks(rtspUrl('live/cam'), ['-rtsp_transport', transport]);
      expect({ transport, codecs: probed.codecs }).toEqual({ transport, codecs: ['aac', 'h264'] });
      expect(probed.width).toBe(320);
      expect(probed.video).toBeGreaterThan(10);
      expect(probed.audio).toBeGreaterThan(10);
      const decoded = await decodeStrict(rtspUrl('live/cam'), ['-rtsp_transport', transport], 2);
      expect({ transport, exit: decoded.exitCode, stderr: decoded.stderr }).toEqual({ transport, exit: 0, stderr: '' });
    }
    expect(logs.some((l) => l.includes('play started') && l.includes('transport=udp'))).toBe(true);

    const flv = await probeTracks(httpUrl('live/cam.flv'));
    expect(flv.codecs).toEqual(['aac', 'h264']);
    expect(flv.video).toBeGreaterThan(10);
    expect(flv.audio).toBeGreaterThan(10);
    const flvDecoded = await decodeStrict(httpUrl('live/cam.flv'), [], 2);
    expect(flvDecoded.exitCode).toBe(0);

    const hls = await probeTracks(httpUrl('live/cam/index.m3u8'), [], 4);
    expect(hls.codecs).toEqual(['aac', 'h264']);
    expect(hls.video).toBeGreaterThan(10);
    expect(hls.audio).toBeGreaterThan(10);
    await publisher.stop();
  }, 120_000);

  test('a publish to an unknown app is refused with 403', async () => {
    const result = await run(
      ['ffmpeg', '-hide_banner', '-v', 'error', ...testPatternArgs({ seconds: 2, bFrames: 0 }), '-f', 'rtsp', '-rtsp_transport', 'tcp', rtspUrl('nope/cam')],
      30_000,
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('403');
    expect(engine.context.streams.find('nope', 'cam')).toBeUndefined();
  }, 60_000);
});

test('an RTMP publish plays over RTSP TCP and UDP', async () => {
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 30, bFrames: 0 }), '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmpPort}/live/fromrtmp`]);
  expect(await waitFor(() => engine.context.streams.find('live', 'fromrtmp')?.started === true, 15_000)).toBe(true);
  for (const transport of ['tcp', 'udp']) {
    const probed = await probeTracks(rtspUrl('live/fromrtmp'), ['-rtsp_transport', transport]);
    expect({ transport, codecs: probed.codecs }).toEqual({ transport, codecs: ['aac', 'h264'] });
    expect(probed.video).toBeGreaterThan(10);
    expect(probed.audio).toBeGreaterThan(10);
  }
  await publisher.stop();
}, 90_000);

describe('refusals are RTSP 4xx statuses', () => {
  test('unknown app 403, a path that names no stream 404, a stream nobody publishes 404 after --wait-ms', async () => {
    const client = await connectRtsp(engine.rtspPort!);
    expect((await client.request('OPTIONS', rtspUrl('live/x'))).status).toBe(200);
    expect((await client.request('DESCRIBE', rtspUrl('nope/x'))).status).toBe(403);
    expect((await client.request('DESCRIBE', rtspUrl('live'))).status).toBe(404);
    const started = Date.now();
    expect((await client.request('DESCRIBE', rtspUrl('live/nobody'))).status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect((await client.request('PLAY', rtspUrl('live/x'), [['Session', 'bogus']])).status).toBe(454);
    client.close();
    // a fresh connection: the wait above used up this one's setup deadline
    const publisher = await connectRtsp(engine.rtspPort!);
    const sdp = new TextEncoder().encode('v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:streamid=0\r\n');
    expect((await publisher.request('ANNOUNCE', rtspUrl('nope/y'), [['Content-Type', 'application/sdp']], sdp)).status).toBe(403);
    expect((await publisher.request('ANNOUNCE', rtspUrl('live/y'), [['Content-Type', 'text/plain']], sdp)).status).toBe(415);
    expect((await publisher.request('RECORD', rtspUrl('live/y'), [['Session', 'bogus']])).status).toBe(454);
    expect((await publisher.request('FLY', rtspUrl('live/y'))).status).toBe(501);
    publisher.close();
  }, 30_000);

  test('garbage closes only its own connection; so does a flood of pipelined requests behind a waiting one', async () => {
    const bystander = await connectRtsp(engine.rtspPort!);
    const garbage = await connectRtsp(engine.rtspPort!);
    garbage.socket.write(new Uint8Array([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect(await waitFor(() => garbage.isClosed(), 2000)).toBe(true);
    const flood = await connectRtsp(engine.rtspPort!);
    void flood.request('DESCRIBE', rtspUrl('live/nobody-yet')).catch(() => {});
    for (let i = 0; i < 40; i++) void flood.request('OPTIONS', rtspUrl('live/x')).catch(() => {});
    expect(await waitFor(() => flood.isClosed(), 2000)).toBe(true);
    expect(logs.some((l) => l.includes('too many requests waiting'))).toBe(true);
    expect((await bystander.request('OPTIONS', rtspUrl('live/x'))).status).toBe(200);
    bystander.close();
  });

  test('a connection that does not start to play or record within the setup deadline is closed', async () => {
    const client = await connectRtsp(engine.rtspPort!);
    expect((await client.request('OPTIONS', rtspUrl('live/x'))).status).toBe(200);
    expect(await waitFor(() => client.isClosed(), SETUP_TIMEOUT_MS + 3000)).toBe(true);
    expect(logs.some((l) => l.includes('RTSP setup timeout'))).toBe(true);
  }, 20_000);
});

// An avcC with a (minimal) SPS and PPS, enough for the SDP; frames are one big NAL each.
const AVCC = [1, 0x42, 0x00, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0x00, 0x1e, 1, 0, 2, 0x68, 0xce];
const nalFrame = (key: boolean, size: number, fill: number) => {
  const body = Buffer.alloc(5 + 4 + size, fill & 0xff);
  body.set([key ? 0x17 : 0x27, 1, 0, 0, 0], 0);
  body.writeUInt32BE(size, 5);
  body[9] = key ? 0x65 : 0x41;
  return body;
};

test('a stalled RTSP TCP viewer is dropped while another gets every frame', async () => {
  const publisher = await connectRtmp(engine.rtmpPort, 'live', 'firehose', 'publish');
  await publisher.next((e) => e.type === 'ready');
  publisher.session.sendMedia(9, 0, Buffer.from([0x17, 0, 0, 0, 0, ...AVCC]));
  publisher.session.sendMedia(9, 0, nalFrame(true, 60_000, 0));
  publisher.flush();
  expect(await waitFor(() => engine.context.streams.find('live', 'firehose')?.started === true, 3000)).toBe(true);

  const stalled = await connectRtsp(engine.rtspPort!);
  await playInterleaved(stalled, rtspUrl('live/firehose'));
  stalled.socket.pause(); // never reads again
  const healthy = await connectRtsp(engine.rtspPort!);
  await playInterleaved(healthy, rtspUrl('live/firehose'));
  expect(await waitFor(() => healthy.videoMarkers() >= 1, 3000)).toBe(true);

  const frames = 1500; // ~30 MB: far beyond any socket buffer and the 2 MiB hard limit
  for (let i = 1; i <= frames; i++) {
    publisher.session.sendMedia(9, i * 10, nalFrame(i % 50 === 0, i % 50 === 0 ? 60_000 : 20_000, i));
    publisher.flush();
    // ~100 KB per tick: a reader on this same event loop keeps up, within the 512 KiB budget
    if (i % 5 === 0) await Bun.sleep(1);
  }
  const everyFrame = frames + 1; // plus the keyframe from the GOP cache
  expect(await waitFor(() => healthy.videoMarkers() >= everyFrame, 30_000)).toBe(true);
  expect(healthy.videoMarkers()).toBe(everyFrame);
  expect(await waitFor(() => stalled.isClosed(), 5000)).toBe(true);
  expect(logs.some((l) => l.includes('connection dropped') && l.includes('protocol=rtsp'))).toBe(true);
  healthy.close();
  stalled.close();
  publisher.close();
}, 60_000);

test('kicks through the engine API end an RTSP viewer and an RTSP publisher', async () => {
  const publisher = publishRtsp('live/kick', 40);
  expect(await waitFor(() => engine.context.streams.find('live', 'kick')?.started === true, 15_000)).toBe(true);
  const viewer = await connectRtsp(engine.rtspPort!);
  await playInterleaved(viewer, rtspUrl('live/kick'));
  expect(await waitFor(() => viewer.interleavedCount() > 0, 5000)).toBe(true);

  const list = await clients();
  const view = list.find((c) => c.protocol === 'rtsp' && c.role === 'viewer' && c.stream === 'kick');
  const pub = list.find((c) => c.protocol === 'rtsp' && c.role === 'publisher' && c.stream === 'kick');
  expect(view && pub).toBeTruthy();
  const streams = (await (await fetch(`${api}/v1/streams`, { headers: auth })).json()) as LiveStreamState[];
  const state = streams.find((s) => s.stream === 'kick');
  expect(state?.publisherId).toBe(pub!.id);
  expect(state?.viewers.rtsp).toBe(1);
  expect(state?.tracks.map((t) => t.codec).sort()).toEqual(['aac', 'h264']);
  expect((await fetch(`${api}/v1/clients/${view!.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
  expect(await waitFor(() => viewer.isClosed(), 2000)).toBe(true);

  expect((await fetch(`${api}/v1/clients/${pub!.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
  // ffmpeg ends (with an error) once its connection is cut, long before its 40 s are up
  const exited = await Promise.race([publisher.proc.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
  expect(exited).toBe(true);
  expect(engine.context.streams.find('live', 'kick')?.publisher ?? null).toBeNull();
}, 60_000);

test('a viewer that arrives before the publisher waits for it (DESCRIBE answers once the stream is live)', async () => {
  const client = await connectRtsp(engine.rtspPort!);
  const described = client.request('DESCRIBE', rtspUrl('live/late'));
  await Bun.sleep(300);
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 20, bFrames: 0 }), '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmpPort}/live/late`]);
  const answer = await described;
  expect(answer.status).toBe(200);
  const sdp = new TextDecoder().decode(answer.body);
  expect(sdp).toContain('a=rtpmap:96 H264/90000');
  expect(sdp).toContain('a=rtpmap:97 MPEG4-GENERIC/44100/1');
  client.close();
  await publisher.stop();
}, 30_000);

describe('limits', () => {
  const withRtsp = (change: Partial<typeof DEFAULT_RTSP_SETTINGS>) => {
    const current = engine.context.config();
    engine.applyConfig({ ...current, rtsp: { ...current.rtsp!, ...change } });
    return () => engine.applyConfig({ ...engine.context.config(), rtsp: current.rtsp! });
  };

  test('connections per address are capped', async () => {
    const restore = withRtsp({ maxConnectionsPerAddress: 2 });
    try {
      const a = await connectRtsp(engine.rtspPort!);
      const b = await connectRtsp(engine.rtspPort!);
      const c = await connectRtsp(engine.rtspPort!);
      expect(await waitFor(() => c.isClosed(), 2000)).toBe(true);
      expect((await a.request('OPTIONS', rtspUrl('live/x'))).status).toBe(200);
      expect(a.isClosed() || b.isClosed()).toBe(false);
      expect(logs.some((l) => l.includes('per-address connection cap') && l.includes('rtsp.maxConnectionsPerAddress'))).toBe(true);
      a.close();
      b.close();
    } finally {
      restore();
    }
  });

  test('a UDP viewer that is not heard from within the session timeout is ended; a TCP viewer is not', async () => {
    const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 30, bFrames: 0 }), '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmpPort}/live/quiet`]);
    expect(await waitFor(() => engine.context.streams.find('live', 'quiet')?.started === true, 15_000)).toBe(true);
    const restore = withRtsp({ sessionTimeoutMs: 1500 });
    try {
      const udp = await connectRtsp(engine.rtspPort!);
      const described = await udp.request('DESCRIBE', rtspUrl('live/quiet'));
      expect(described.status).toBe(200);
      const setup = await udp.request('SETUP', `${rtspUrl('live/quiet')}/trackID=0`, [['Transport', `RTP/AVP;unicast;client_port=${freePort() & ~1}-${(freePort() & ~1) + 1}`]]);
      expect(setup.status).toBe(200);
      expect(setup.headers.find(([n]) => n === 'Transport')?.[1]).toMatch(/server_port=\d+-\d+/);
      expect(setup.headers.find(([n]) => n === 'Session')?.[1]).toMatch(/;timeout=2$/);
      const session = setup.headers.find(([n]) => n === 'Session')![1].split(';')[0]!;
      expect((await udp.request('PLAY', rtspUrl('live/quiet'), [['Session', session]])).status).toBe(200);
      // datagrams count toward the stream's and the client's bytes out, as socket writes do
      const quiet = engine.context.streams.find('live', 'quiet')!;
      expect(await waitFor(() => quiet.counters.bytesOut > 5000, 3000)).toBe(true);
      expect([...engine.context.clients.entries()].find((c) => c.protocol === 'rtsp' && c.role() === 'viewer')!.bytesOut()).toBeGreaterThan(5000);
      const tcp = await connectRtsp(engine.rtspPort!);
      await playInterleaved(tcp, rtspUrl('live/quiet'));
      expect(await waitFor(() => udp.isClosed(), 5000)).toBe(true);
      expect(logs.some((l) => l.includes('RTSP session timeout'))).toBe(true);
      expect(tcp.isClosed()).toBe(false);
      tcp.close();
    } finally {
      restore();
      await publisher.stop();
    }
  }, 40_000);
});

test('ffmpeg publishes over RTSP UDP (RECORD with server_port pairs) and it plays over RTSP TCP', async () => {
  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 30, bFrames: 0 }), '-f', 'rtsp', '-rtsp_transport', 'udp', rtspUrl('live/udpcam')]);
  expect(await waitFor(() => engine.context.streams.find('live', 'udpcam')?.started === true, 15_000)).toBe(true);
  const probed = await probeTracks(rtspUrl('live/udpcam'), ['-rtsp_transport', 'tcp']);
  expect(probed.codecs).toEqual(['aac', 'h264']);
  expect(probed.video).toBeGreaterThan(10);
  expect(probed.audio).toBeGreaterThan(10);
  await publisher.stop();
}, 60_000);

describe('other codecs through RTSP publish -> hub -> RTSP play', () => {
  const cases = [
    { name: 'h265-opus', codecs: ['hevc', 'opus'], args: ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-c:a', 'libopus', '-ar', '48000'] },
    { name: 'h264-alaw', codecs: ['h264', 'pcm_alaw'], args: ['-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1'] },
    { name: 'h264-mulaw', codecs: ['h264', 'pcm_mulaw'], args: ['-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1'] },
  ];
  for (const c of cases) {
    test(`${c.name}: described, played and decoded without errors`, async () => {
      const publisher = spawnBackground([
        'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re',
        '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
        '-t', '20', '-g', '25', '-pix_fmt', 'yuv420p', ...c.args, '-f', 'rtsp', '-rtsp_transport', 'tcp', rtspUrl(`live/${c.name}`),
      ]);
      expect(await waitFor(() => engine.context.streams.find('live', c.name)?.started === true, 15_000)).toBe(true);
      const probed = await probeTracks(rtspUrl(`live/${c.name}`), ['-rtsp_transport', 'tcp']);
      expect(probed.codecs).toEqual([...c.codecs].sort());
      expect(probed.video).toBeGreaterThan(10);
      expect(probed.audio).toBeGreaterThan(10);
      const decoded = await decodeStrict(rtspUrl(`live/${c.name}`), ['-rtsp_transport', 'tcp'], 2);
      expect({ exit: decoded.exitCode, stderr: decoded.stderr }).toEqual({ exit: 0, stderr: '' });
      await publisher.stop();
    }, 60_000);
  }
});
