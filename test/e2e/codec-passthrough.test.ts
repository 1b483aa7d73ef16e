// Every codec Weir carries reaches RTMP and FLV viewers byte for byte as the publisher sent it:
// legacy H.264/AAC/MP3, HEVC as legacy codec id 12 and as Enhanced RTMP hvc1, AV1, VP9, Opus;
// audio-only and video-only streams.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { encodeAmf0 } from '../../src/rtmp/amf0.ts';
import { startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { connectRtmp } from './rtmp-test-client.ts';

let engine: TestEngine;
beforeAll(() => {
  engine = startTestEngine({ waitForPublisherMs: 3000 });
});
afterAll(() => engine.stop());

const bytes = (...parts: Array<number[] | string | Uint8Array>): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const payload = (seed: number, n = 64) => Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i) & 0xff);

type Tag = { type: 8 | 9; body: Uint8Array };

// Enhanced RTMP: IsExHeader | FrameType << 4 | PacketType, then the FourCC.
const exVideo = (frameType: number, packetType: number, fourCc: string, ...rest: Array<number[] | Uint8Array>) =>
  bytes([0x80 | (frameType << 4) | packetType], fourCc, ...rest);
const exAudio = (packetType: number, fourCc: string, ...rest: Array<number[] | Uint8Array>) => bytes([(9 << 4) | packetType], fourCc, ...rest);

const legacyVideo = (codecId: number, config: Uint8Array): Tag[] => [
  { type: 9, body: bytes([0x10 | codecId, 0, 0, 0, 0], config) },
  { type: 9, body: bytes([0x10 | codecId, 1, 0, 0, 0x50], payload(1)) },
  { type: 9, body: bytes([0x20 | codecId, 1, 0, 0, 0x28], payload(2)) },
  { type: 9, body: bytes([0x20 | codecId, 1, 0xff, 0xff, 0xd8], payload(3)) }, // negative composition time
];

const scenarios: Record<string, Tag[]> = {
  'h264-aac': [
    ...legacyVideo(7, bytes([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee])),
    { type: 8, body: bytes([0xaf, 0], [0x12, 0x10]) },
    { type: 8, body: bytes([0xaf, 1], payload(4, 20)) },
  ],
  'hevc-legacy-12': legacyVideo(12, payload(9, 40)),
  'hevc-enhanced': [
    { type: 9, body: exVideo(1, 0, 'hvc1', payload(5, 40)) },
    { type: 9, body: exVideo(1, 1, 'hvc1', [0, 0, 0x28], payload(6)) },
    { type: 9, body: exVideo(2, 3, 'hvc1', payload(7)) },
    { type: 9, body: exVideo(2, 1, 'hvc1', [0, 0, 0x14], payload(8)) },
  ],
  av1: [
    { type: 9, body: exVideo(1, 0, 'av01', [0x81, 0x08, 0x0c, 0x00]) },
    { type: 9, body: exVideo(1, 1, 'av01', payload(10)) },
    { type: 9, body: exVideo(2, 1, 'av01', payload(11)) },
  ],
  'vp9-opus': [
    { type: 9, body: exVideo(1, 0, 'vp09', [1, 0, 0, 0, 0x0a, 0x80, 0, 0]) },
    { type: 8, body: exAudio(0, 'Opus', bytes('OpusHead', [1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0])) },
    { type: 9, body: exVideo(1, 1, 'vp09', payload(12)) },
    { type: 8, body: exAudio(1, 'Opus', payload(13, 30)) },
    { type: 9, body: exVideo(2, 1, 'vp09', payload(14)) },
  ],
  'audio-only-mp3': [
    { type: 8, body: bytes([0x2f], payload(15, 100)) },
    { type: 8, body: bytes([0x2f], payload(16, 100)) },
    { type: 8, body: bytes([0x2f], payload(17, 100)) },
  ],
  'video-only-h264': legacyVideo(7, bytes([1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 2, 0x67, 0x42, 1, 0, 2, 0x68, 0xce])),
};

/** How many leading tags are sent before viewers join: headers plus the GOP's first frame, all of which a late viewer must get. */
const cachedCount: Record<string, number> = { 'audio-only-mp3': 1, 'vp9-opus': 3 };

