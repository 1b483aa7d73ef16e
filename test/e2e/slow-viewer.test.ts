// A stalled viewer must not slow the publisher or the other viewers, and must not make the
// engine hold unbounded memory: it is degraded, then disconnected.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { ClientSession } from '../../src/rtmp/client-session.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { connectRtmp } from './rtmp-test-client.ts';

let engine: TestEngine;
beforeAll(() => {
  // HLS off: this test measures what viewer queues hold, not HLS windows
  // merged writes off: this firehose (40 MB in about a second) would fill a 512 KiB budget within one 50 ms window
  engine = startTestEngine({ writers: { mergeWriteMs: 0, softLimitBytes: 512 * 1024, hardLimitBytes: 2 * 1024 * 1024 }, hls: { enabled: false, lowLatencyEnabled: false } });
});
afterAll(() => engine.stop());

const keyframe = (n: number) => Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), Buffer.alloc(60_000, n & 0xff)]);
const interframe = (n: number) => Buffer.concat([Buffer.from([0x27, 1, 0, 0, 0]), Buffer.alloc(20_000, n & 0xff)]);

test('stalled HTTP-FLV and RTMP viewers are dropped while a healthy one gets every frame', async () => {
  const publisher = await connectRtmp(engine.rtmpPort, 'live', 'firehose', 'publish');
  await publisher.next((e) => e.type === 'ready');
  publisher.session.sendMedia(9, 0, Buffer.from([0x17, 0, 0, 0, 0, 1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 0]));
  publisher.session.sendMedia(9, 0, keyframe(0));
  publisher.flush();
  await waitFor(() => engine.context.streams.find('live', 'firehose')?.started === true, 3000);

  // The stalled viewer: asks for the stream, then never reads a byte.
  const stalled = connect({ host: '127.0.0.1', port: engine.httpPort });
  let stalledClosed = false;
  stalled.on('close', () => (stalledClosed = true));
  stalled.on('error', () => (stalledClosed = true));
  stalled.write('GET /live/firehose.flv HTTP/1.1\r\nHost: x\r\n\r\n');
  stalled.pause();

  // A stalled RTMP player: plays, then stops reading.
  const rtmpSession = new ClientSession({
    app: 'live',
    tcUrl: `rtmp://127.0.0.1:${engine.rtmpPort}/live`,
    role: 'play',
    streamName: 'firehose',
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  });
  const stalledRtmp = connect({ host: '127.0.0.1', port: engine.rtmpPort });
  let stalledRtmpClosed = false;
  stalledRtmp.on('close', () => (stalledRtmpClosed = true));
  stalledRtmp.on('error', () => (stalledRtmpClosed = true));
  let playing = false;
  stalledRtmp.on('data', (data: Buffer) => {
    for (const event of rtmpSession.push(data)) if (event.type === 'ready') playing = true;
    for (const out of rtmpSession.takeOutgoing()) stalledRtmp.write(out);
    if (playing) stalledRtmp.pause();
  });
  rtmpSession.start();
  for (const out of rtmpSession.takeOutgoing()) stalledRtmp.write(out);
  expect(await waitFor(() => playing, 3000)).toBe(true);
  Bun.gc(true);
  const rssBefore = process.memoryUsage().rss;

  // The healthy viewer reads everything.
  const abort = new AbortController();
  const res = await fetch(engine.httpUrl('live/firehose.flv'), { signal: abort.signal });
  const reader = new FlvReader();
  let videoFrames = 0;
  const reading = (async () => {
    const body = res.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await body.read();
        if (done) return;
        for (const tag of reader.push(value)) if (tag.tagType === 9 && tag.body[1] === 1) videoFrames++;
      }
    } catch {
      // aborted at the end
    }
  })();
  await Bun.sleep(200);

  // ~40 MB as fast as the publisher can push it: far beyond any socket buffer.
  const frames = 2000;
  for (let i = 1; i <= frames; i++) {
    publisher.session.sendMedia(9, i * 10, i % 50 === 0 ? keyframe(i) : interframe(i));
    publisher.flush();
    if (i % 20 === 0) await Bun.sleep(1);
  }
  const everyFrame = frames + 1; // plus the keyframe the viewer got from the GOP cache
  expect(await waitFor(() => videoFrames >= everyFrame, 20_000)).toBe(true);
  expect(videoFrames).toBe(everyFrame);
  expect(await waitFor(() => stalledClosed && stalledRtmpClosed, 5000)).toBe(true);
  // 40 MB went through; two stalled viewers held at most their budget each meanwhile
  Bun.gc(true);
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  expect(engine.logs.some((l) => l.includes('connection dropped') && l.includes('too slow'))).toBe(true);
  expect(engine.logs.some((l) => l.includes('viewer dropped') && l.includes('too slow'))).toBe(true);
  abort.abort();
  await reading;
  publisher.close();
  stalled.destroy();
  stalledRtmp.destroy();
});
