// RTSP pull sources end to end: a real ffmpeg publishes into a test-only RTSP camera (rtsp-camera-server.ts), Weir pulls
// rtsp://user:pass@127.0.0.1:PORT/cam into live/cam, and ffprobe/ffmpeg decode it back over HTTP-FLV and HLS.
import { afterAll, afterEach, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, freePort, killAll, probe, run, tempDir, testPatternArgs, waitFor } from '../e2e/harness.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { createRtspPullClient } from '../../src/relay/rtsp-pull-client.ts';
import { startRelayEngine, type RelayTestEngine } from './relay-harness.ts';
import { TestCamera, type CameraOptions } from './rtsp-camera-server.ts';

const USER = 'admin';
const PASSWORD = 'cam-s3cret';

let engines: RelayTestEngine[] = [];
let cameras: TestCamera[] = [];
afterEach(async () => {
  for (const e of engines) e.stop();
  for (const c of cameras) await c.stop();
  engines = [];
  cameras = [];
});
afterAll(async () => {
  await killAll();
});

async function camera(options: Omit<CameraOptions, 'port'> & { port?: number }, publishArgs: string[]): Promise<TestCamera> {
  const cam = new TestCamera({ user: USER, password: PASSWORD, port: options.port ?? freePort(), ...options });
  cameras.push(cam);
  await cam.start();
  cam.publish(publishArgs);
  expect(await waitFor(() => cam.isRecording, 20_000)).toBe(true);
  return cam;
}

function pullEngine(url: string, insecureTls = false): RelayTestEngine {
  const engine = startRelayEngine({ pulls: [{ id: 'cam1', app: 'live', stream: 'cam', url, enabled: true }], relay: { insecureTls } });
  engines.push(engine);
  return engine;
}

const withCredentials = (cam: TestCamera, password = PASSWORD, query = '') =>
  cam.url.replace('://', `://${USER}:${encodeURIComponent(password)}@`) + query;

const h264Aac = (seconds: number) => ['-re', ...testPatternArgs({ seconds, bFrames: 2, gop: 25 }).filter((a) => a !== '-re' && a !== '-hide_banner' && a !== '-loglevel' && a !== 'error')];

async function expectPlayable(engine: RelayTestEngine, video: string): Promise<void> {
  expect(await waitFor(() => engine.relay('cam1')?.state === 'live', 20_000)).toBe(true);
  expect(await waitFor(() => engine.context.streams.find('live', 'cam')?.started === true, 20_000)).toBe(true);
  // the system ffmpeg (5.1) cannot read Enhanced-FLV HEVC, so H.265 is checked over HLS only
  if (video !== 'hevc') {
    const flv = await probe(engine.httpUrl('live/cam.flv'));
    expect(flv.streams.map((s) => s.codec_name).sort()).toEqual(['aac', video].sort());
    const decoded = await decode(engine.httpUrl('live/cam.flv'), 3);
    expect(decoded.exitCode).toBe(0);
  }
  expect(await waitFor(() => (engine.context.hls.find('live/cam')?.ts?.segments.length ?? 0) >= 2, 20_000)).toBe(true);
  const hls = await probe(engine.httpUrl('live/cam/index.m3u8'));
  expect(hls.streams.map((s) => s.codec_name).sort()).toEqual(['aac', video].sort());
  const decodedHls = await decode(engine.httpUrl('live/cam/index.m3u8'), 2);
  expect(decodedHls.stderr).toBe('');
  expect(decodedHls.exitCode).toBe(0);
}

