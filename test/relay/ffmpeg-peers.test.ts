// Relays against a peer we did not write: forward to ffmpeg listening as an RTMP server and
// decode what it recorded; pull a stream that ffmpeg serves and play it from the engine;
// kill and restart that upstream and see the pull resume with an HLS discontinuity; pull
// HTTP-FLV that ffmpeg serves (`-listen 1`), as a configured pull and in edge mode; pull the
// fMP4 HLS that ffmpeg writes (`-hls_segment_type fmp4`).
import { describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, probe, publishPattern, spawnBackground, testPatternArgs, waitFor, waitForListening } from '../e2e/harness.ts';
import { freePort, relayTestScope, startRelayEngine } from './relay-harness.ts';
import { joinHls } from '../e2e/hls-session.ts';

const { engines, dir } = relayTestScope();

function serveWithFfmpeg(port: number, seconds: number) {
  return spawnBackground([
    'ffmpeg', ...testPatternArgs({ seconds, bFrames: 0, gop: 25 }),
    '-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/src`,
  ]);
}

describe('relay with ffmpeg as the peer', () => {
  test('forwards a publish to ffmpeg listening, which records a decodable stream', async () => {
    const port = freePort();
    const out = join(dir.path, 'forwarded.flv');
    const receiver = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/x`, '-c', 'copy', '-y', out]);
    expect(await waitForListening(port)).toBe(true);
    const engine = startRelayEngine({ forwardTargets: () => [`rtmp://127.0.0.1:${port}/live/x`] });
    engines.push(engine);
    const publisher = await publishPattern(engine.rtmpUrl('live/fwd'), { seconds: 5, bFrames: 2 });
    expect(await waitFor(() => engine.relays.status().some((r) => r.kind === 'forward' && r.state === 'live'), 8000)).toBe(true);
    await publisher.proc.exited;
    await receiver.proc.exited;
    const probed = await probe(out, { packets: true });
    const codecs = probed.streams.map((s) => s.codec_name).sort();
    expect(codecs).toEqual(['aac', 'h264']);
    const video = probed.packets.filter((p) => p.codec_type === 'video');
    expect(video.length).toBeGreaterThan(60);
    expect(video[0]!.flags?.startsWith('K')).toBe(true);
    const decoded = await decode(out, 10);
    expect(decoded.stderr).toBe('');
    expect(engine.relays.status().filter((r) => r.kind === 'forward')).toEqual([]); // stopped with its publisher
  }, 60_000);

  test('pulls a stream ffmpeg serves; restarting the upstream resumes the pull with an HLS discontinuity', async () => {
    const port = freePort();
    let upstream = serveWithFfmpeg(port, 6);
    expect(await waitForListening(port)).toBe(true);
    const engine = startRelayEngine({ pulls: [{ id: 'cam', app: 'live', stream: 'cam', url: `rtmp://127.0.0.1:${port}/live/src`, enabled: true }] });
    engines.push(engine);
    expect(await waitFor(() => engine.relay('cam')?.state === 'live', 8000)).toBe(true);
    const probed = await probe(engine.httpUrl('live/cam.flv'), { packets: true, seconds: 1 });
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(engine.relay('cam')!.bytesIn).toBeGreaterThan(10_000);

    // The upstream dies: the pull retries with the error shown, then resumes on a new upstream.
    await upstream.stop();
    expect(await waitFor(() => engine.relay('cam')?.state === 'retrying', 5000)).toBe(true);
    expect(engine.relay('cam')!.lastError).toBeTruthy();
    upstream = serveWithFfmpeg(port, 8);
    expect(await waitFor(() => engine.relay('cam')?.state === 'live', 10_000)).toBe(true);
    expect(engine.relay('cam')!.retries).toBeGreaterThan(0);
    // the resumed stream's first segment closes after a keyframe interval or two
    let playlist = '';
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !playlist.includes('#EXT-X-DISCONTINUITY')) {
      const response = await fetch(await joinHls(engine.httpUrl('live/cam/index.m3u8')));
      playlist = response.ok ? await response.text() : '';
      if (!playlist.includes('#EXT-X-DISCONTINUITY')) await Bun.sleep(200);
    }
    expect(playlist).toContain('#EXT-X-DISCONTINUITY');
    const played = await decode(engine.httpUrl('live/cam.flv'), 2);
    expect(played.exitCode).toBe(0);
    await upstream.stop();
  }, 60_000);
});

/** ffmpeg serving FLV over HTTP to the one client that connects (it waits for it before encoding) */
function serveFlvOverHttp(port: number, seconds: number) {
  return spawnBackground([
    'ffmpeg', ...testPatternArgs({ seconds, bFrames: 2, gop: 25 }),
    '-f', 'flv', '-listen', '1', `http://127.0.0.1:${port}/live/cam.flv`,
  ]);
}

