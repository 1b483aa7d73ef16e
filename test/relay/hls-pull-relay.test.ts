// A configured HLS pull source through the relay manager: one engine's HLS playlist pulled by
// another and played from the second over HTTP-FLV by ffprobe.
import { afterAll, expect, test } from 'bun:test';
import { killAll, probe, publishPattern, waitFor } from '../e2e/harness.ts';
import { startRelayEngine, type RelayTestEngine } from './relay-harness.ts';

const engines: RelayTestEngine[] = [];
afterAll(async () => {
  await killAll();
  for (const e of engines) e.stop();
});

test('an HLS (MPEG-TS) pull source becomes an ordinary live stream', async () => {
  const upstream = startRelayEngine();
  engines.push(upstream);
  const publisher = await publishPattern(upstream.rtmpUrl('live/src'), { seconds: 40, bFrames: 2, gop: 25 });
  expect(await waitFor(() => (upstream.context.hls.find('live/src')?.ts?.segments.length ?? 0) >= 3, 20_000)).toBe(true);

  const mirror = startRelayEngine({
    pulls: [{ id: 'hls1', app: 'live', stream: 'mirrored', url: upstream.httpUrl('live/src/index.m3u8'), enabled: true }],
  });
  engines.push(mirror);
  expect(await waitFor(() => mirror.relay('hls1')?.state === 'live', 15_000)).toBe(true);
  expect(await waitFor(() => mirror.context.streams.find('live', 'mirrored')?.started === true, 15_000)).toBe(true);
  const probed = await probe(mirror.httpUrl('live/mirrored.flv'));
  expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  await publisher.stop();
}, 60_000);
