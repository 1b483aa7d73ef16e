// HLS for the other codecs: HEVC published by our own RTMP client (Enhanced RTMP hvc1, frames
// encoded by ffmpeg) and decoded by ffmpeg from the TS playlist; MP3 audio-only in TS.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMp4VideoTrack } from '../remux/ts-mp4-samples.ts';
import { decode, killAll, probe, run, spawnBackground, startTestEngine, tempDir, waitFor, type TestEngine } from './harness.ts';
import { connectRtmp } from './rtmp-test-client.ts';

let engine: TestEngine;
let dir: { path: string; remove(): void };
beforeAll(() => {
  engine = startTestEngine({ waitForPublisherMs: 1000, hls: { alwaysRemux: true } });
  dir = tempDir();
});
afterAll(async () => {
  await killAll();
  engine.stop();
  dir.remove();
});

const ENHANCED_VIDEO = 0x80;
const VideoPacketType = { SequenceStart: 0, CodedFrames: 1 } as const;
const FrameType = { Key: 1, Inter: 2 } as const;

function hvc1Tag(frameType: number, packetType: number, payload: Uint8Array, compositionMs = 0): Uint8Array {
  const head = [ENHANCED_VIDEO | (frameType << 4) | packetType, ...Buffer.from('hvc1')];
  if (packetType === VideoPacketType.CodedFrames) head.push((compositionMs >> 16) & 0xff, (compositionMs >> 8) & 0xff, compositionMs & 0xff);
  return Buffer.concat([Buffer.from(head), payload]);
}

test('HEVC over Enhanced RTMP comes out of the TS playlist decodable by ffmpeg', async () => {
  const source = join(dir.path, 'hevc.mp4');
  const made = await run([
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '6',
    '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=25:min-keyint=25:bframes=2', '-tag:v', 'hvc1', '-y', source,
  ]);
  expect(made.exitCode).toBe(0);
  const track = readMp4VideoTrack(readFileSync(source));
  const toMs = (t: number) => Math.round((t * 1000) / track.timescale);

  const publisher = await connectRtmp(engine.rtmpPort, 'live', 'hevc', 'publish');
  await publisher.next((e) => e.type === 'ready');
  publisher.session.sendMedia(9, 0, hvc1Tag(FrameType.Key, VideoPacketType.SequenceStart, track.config));
  for (const sample of track.samples) {
    const frameType = sample.keyframe ? FrameType.Key : FrameType.Inter;
    publisher.session.sendMedia(9, toMs(sample.dts), hvc1Tag(frameType, VideoPacketType.CodedFrames, sample.data, toMs(sample.pts) - toMs(sample.dts)));
    publisher.flush();
  }
  expect(await waitFor(() => (engine.context.hls.find('live/hevc')?.ts?.segments.length ?? 0) >= 2, 5000)).toBe(true);
  publisher.close();
  expect(await waitFor(() => engine.context.hls.find('live/hevc')?.ts?.ended === true, 5000)).toBe(true);

  const url = engine.httpUrl('live/hevc/index.m3u8');
  const probed = await probe(url);
  expect(probed.streams.map((s) => `${s.codec_name} ${s.width}x${s.height}`)).toEqual(['hevc 320x240']);
  const decoded = await decode(url, 10);
  expect(decoded.stderr).toBe('');
  expect(decoded.exitCode).toBe(0);
  // LL-HLS carries HEVC too (fMP4 hvc1)
  expect((await decode(engine.httpUrl('live/hevc/ll.m3u8'), 10)).stderr).toBe('');
});

test('MP3 audio-only goes into MPEG-TS; the fMP4 variant is not offered', async () => {
  const path = 'live/mp3-hls';
  const publisher = spawnBackground([
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '15',
    '-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'flv', engine.rtmpUrl(path),
  ]);
  expect(await waitFor(() => (engine.context.hls.find(path)?.ts?.segments.length ?? 0) >= 2, 15_000)).toBe(true);
  const url = engine.httpUrl(`${path}/index.m3u8`);
  const probed = await probe(url);
  expect(probed.streams.map((s) => s.codec_name)).toEqual(['mp3']);
  expect((await decode(url, 2)).stderr).toBe('');
  expect((await fetch(engine.httpUrl(`${path}/ll.m3u8`))).status).toBe(404);
  await publisher.stop();
}, 60_000);
