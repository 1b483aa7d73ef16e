// An fMP4 (CMAF) HLS pull source: one engine's LL-HLS playlist (ll.m3u8: EXT-X-MAP, ll-*.m4s segments) pulled by
// another through the relay manager and played from the second over HTTP-FLV by ffprobe.
import { expect, test } from 'bun:test';
import { publishPattern } from '../e2e/harness.ts';
import { joinHls } from '../e2e/hls-session.ts';
import { expectMirrored, relayTestScope } from './relay-harness.ts';

const { start: startRelayEngine } = relayTestScope();

test('an HLS (fMP4) pull source becomes an ordinary live stream', async () => {
  const upstream = startRelayEngine();
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

  await expectMirrored(startRelayEngine, 'hls-fmp4', upstream.httpUrl('live/src/ll.m3u8'));
  await publisher.stop();
}, 60_000);