/** the first packets of a URL are in decode order, video starts on a keyframe, both codecs are there */
async function expectPlayable(url: string): Promise<void> {
  const probed = await probe(url, { packets: true, seconds: 2 });
  expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  const video = probed.packets.filter((p) => p.codec_type === 'video');
  expect(video.length).toBeGreaterThan(10);
  expect(video[0]!.flags?.startsWith('K')).toBe(true);
  for (let i = 1; i < video.length; i++) expect(video[i]!.dts!).toBeGreaterThan(video[i - 1]!.dts!);
  const decoded = await decode(url, 2);
  expect(decoded.stderr).toBe('');
  expect(decoded.exitCode).toBe(0);
}

describe('pulling what ffmpeg serves over HTTP', () => {
  test('an HTTP-FLV pull of ffmpeg -listen 1 becomes a playable live stream', async () => {
    const port = freePort();
    const upstream = serveFlvOverHttp(port, 20);
    expect(await waitForListening(port)).toBe(true);
    const engine = startRelayEngine({ pulls: [{ id: 'flv', app: 'live', stream: 'fromflv', url: `http://127.0.0.1:${port}/live/cam.flv`, enabled: true }] });
    engines.push(engine);
    expect(await waitFor(() => engine.relay('flv')?.state === 'live', 15_000)).toBe(true);
    expect(await waitFor(() => engine.context.streams.find('live', 'fromflv')?.started === true, 15_000)).toBe(true);
    await expectPlayable(engine.httpUrl('live/fromflv.flv'));
    expect(engine.relay('flv')!.bytesIn).toBeGreaterThan(10_000);
    await upstream.stop();
  }, 60_000);

  test('edge mode: a viewer of a stream not live here pulls it from ffmpeg serving HTTP-FLV', async () => {
    const port = freePort();
    const upstream = serveFlvOverHttp(port, 20);
    expect(await waitForListening(port)).toBe(true);
    const edge = startRelayEngine({ relay: { edgeOriginTemplate: null, edgeIdleMs: 1500 }, waitForPublisherMs: 10_000 });
    engines.push(edge);
    edge.applyConfig({ ...edge.config, apps: [{ name: 'live', originUrl: `http://127.0.0.1:${port}/{app}/{stream}.flv` }] });
    expect(edge.relays.status()).toEqual([]);
    await expectPlayable(edge.httpUrl('live/cam.flv'));
    const status = edge.relay('edge-live/cam');
    expect(status?.kind).toBe('edge');
    expect(status?.url).toBe(`http://127.0.0.1:${port}/live/cam.flv`);
    await upstream.stop();
  }, 60_000);

  test("an HLS pull of ffmpeg's live fMP4 HLS (-hls_segment_type fmp4) becomes a playable live stream", async () => {
    const out = join(dir.path, 'fmp4-hls');
    mkdirSync(out, { recursive: true });
    const writer = spawnBackground([
      'ffmpeg', ...testPatternArgs({ seconds: 40, bFrames: 2, gop: 25 }),
      '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '1', '-hls_list_size', '6',
      '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(out, 'seg%d.m4s'), join(out, 'live.m3u8'),
    ]);
    // a plain file server for ffmpeg's directory, as any web server in front of it would be
    const files = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: async (req) => {
        const name = new URL(req.url).pathname.slice(1);
        const file = Bun.file(join(out, name));
        if (!/^[\w.-]+$/.test(name) || !(await file.exists())) return new Response('not found', { status: 404 });
        return new Response(file, { headers: { 'content-type': name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp4' } });
      },
    });
    try {
      expect(await waitFor(() => existsSync(join(out, 'live.m3u8')) && readFileSync(join(out, 'live.m3u8'), 'utf8').includes('seg2.m4s'), 20_000)).toBe(true);
      expect(readFileSync(join(out, 'live.m3u8'), 'utf8')).toContain('#EXT-X-MAP:URI="init.mp4"');
      const engine = startRelayEngine({ pulls: [{ id: 'hls', app: 'live', stream: 'fromhls', url: `http://127.0.0.1:${files.port}/live.m3u8`, enabled: true }] });
      engines.push(engine);
      expect(await waitFor(() => engine.relay('hls')?.state === 'live', 15_000)).toBe(true);
      expect(await waitFor(() => engine.context.streams.find('live', 'fromhls')?.started === true, 15_000)).toBe(true);
      await expectPlayable(engine.httpUrl('live/fromhls.flv'));
    } finally {
      files.stop(true);
      await writer.stop();
    }
  }, 90_000);
});