test('H.264 + AAC over TCP interleaved with Digest (MD5) auth: decodes over HTTP-FLV and HLS; keepalive and receiver reports flow', async () => {
  const cam = await camera({ auth: 'digest-md5' }, h264Aac(60));
  const engine = pullEngine(withCredentials(cam));
  await expectPlayable(engine, 'h264');
  const described = cam.requests.filter((r) => r.method === 'DESCRIBE');
  expect(described.some((r) => !r.authorized)).toBe(true); // challenged first
  expect(described.some((r) => r.authorized)).toBe(true);
  // the camera's session timeout is 4 s: keepalives every 2 s; receiver reports every 5 s
  expect(await waitFor(() => cam.requests.some((r) => r.method === 'GET_PARAMETER' && r.authorized), 10_000)).toBe(true);
  expect(await waitFor(() => cam.rtcpFromViewers > 0, 10_000)).toBe(true);
  expect(engine.logs.join('\n')).not.toContain(PASSWORD);
  expect(engine.relay('cam1')!.url).not.toContain(PASSWORD);
  // the password never goes on the wire in the clear with Digest, nor in request URLs
  expect(cam.requests.every((r) => !r.uri.includes(PASSWORD) && !r.uri.includes('@'))).toBe(true);
  // TEARDOWN on stop
  engine.stop();
  expect(await waitFor(() => cam.requests.some((r) => r.method === 'TEARDOWN'), 5_000)).toBe(true);
}, 120_000);

test('H.265 + AAC with Basic auth', async () => {
  const args = h264Aac(60).map((a) => (a === 'libx264' ? 'libx265' : a));
  args.splice(args.indexOf('-pix_fmt'), 0, '-x265-params', 'log-level=error:bframes=0');
  const cam = await camera({ auth: 'basic' }, args);
  const engine = pullEngine(withCredentials(cam));
  await expectPlayable(engine, 'hevc');
}, 120_000);

test('UDP transport (?transport=udp) and Digest SHA-256', async () => {
  const cam = await camera({ auth: 'digest-sha256', udp: 'send' }, h264Aac(60));
  const engine = pullEngine(withCredentials(cam, PASSWORD, '?transport=udp'));
  await expectPlayable(engine, 'h264');
  expect(engine.logs.join('\n')).toContain('over UDP');
  expect(engine.logs.join('\n')).not.toContain('switching to TCP');
  expect(cam.requests.every((r) => !r.uri.includes('transport'))).toBe(true);
  // receiver reports go to the camera's RTCP port over UDP, not over the TCP connection
  expect(await waitFor(() => cam.udpFromPlayers > 0, 10_000)).toBe(true);
  expect(cam.rtcpFromViewers).toBe(0);
}, 120_000);

test('UDP that never arrives falls back to TCP interleaved', async () => {
  const cam = await camera({ auth: 'none', udp: 'silent' }, h264Aac(60));
  const engine = pullEngine(`${cam.url}?transport=udp`);
  await expectPlayable(engine, 'h264');
  const logs = engine.logs.join('\n');
  expect(logs).toContain('switching to TCP');
  expect(logs).toContain('over TCP');
}, 120_000);

