// Replays a real ffmpeg publish (test/fixtures/rtmp/ffmpeg-publish.bin, made by capture.ts) into ServerSession.
import { expect, test } from 'bun:test';
import { decodeAmf0 } from '../../src/rtmp/amf0.ts';
import { ChunkReader } from '../../src/rtmp/chunk-reader.ts';
import { ServerSession, type ServerSessionEvent } from '../../src/rtmp/server-session.ts';
import { concat, seededBytes, seededRandom } from './helpers.ts';

const capture = new Uint8Array(await Bun.file(new URL('../fixtures/rtmp/ffmpeg-publish.bin', import.meta.url)).arrayBuffer());

/** Feeds the capture in pieces cut by `nextSize`, answering connect and publish like the engine would. */
function replay(nextSize: () => number): { events: ServerSessionEvent[]; session: ServerSession; output: Uint8Array } {
  const session = new ServerSession({ randomBytes: seededBytes(3), epochMs: 0 });
  const events: ServerSessionEvent[] = [];
  const output: Uint8Array[] = [];
  for (let offset = 0; offset < capture.length; ) {
    const size = Math.max(1, nextSize());
    for (const event of session.push(capture.subarray(offset, offset + size))) {
      events.push(event);
      if (event.type === 'connect') session.acceptConnect();
      if (event.type === 'publish') session.acceptPublish(event.streamId);
    }
    output.push(...session.takeOutgoing());
    offset += size;
  }
  return { events, session, output: concat(...output) };
}

test('ffmpeg publish capture parses into connect, publish, media, unpublish', () => {
  const { events, session, output } = replay(() => 64); // small reads, so each decision lands before the next command
  expect(session.bytesReceived).toBe(capture.length);
  expect(events[0]).toMatchObject({ type: 'connect', app: 'live', query: '', objectEncoding: 0 });
  expect(events[0]!.type === 'connect' && events[0]!.flashVer.startsWith('FMLE/3.0')).toBe(true);
  expect(events[1]).toEqual({ type: 'publish', streamId: 1, streamName: 'test', query: '', publishType: 'live' });
  expect(events.at(-1)).toEqual({ type: 'unpublish', streamId: 1 });
  const media = events.filter((e) => e.type === 'media');
  expect(media.length).toBe(events.length - 3);
  const data = media.filter((e) => e.messageType === 18);
  expect(data).toHaveLength(1);
  const [name, metadata] = decodeAmf0(data[0]!.payload);
  expect(name).toBe('onMetaData');
  expect(metadata).toMatchObject({ width: 320, height: 240, videocodecid: 7, audiocodecid: 10 });
  const video = media.filter((e) => e.messageType === 9);
  const audio = media.filter((e) => e.messageType === 8);
  expect(video.length).toBeGreaterThanOrEqual(45);
  expect(audio.length).toBeGreaterThanOrEqual(80);
  expect(video[0]!.payload[0]).toBe(0x17); // AVC keyframe
  expect(video[0]!.payload[1]).toBe(0); // sequence header
  expect(audio[0]!.payload[0]! >> 4).toBe(10); // AAC
  const lastVideoMs = video.at(-1)!.timestamp;
  expect(lastVideoMs).toBeGreaterThan(1800);
  expect(lastVideoMs).toBeLessThan(2200);
  for (let i = 1; i < audio.length; i++) expect(audio[i]!.timestamp).toBeGreaterThanOrEqual(audio[i - 1]!.timestamp);

  // What the server said: handshake, then connect _result, the replies in order, Publish.Start.
  const replies = new ChunkReader().push(output.subarray(3073));
  const commands = replies.filter((m) => m.typeId === 20).map((m) => decodeAmf0(m.payload));
  expect(commands.map((c) => [c[0], c[1]])).toEqual([
    ['_result', 1], ['_result', 2], ['_result', 3], ['onFCPublish', 0], ['_result', 4], ['_error', 5], ['onStatus', 0],
    ['onStatus', 0], ['_result', 7], ['onFCUnpublish', 0],
  ]);
  expect(commands.slice(6, 8).map((c) => (c[3] as { code: string }).code)).toEqual(['NetStream.Publish.Start', 'NetStream.Unpublish.Success']);
});

test('random splits of the capture give the same events', () => {
  const reference = replay(() => capture.length).events; // one push: the decisions come after everything was parsed
  expect(reference.filter((e) => e.type !== 'media').map((e) => e.type)).toEqual(['connect', 'publish', 'unpublish']);
  for (const seed of [1, 2, 3, 4, 5]) {
    const rand = seededRandom(seed);
    const maxPiece = [3, 50, 700, 5000, 20000][seed - 1]!;
    const { events } = replay(() => 1 + Math.floor(rand() * maxPiece));
    expect(events).toEqual(reference);
  }
});
