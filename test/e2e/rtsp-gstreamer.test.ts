// GStreamer's RTSP elements against Weir's RTSP server: rtspsrc plays (TCP interleaved and UDP) a stream published
// over RTMP, decoding a counted number of video and audio frames into fakesink; rtspclientsink publishes (ANNOUNCE/
// RECORD, TCP and UDP, AAC as MP4A-LATM as GStreamer payloads it) and ffmpeg decodes the stream over RTMP and HLS.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RTSP_SETTINGS } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { decode, freePort, killAll, probe, publishPattern, run, spawnBackground, waitFor } from './harness.ts';

let engine: RunningEngine;
const logs: string[] = [];
const FRAMES = 50;

beforeAll(async () => {
  const udpBase = freePort() & ~1;
  engine = startEngine(
    {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
      hls: { ...DEFAULT_ENGINE_CONFIG.hls, lowLatencyEnabled: false, alwaysRemux: true },
      rtsp: { ...DEFAULT_RTSP_SETTINGS, host: '127.0.0.1', port: 0, rtpPortMin: udpBase, rtpPortMax: udpBase + 99 },
    },
    { logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }) },
  );
  await engine.ready;
});

afterAll(async () => {
  await killAll();
  engine.stop();
});

const rtspUrl = (path: string) => `rtsp://127.0.0.1:${engine.rtspPort!}/${path}`;
const rtmpUrl = (path: string) => `rtmp://127.0.0.1:${engine.rtmpPort}/${path}`;
const httpUrl = (path: string) => `http://127.0.0.1:${engine.httpPort}/${path}`;
const isLive = (path: string) => engine.context.streams.list().some((s) => s.path === path && s.started && s.publisher !== null);

/**
 * gst-launch with rtspsrc: each track depayloaded, decoded, and ended after FRAMES buffers by identity eos-after, so
 * the pipeline reaches EOS (exit 0) only when both decoders put out FRAMES frames. -v prints the decoded caps.
 */
function rtspsrcPipeline(url: string, protocols: 'tcp' | 'udp'): string[] {
  return [
    'gst-launch-1.0', '-v', 'rtspsrc', 'name=src', `location=${url}`, `protocols=${protocols}`,
    'src.', '!', 'queue', '!', 'rtph264depay', '!', 'h264parse', '!', 'avdec_h264', '!', 'identity', `eos-after=${FRAMES}`, '!', 'fakesink',
    'src.', '!', 'queue', '!', 'rtpmp4gdepay', '!', 'aacparse', '!', 'avdec_aac', '!', 'identity', `eos-after=${FRAMES}`, '!', 'fakesink',
  ];
}

for (const protocols of ['tcp', 'udp'] as const) {
  test(`rtspsrc (${protocols}) decodes ${FRAMES} video and ${FRAMES} audio frames of an RTMP publish`, async () => {
    const path = `live/gst-play-${protocols}`;
    const publisher = await publishPattern(rtmpUrl(path), { seconds: 40, bFrames: 2, gop: 25 });
    expect(await waitFor(() => isLive(path), 15_000)).toBe(true);
    const played = await run(rtspsrcPipeline(rtspUrl(path), protocols), 45_000);
    const out = played.stdout + played.stderr;
    expect(out).toContain('Got EOS from element "pipeline0"');
    expect(played.exitCode).toBe(0);
    expect(out).toMatch(/avdec_h264.*src: caps = video\/x-raw, format=\(string\)I420, width=\(int\)320, height=\(int\)240/);
    expect(out).toMatch(/avdec_aac.*src: caps = audio\/x-raw.*rate=\(int\)44100/);
    expect(logs.some((l) => l.includes('play started') && l.includes(path) && l.includes(`transport=${protocols}`))).toBe(true);
    await publisher.stop();
  }, 90_000);
}

/** gst-launch with rtspclientsink: live H.264 and AAC test sources, published for `seconds` */
function rtspclientsinkPipeline(url: string, protocols: 'tcp' | 'udp', seconds: number): string[] {
  return [
    'gst-launch-1.0', '-e',
    'videotestsrc', 'is-live=true', `num-buffers=${seconds * 25}`, '!', 'video/x-raw,format=I420,width=320,height=240,framerate=25/1', '!',
    'x264enc', 'tune=zerolatency', 'key-int-max=25', 'speed-preset=veryfast', '!', 'h264parse', '!', 's.sink_0',
    'audiotestsrc', 'is-live=true', '!', 'audioconvert', '!', 'avenc_aac', '!', 'aacparse', '!', 's.sink_1',
    'rtspclientsink', 'name=s', `location=${url}`, `protocols=${protocols}`,
  ];
}

for (const protocols of ['tcp', 'udp'] as const) {
  test(`rtspclientsink (${protocols}) publishes H.264 + AAC (MP4A-LATM); ffmpeg decodes it over RTMP and HLS`, async () => {
    const path = `live/gst-publish-${protocols}`;
    const publisher = spawnBackground(rtspclientsinkPipeline(rtspUrl(path), protocols, 40));
    expect(await waitFor(() => isLive(path), 20_000)).toBe(true);
    const rtmp = await probe(rtmpUrl(path), { seconds: 2 });
    expect(rtmp.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(rtmp.streams.find((s) => s.codec_name === 'aac')?.sample_rate).toBe('44100');
    const decodedRtmp = await decode(rtmpUrl(path), 3);
    expect(decodedRtmp.stderr).toBe('');
    expect(decodedRtmp.exitCode).toBe(0);
    expect(await waitFor(() => (engine.context.hls.find(path)?.ts?.segments.length ?? 0) >= 2, 20_000)).toBe(true);
    const hls = await probe(httpUrl(`${path}/index.m3u8`), { seconds: 2 });
    expect(hls.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const decodedHls = await decode(httpUrl(`${path}/index.m3u8`), 2);
    expect(decodedHls.stderr).toBe('');
    expect(decodedHls.exitCode).toBe(0);
    expect(logs.some((l) => l.includes('publish started') && l.includes(path) && l.includes('tracks=aac,h264'))).toBe(true);
    await publisher.stop();
  }, 90_000);
}
