// A configured HLS pull source through the relay manager: one engine's HLS playlist pulled by
// another and played from the second over HTTP-FLV by ffprobe.
import { expect, test } from 'bun:test';
import { publishPattern, waitFor } from '../e2e/harness.ts';
import { expectMirrored, relayTestScope } from './relay-harness.ts';

const { start: startRelayEngine } = relayTestScope();

test('an HLS (MPEG-TS) pull source becomes an ordinary live stream', async () => {
  const upstream = startRelayEngine();
  const publisher = await publishPattern(upstream.rtmpUrl('live/src'), { seconds: 40, bFrames: 2, gop: 25 });
  expect(await waitFor(() => (upstream.context.hls.find('live/src')?.ts?.segments.length ?? 0) >= 3, 20_000)).toBe(true);

  await expectMirrored(startRelayEngine, 'hls1', upstream.httpUrl('live/src/index.m3u8'));
  await publisher.stop();
}, 60_000);

test('an HLS pull from an engine that muxes on demand: the pull is the player that starts its muxer', async () => {
  const upstream = startRelayEngine({ hls: { alwaysRemux: false } });
  const publisher = await publishPattern(upstream.rtmpUrl('live/cold'), { seconds: 40, bFrames: 0, gop: 25 });
  expect(await waitFor(() => upstream.context.streams.find('live', 'cold')?.started === true, 20_000)).toBe(true);
  expect(upstream.context.hls.find('live/cold')).toBeUndefined();

  await expectMirrored(startRelayEngine, 'hls-cold', upstream.httpUrl('live/cold/index.m3u8'));
  expect(upstream.context.hls.find('live/cold')).toBeDefined();
  expect(upstream.context.hls.demandStarts).toBe(1);
  await publisher.stop();
}, 60_000);