test('the camera going away: retrying with backoff, then live again when it is back', async () => {
  const port = freePort();
  const first = await camera({ auth: 'digest-md5', port }, h264Aac(60));
  const engine = pullEngine(withCredentials(first));
  expect(await waitFor(() => engine.relay('cam1')?.state === 'live', 20_000)).toBe(true);
  await first.stop();
  expect(await waitFor(() => engine.relay('cam1')?.state === 'retrying', 20_000)).toBe(true);
  expect(await waitFor(() => (engine.relay('cam1')?.retries ?? 0) >= 2, 20_000)).toBe(true);
  await camera({ auth: 'digest-md5', port }, h264Aac(60));
  expect(await waitFor(() => engine.relay('cam1')?.state === 'live', 30_000)).toBe(true);
  const flv = await probe(engine.httpUrl('live/cam.flv'));
  expect(flv.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
}, 120_000);

test('a wrong password: retrying, with a clear error that does not quote the password', async () => {
  const cam = await camera({ auth: 'digest-md5' }, h264Aac(30));
  const wrong = 'not-the-Password';
  const engine = pullEngine(withCredentials(cam, wrong));
  expect(await waitFor(() => engine.relay('cam1')?.state === 'retrying' && engine.relay('cam1')?.lastError !== null, 20_000)).toBe(true);
  const status = engine.relay('cam1')!;
  expect(status.lastError).toContain('401 Unauthorized (credentials rejected)');
  expect(JSON.stringify(status)).not.toContain(wrong);
  expect(engine.logs.join('\n')).not.toContain(wrong);
}, 60_000);

test('rtsps:// (RTSP over TLS): a self-signed camera is refused with verification on, and plays with it off', async () => {
  const dir = tempDir();
  try {
    const keyFile = join(dir.path, 'key.pem');
    const certFile = join(dir.path, 'cert.pem');
    const made = await run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost']);
    expect(made.exitCode).toBe(0);
    const tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    const cam = await camera({ auth: 'digest-md5', tls }, h264Aac(60));
    expect(cam.url.startsWith('rtsps://')).toBe(true);
    const strict = pullEngine(withCredentials(cam));
    expect(await waitFor(() => strict.relay('cam1')?.state === 'retrying', 15_000)).toBe(true);
    expect(strict.relay('cam1')!.lastError ?? '').toMatch(/cert|self|signed|verify/i);
    strict.stop();
    const lax = pullEngine(withCredentials(cam), true);
    await expectPlayable(lax, 'h264');
    expect(cam.requests.some((r) => r.method === 'PLAY' && r.authorized)).toBe(true);
  } finally {
    dir.remove();
  }
}, 120_000);

test('G.711 A-law audio is carried as FLV sound format 7', async () => {
  const args = h264Aac(60).map((a) => (a === 'aac' ? 'pcm_alaw' : a));
  const at = args.indexOf('sine=frequency=440:sample_rate=44100');
  args[at] = 'sine=frequency=440:sample_rate=8000';
  args.splice(args.indexOf('-b:a'), 2, '-ar', '8000', '-ac', '1');
  const cam = await camera({ auth: 'none' }, args);
  expect(cam.sdp).toContain('m=audio 0 RTP/AVP 8'); // static payload type 8: PCMA
  const engine = pullEngine(cam.url);
  expect(await waitFor(() => engine.context.streams.find('live', 'cam')?.started === true, 20_000)).toBe(true);
  const flv = await probe(engine.httpUrl('live/cam.flv'));
  expect(flv.streams.map((s) => s.codec_name).sort()).toEqual(['h264', 'pcm_alaw']);
  const decoded = await decode(engine.httpUrl('live/cam.flv'), 2);
  expect(decoded.exitCode).toBe(0);
}, 120_000);

test('a camera that stops sending while its connection stays open is dropped after the stall timeout', async () => {
  const cam = await camera({ auth: 'basic' }, h264Aac(60));
  const events: string[] = [];
  let tags = 0;
  let ended: string | null | undefined;
  const client = createRtspPullClient(
    withCredentials(cam),
    { onPacket: () => void tags++, onConnected: () => void events.push('connected'), onDisconnected: (e) => void (ended = e), onBytes: () => undefined },
    (m) => void events.push(m),
    { stallTimeoutMs: 1500 },
  );
  client.start();
  expect(await waitFor(() => tags > 20, 15_000)).toBe(true);
  cam.frozen = true;
  expect(await waitFor(() => ended !== undefined, 10_000)).toBe(true);
  expect(ended).toBe('no RTP from the server for 1500 ms');
  expect(events).toContain('connected');
  client.stop();
}, 60_000);

test('Opus audio reaches the hub as Enhanced-FLV Opus', async () => {
  const args = h264Aac(60).map((a) => (a === 'aac' ? 'libopus' : a));
  args[args.indexOf('sine=frequency=440:sample_rate=44100')] = 'sine=frequency=440:sample_rate=48000';
  const cam = await camera({ auth: 'none' }, args);
  expect(cam.sdp).toContain('opus/48000');
  const engine = pullEngine(cam.url);
  expect(await waitFor(() => engine.context.streams.find('live', 'cam')?.audioHeader != null, 20_000)).toBe(true);
  const header = engine.context.streams.find('live', 'cam')!.audioHeader!;
  expect(parseAudioTag(header.body)).toMatchObject({ kind: 'sequence-header', codec: 'opus' });
  expect(await waitFor(() => engine.context.streams.find('live', 'cam')?.started === true, 20_000)).toBe(true);
}, 120_000);
