// GStreamer's RTSP server (gst-rtsp-server, a camera made in gst-rtsp-camera.py) as a pull source: it challenges with
// Digest only, sends H.264 and AAC as MP4A-LATM; Weir pulls it over TCP interleaved and over UDP and the stream
// decodes over HTTP-FLV and HLS; a wrong password leaves the pull retrying with an error that does not quote it.
import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { decode, killAll, probe, waitFor } from '../e2e/harness.ts';
import { startRelayEngine, type RelayTestEngine } from './relay-harness.ts';
import { startGstCamera, type GstCamera } from './gst-camera.ts';
import { rawRtspRequests } from '../e2e/rtsp-test-client.ts';

let camera: GstCamera;
let engines: RelayTestEngine[] = [];

beforeAll(async () => {
  camera = await startGstCamera();
}, 30_000);
afterEach(() => {
  for (const e of engines) e.stop();
  engines = [];
});
afterAll(async () => {
  await camera?.stop();
  await killAll();
});

function pullEngine(url: string): RelayTestEngine {
  const engine = startRelayEngine({ pulls: [{ id: 'cam1', app: 'live', stream: 'cam', url, enabled: true }] });
  engines.push(engine);
  return engine;
}

/** the camera's answer to a DESCRIBE without credentials: its status line and challenge */
async function unauthenticatedDescribe(): Promise<string> {
  const request = [`DESCRIBE rtsp://127.0.0.1:${camera.port}/cam RTSP/1.0`, 'CSeq: 1', 'Accept: application/sdp'];
  return (await rawRtspRequests(camera.port, [request]))[0]!;
}

async function expectPlayable(engine: RelayTestEngine): Promise<void> {
  expect(await waitFor(() => engine.relay('cam1')?.state === 'live', 30_000)).toBe(true);
  expect(await waitFor(() => engine.context.streams.find('live', 'cam')?.started === true, 20_000)).toBe(true);
  const flv = await probe(engine.httpUrl('live/cam.flv'));
  expect(flv.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  const decoded = await decode(engine.httpUrl('live/cam.flv'), 3);
  expect(decoded.stderr).toBe('');
  expect(decoded.exitCode).toBe(0);
  expect(await waitFor(() => (engine.context.hls.find('live/cam')?.ts?.segments.length ?? 0) >= 2, 20_000)).toBe(true);
  const hls = await probe(engine.httpUrl('live/cam/index.m3u8'));
  expect(hls.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  const decodedHls = await decode(engine.httpUrl('live/cam/index.m3u8'), 2);
  expect(decodedHls.stderr).toBe('');
  expect(decodedHls.exitCode).toBe(0);
}

test('the camera requires Digest: a request without credentials gets 401 with a Digest challenge only', async () => {
  const answer = await unauthenticatedDescribe();
  expect(answer).toStartWith('RTSP/1.0 401');
  const challenges = answer.split('\r\n').filter((l) => /^www-authenticate:/i.test(l));
  expect(challenges.length).toBeGreaterThan(0);
  expect(challenges.every((l) => /^www-authenticate:\s*digest /i.test(l))).toBe(true);
});

test('pulled over TCP interleaved with Digest auth: H.264 + AAC (MP4A-LATM) decode over HTTP-FLV and HLS', async () => {
  await expectPlayable(pullEngine(camera.url()));
}, 120_000);

test('pulled over UDP (?transport=udp) with Digest auth', async () => {
  const engine = pullEngine(camera.url(undefined, '?transport=udp'));
  await expectPlayable(engine);
  // still on UDP after the 3 s in which a silent UDP session would have switched to TCP
  expect(engine.logs.some((l) => l.includes('switching to TCP') || l.includes('retrying over TCP'))).toBe(false);
}, 120_000);

test('a wrong password: retrying, with an error that does not quote the password', async () => {
  const wrong = 'not-the-Password';
  const engine = pullEngine(camera.url(wrong));
  expect(await waitFor(() => engine.relay('cam1')?.state === 'retrying' && engine.relay('cam1')?.lastError != null, 20_000)).toBe(true);
  const status = engine.relay('cam1')!;
  expect(status.lastError).toContain('401');
  expect(JSON.stringify(status)).not.toContain(wrong);
  expect(engine.logs.join('\n')).not.toContain(wrong);
}, 60_000);
