// A viewer that arrives before its publisher waits the whole --wait-ms, past Bun's 10 s idle
// timeout, on HTTP-FLV, HLS and LL-HLS; a publisher that arrives in time is seen by all three.
import { afterAll, expect, test } from 'bun:test';
import { killAll, publishPattern, startTestEngine, type TestEngine } from './harness.ts';

let engine: TestEngine | null = null;
afterAll(async () => {
  await killAll();
  engine?.stop();
});

test('HTTP-FLV, HLS and LL-HLS viewers wait past 10 s for a publisher that arrives at 12 s', async () => {
  engine = startTestEngine({ waitForPublisherMs: 20_000, hls: { targetDurationMs: 1000, partTargetMs: 250 } });
  const started = Date.now();
  const flv = fetch(engine.httpUrl('live/late.flv'));
  const hls = fetch(engine.httpUrl('live/late/index.m3u8'));
  const ll = fetch(engine.httpUrl('live/late/ll.m3u8'));
  await Bun.sleep(12_000);
  const publisher = await publishPattern(engine.rtmpUrl('live/late'), { seconds: 20, bFrames: 0 });
  try {
    const flvResponse = await flv;
    expect(flvResponse.status).toBe(200);
    const reader = flvResponse.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(new TextDecoder().decode(first.value!.subarray(0, 3))).toBe('FLV');
    await reader.cancel();
    for (const [response, url] of [[await hls, engine.httpUrl('live/late/index.m3u8')], [await ll, engine.httpUrl('live/late/ll.m3u8')]] as const) {
      expect(response.status).toBe(200);
      // the first answer names this player's session playlist; a player follows it
      const session = /^[^#\s].*$/m.exec(await response.text())![0];
      const media = await fetch(new URL(session, url));
      expect(media.status).toBe(200);
      expect(await media.text()).toContain('#EXTINF:');
    }
    expect(Date.now() - started).toBeGreaterThan(12_000);
  } finally {
    await publisher.stop();
  }
}, 60_000);

test('with nobody publishing, the wait ends in a 404 after --wait-ms, not at once', async () => {
  const short = startTestEngine({ waitForPublisherMs: 1500 });
  try {
    const started = Date.now();
    const [flv, hls] = await Promise.all([fetch(short.httpUrl('live/never.flv')), fetch(short.httpUrl('live/never/index.m3u8'))]);
    expect(flv.status).toBe(404);
    expect(hls.status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  } finally {
    short.stop();
  }
}, 30_000);
