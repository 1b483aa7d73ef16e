// The HLS pull client against a live HLS (MPEG-TS) that ffmpeg writes into a temp dir served by Bun.serve: sequence
// headers first, frames with monotonic timestamps, keyframes; then through an in-process engine to ffprobe.
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import { createHlsPullClient } from '../../src/relay/hls-pull.ts';
import type { PullClient, PullPacketType, PullSink } from '../../src/relay/pull-client.ts';
import { killAll, probe, spawnBackground, startTestEngine, tempDir, testPatternArgs, waitFor } from '../e2e/harness.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => killAll());

async function startLiveHls(extra: string[] = []) {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const ffmpeg = spawnBackground([
    'ffmpeg', ...testPatternArgs({ seconds: 60, bFrames: 2, gop: 25 }), ...extra,
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments', join(dir.path, 'index.m3u8'),
  ]);
  cleanups.push(() => ffmpeg.stop());
  const playlist = join(dir.path, 'index.m3u8');
  const ready = await waitFor(() => existsSync(playlist) && readFileSync(playlist, 'utf8').split('\n').filter((l) => l.endsWith('.ts')).length >= 3, 20_000);
  if (!ready) throw new Error(`ffmpeg wrote no live HLS: ${await ffmpeg.stderr()}`);
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const name = basename(decodeURIComponent(new URL(req.url).pathname));
      if (name === 'master.m3u8') {
        return new Response('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nlow/none.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="avc1.64001e,mp4a.40.2"\nindex.m3u8\n');
      }
      const file = Bun.file(join(dir.path, name));
      if (!name || !(await file.exists())) return new Response('not found', { status: 404 });
      return new Response(file, { headers: { 'cache-control': 'no-cache' } });
    },
  });
  cleanups.push(() => server.stop(true));
  return { url: (path: string) => `http://127.0.0.1:${server.port}/${path}` };
}

type Recorded = { type: PullPacketType; timestampMs: number; body: Uint8Array };

function recordingSink() {
  const packets: Recorded[] = [];
  const events: string[] = [];
  let bytes = 0;
  const sink: PullSink = {
    onPacket: (type, timestampMs, body) => packets.push({ type, timestampMs, body }),
    onConnected: () => events.push('connected'),
    onDisconnected: (error) => events.push(`disconnected:${error}`),
    onBytes: (n) => {
      bytes += n;
    },
  };
  return { sink, packets, events, bytes: () => bytes };
}

describe('HLS pull client', () => {
  test('master -> variant, sequence headers first, monotonic timestamps, keyframes; stop() ends it once', async () => {
    const hls = await startLiveHls();
    const rec = recordingSink();
    const logs: string[] = [];
    const client: PullClient = createHlsPullClient(hls.url('master.m3u8'), rec.sink, (m) => logs.push(m));
    cleanups.push(() => client.stop());
    client.start();
    const videoMs = () => rec.packets.filter((p) => p.type === 9).map((p) => p.timestampMs);
    expect(await waitFor(() => (videoMs().at(-1) ?? 0) > 4000, 30_000)).toBe(true);
    client.stop();
    expect(rec.events).toEqual(['connected', 'disconnected:null']);
    expect(rec.bytes()).toBeGreaterThan(10_000);
    expect(logs.some((l) => l.includes('900000'))).toBe(true);

    const video = rec.packets.filter((p) => p.type === 9).map((p) => ({ ...p, info: parseVideoTag(p.body) }));
    const audio = rec.packets.filter((p) => p.type === 8).map((p) => ({ ...p, info: parseAudioTag(p.body) }));
    expect(video[0]!.info.kind).toBe('sequence-header');
    expect(audio[0]!.info.kind).toBe('sequence-header');
    expect(video.filter((v) => v.info.kind === 'sequence-header').length).toBe(1);
    const frames = video.filter((v) => v.info.kind === 'frame');
    expect(frames[0]!.info.kind === 'frame' && frames[0]!.info.keyframe).toBe(true);
    expect(frames.filter((v) => v.info.kind === 'frame' && v.info.keyframe).length).toBeGreaterThanOrEqual(4);
    expect(frames.some((v) => v.info.kind === 'frame' && v.info.compositionTimeMs > 0)).toBe(true); // B-frames
    for (const list of [video, audio]) {
      for (let i = 1; i < list.length; i++) expect(list[i]!.timestampMs).toBeGreaterThanOrEqual(list[i - 1]!.timestampMs);
    }
    // 25 fps: frames 40 ms apart, no gaps between segments
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.timestampMs - frames[i - 1]!.timestampMs).toBeLessThanOrEqual(41);
    // ~3 segments behind the live edge: the first frame is near timestamp 0 and audio starts with it
    expect(Math.abs(audio[1]!.timestampMs - frames[0]!.timestampMs)).toBeLessThan(200);
  }, 60_000);

  test('a playlist that is not there is an error for the manager', async () => {
    const hls = await startLiveHls();
    const rec = recordingSink();
    const client = createHlsPullClient(hls.url('missing.m3u8'), rec.sink, () => undefined);
    client.start();
    expect(await waitFor(() => rec.events.length > 0, 5000)).toBe(true);
    expect(rec.events).toEqual(['disconnected:playlist answered HTTP 404']);
  }, 60_000);

  test('end to end: the pulled stream is an ordinary live stream ffprobe reads as HTTP-FLV h264 + aac', async () => {
    const hls = await startLiveHls();
    const engine = startTestEngine();
    cleanups.push(() => engine.stop());
    const published = engine.context.streams.publish('live', 'pulled', { id: 'hls-test', kick: () => undefined });
    if (!published.ok) throw new Error('publish refused');
    const stream = published.stream;
    const client = createHlsPullClient(hls.url('index.m3u8'), {
      onPacket: (type, timestampMs, body) => stream.ingest({ type, timestampMs, body, ...classifyTag(type, body) }),
      onConnected: () => undefined,
      onDisconnected: () => undefined,
      onBytes: () => undefined,
    }, () => undefined);
    cleanups.push(() => client.stop());
    client.start();
    expect(await waitFor(() => stream.started, 20_000)).toBe(true);
    const probed = await probe(engine.httpUrl('live/pulled.flv'), { packets: true, seconds: 3 });
    expect(probed.stderr).toBe('');
    expect(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:aac', 'video:h264']);
    const videoPackets = probed.packets.filter((p) => p.codec_type === 'video');
    expect(videoPackets.length).toBeGreaterThan(25);
    expect(videoPackets[0]!.flags).toStartWith('K');
    expect(videoPackets.some((p) => p.pts !== p.dts)).toBe(true);
  }, 60_000);
});