/** An HTTP-FLV viewer that keeps reading; `tags()` parses what has arrived so far. */
async function openFlv(url: string): Promise<{ tags(): ReturnType<FlvReader['push']>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  expect(res.status).toBe(200);
  const chunks: Uint8Array[] = [];
  const reader = res.body!.getReader();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
    } catch {
      // closed by the test
    }
  })();
  return { tags: () => new FlvReader().push(Buffer.concat(chunks)), close: () => abort.abort() };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('codec pass-through', () => {
  for (const [name, tags] of Object.entries(scenarios)) {
    test(name, async () => {
      const publisher = await connectRtmp(engine.rtmpPort, 'live', name, 'publish');
      await publisher.next((e) => e.type === 'ready');
      const metadata = encodeAmf0(['onMetaData', { encoder: 'weir-test' }]);
      publisher.session.sendDataFrame(metadata);
      // headers and the first frames before any viewer: viewers must get them from the cache
      const half = cachedCount[name] ?? 2;
      tags.slice(0, half).forEach((tag, i) => publisher.session.sendMedia(tag.type, 1000 + i * 40, tag.body));
      publisher.flush();

      const player = await connectRtmp(engine.rtmpPort, 'live', name, 'play');
      const flv = await openFlv(engine.httpUrl(`live/${name}.flv`));
      await player.next((e) => e.type === 'ready');
      // both viewers have the cached part before the rest is sent: then the order is the publish order
      expect(await waitFor(() => mediaOf(player.events).length >= 1 + half && flv.tags().length >= 1 + half, 10_000)).toBe(true);
      tags.slice(half).forEach((tag, i) => publisher.session.sendMedia(tag.type, 1000 + (half + i) * 40, tag.body));
      publisher.flush();

      // in order, as published: the late-joiner cache first, then live tags (no sorting that could hide a reordering)
      const expected = [hex(metadata), ...tags.map((t) => hex(t.body))];
      expect(await waitFor(() => mediaOf(player.events).length >= expected.length && flv.tags().length >= expected.length, 10_000)).toBe(true);
      expect(mediaOf(player.events).map((m) => hex(m.payload))).toEqual(expected);
      expect(flv.tags().map((t) => hex(t.body))).toEqual(expected);
      flv.close();
      publisher.close();
      player.close();
    });
  }
});

describe('a publisher that starts on a non-keyframe', () => {
  test('viewers that join before its first keyframe get headers only, then start on the keyframe', async () => {
    const name = 'midgop';
    const [header, keyframe, inter1, inter2] = legacyVideo(7, bytes([1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 2, 0x67, 0x42, 1, 0, 2, 0x68, 0xce]));
    const publisher = await connectRtmp(engine.rtmpPort, 'live', name, 'publish');
    await publisher.next((e) => e.type === 'ready');
    const metadata = encodeAmf0(['onMetaData', { encoder: 'weir-test' }]);
    publisher.session.sendDataFrame(metadata);
    // an encoder joined mid-GOP (or a relay cut in): inter frames before any keyframe
    publisher.session.sendMedia(9, 0, header!.body);
    publisher.session.sendMedia(9, 0, inter1!.body);
    publisher.session.sendMedia(9, 40, inter2!.body);
    publisher.flush();
    expect(await waitFor(() => engine.context.streams.find('live', name)?.started === true, 10_000)).toBe(true);

    const player = await connectRtmp(engine.rtmpPort, 'live', name, 'play');
    const flv = await openFlv(engine.httpUrl(`live/${name}.flv`));
    await player.next((e) => e.type === 'ready');
    expect(await waitFor(() => mediaOf(player.events).length >= 2 && flv.tags().length >= 2, 10_000)).toBe(true);
    publisher.session.sendMedia(9, 80, keyframe!.body);
    publisher.session.sendMedia(9, 120, inter1!.body);
    publisher.flush();

    const expected = [hex(metadata), hex(header!.body), hex(keyframe!.body), hex(inter1!.body)];
    expect(await waitFor(() => mediaOf(player.events).length >= 4 && flv.tags().length >= 4, 10_000)).toBe(true);
    expect(mediaOf(player.events).map((m) => hex(m.payload))).toEqual(expected);
    expect(flv.tags().map((t) => hex(t.body))).toEqual(expected);
    // a viewer joining now starts on that keyframe too
    const late = await openFlv(engine.httpUrl(`live/${name}.flv`));
    expect(await waitFor(() => late.tags().length >= 4, 10_000)).toBe(true);
    expect(late.tags().map((t) => hex(t.body))).toEqual(expected);
    late.close();
    flv.close();
    publisher.close();
    player.close();
  });
});

function mediaOf(events: ReturnType<typeof Array.prototype.slice>) {
  return (events as Array<{ type: string; message?: { typeId: number; payload: Uint8Array } }>)
    .filter((e) => e.type === 'media')
    .map((e) => e.message!)
    .filter((m) => !Buffer.from(m.payload).includes('|RtmpSampleAccess')); // the server's own data message on play
}
