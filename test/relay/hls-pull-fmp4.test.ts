// An fMP4 (CMAF) HLS pull source: one engine's LL-HLS playlist (ll.m3u8: EXT-X-MAP, ll-*.m4s segments) pulled by
// another through the relay manager and played from the second over HTTP-FLV by ffprobe.
import { afterAll, expect, test } from 'bun:test';
import { killAll, probe, publishPattern, waitFor } from '../e2e/harness.ts';
import { joinHls } from '../e2e/hls-session.ts';
import { startRelayEngine, type RelayTestEngine } from './relay-harness.ts';

const engines: RelayTestEngine[] = [];
afterAll(async () => {
  await killAll();
  for (const e of engines) e.stop();
});

test('an HLS (fMP4) pull source becomes an ordinary live stream', async () => {
  const upstream = startRelayEngine();
  engines.push(upstream);
  const publisher = await publishPattern(upstream.rtmpUrl('live/src'), { seconds: 40, bFrames: 2, gop: 25 });
  let text = '';
  const deadline = Date.now() + 20_000;
  let media = '';
  while (Date.now() < deadline) {
    media ||= await joinHls(upstream.httpUrl('live/src/ll.m3u8')).catch(() => '');
    if (!media) {
      await Bun.sleep(200);
      continue;
    }
    const response = await fetch(media);
    text = response.ok ? await response.text() : '';
    if ((text.match(/^ll-[^\n]*\.m4s/gm)?.length ?? 0) >= 3) break;
    await Bun.sleep(200);
  }
  expect(text.match(/^ll-[^\n]*\.m4s/gm)?.length ?? 0).toBeGreaterThanOrEqual(3);
  expect(text).toContain('#EXT-X-MAP');

  const mirror = startRelayEngine({
    pulls: [{ id: 'hls-fmp4', app: 'live', stream: 'mirrored', url: upstream.httpUrl('live/src/ll.m3u8'), enabled: true }],
  });
  engines.push(mirror);
  expect(await waitFor(() => mirror.relay('hls-fmp4')?.state === 'live', 15_000)).toBe(true);
  expect(await waitFor(() => mirror.context.streams.find('live', 'mirrored')?.started === true, 15_000)).toBe(true);
  const probed = await probe(mirror.httpUrl('live/mirrored.flv'));
  expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  await publisher.stop();
}, 60_000);
