// Unit tests of the load tool's incremental readers: any split of the same bytes gives the same result.
import { describe, expect, test } from 'bun:test';
import { concatBytes } from '../../src/media/bytes.ts';
import { encodeChunks } from '../../src/rtmp/chunk-writer.ts';
import { ChunkReader } from '../../src/rtmp/chunk-reader.ts';
import { RtmpMessageType, setChunkSizeMessage, type RtmpMessage } from '../../src/rtmp/message-types.ts';
import { FlvTagScanner } from './flv-tag-scanner.ts';
import { HttpResponseReader } from './http-response-reader.ts';
import { frameKey, isVideoKeyframe, tail32Of } from './media-probe.ts';
import { LatencyHistogram } from './metrics.ts';
import { RtmpMediaCounter } from './rtmp-media-counter.ts';
import { encodeClientControlFrame, WsFrameReader, WsOpcode } from './ws-frame-reader.ts';

const SPLITS = [1, 2, 3, 5, 11, 64, 1000, 1 << 20];

function body(n: number, seed: number, first: number[] = []): Uint8Array {
  const b = Uint8Array.from({ length: n }, (_, i) => (i * seed + 13) & 0xff);
  b.set(first.slice(0, n));
  return b;
}

function flvTag(type: number, ts: number, data: Uint8Array): Uint8Array {
  const h = new Uint8Array(11);
  h[0] = type;
  h[1] = (data.length >> 16) & 0xff;
  h[2] = (data.length >> 8) & 0xff;
  h[3] = data.length & 0xff;
  h[4] = (ts >> 16) & 0xff;
  h[5] = (ts >> 8) & 0xff;
  h[6] = ts & 0xff;
  h[7] = (ts >>> 24) & 0xff;
  const prev = new Uint8Array(4);
  new DataView(prev.buffer).setUint32(0, data.length + 11);
  return concatBytes([h, data, prev]);
}

const FLV_HEADER = Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0);
const TAGS: [number, number, Uint8Array][] = [
  [18, 0, body(40, 3, [2, 0, 10])],
  [9, 0, body(30, 5, [0x17, 0])],
  [8, 0, body(4, 7, [0xaf, 0])],
  [9, 0x1000010, body(5000, 11, [0x17, 1])],
  [8, 23, body(3, 9, [0xaf, 1])],
  [9, 40, body(2, 9, [0x27, 1])],
  [9, 80, new Uint8Array(0)],
];
const FLV_STREAM = concatBytes([FLV_HEADER, ...TAGS.map(([t, ts, d]) => flvTag(t, ts, d))]);

type Seen = [number, number, number, number, number, number];

function scan(bytes: Uint8Array, split: number): Seen[] {
  const seen: Seen[] = [];
  const scanner = new FlvTagScanner({ onTag: (...args) => seen.push(args) });
  for (let i = 0; i < bytes.length; i += split) scanner.push(bytes.subarray(i, i + split));
  return seen;
}

describe('FlvTagScanner', () => {
  test('reports every tag with its head and tail bytes, for any split', () => {
    const expected: Seen[] = TAGS.map(([t, ts, d]) => [t, d.length, ts, d.length > 0 ? d[0]! : -1, d.length > 1 ? d[1]! : -1, tail32Of(d)]);
    for (const split of SPLITS) expect(scan(FLV_STREAM, split)).toEqual(expected);
  });

  test('skips header extensions and rejects what is not FLV', () => {
    const extended = concatBytes([Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 12, 9, 9, 9, 0, 0, 0, 0), flvTag(9, 7, body(9, 1, [0x17, 1]))]);
    for (const split of SPLITS) expect(scan(extended, split).map((s) => s[2])).toEqual([7]);
    expect(() => scan(Uint8Array.from('GET / HTTP/1.1\r\n', (c) => c.charCodeAt(0)), 1)).toThrow('not an FLV stream');
  });

  test('a tag over the size limit is an error, not an allocation', () => {
    const scanner = new FlvTagScanner({ onTag: () => {} }, 1000);
    expect(() => scanner.push(concatBytes([FLV_HEADER, flvTag(9, 0, body(2000, 1))]))).toThrow('over the limit');
  });
});

describe('media-probe', () => {
  test('keyframes are key NAL units, not sequence headers; enhanced headers too', () => {
    expect(isVideoKeyframe(0x17, 1)).toBe(true);
    expect(isVideoKeyframe(0x17, 0)).toBe(false);
    expect(isVideoKeyframe(0x27, 1)).toBe(false);
    expect(isVideoKeyframe(0x80 | 0x10 | 1, 0)).toBe(true); // ExHeader, key, CodedFrames
    expect(isVideoKeyframe(0x80 | 0x10 | 0, 0)).toBe(false); // SequenceStart
    expect(frameKey(5, 7)).not.toBe(frameKey(7, 5));
  });

  test('latency histogram percentiles', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.add(i);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.maxMs).toBe(100);
  });
});

describe('HttpResponseReader', () => {
  const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  function read(bytes: Uint8Array, split: number) {
    const heads: number[] = [];
    const bodies: Uint8Array[] = [];
    const r = new HttpResponseReader(
      (h) => heads.push(h.status),
      (b) => bodies.push(b.slice()),
    );
    for (let i = 0; i < bytes.length; i += split) r.push(bytes.subarray(i, i + split));
    return { heads, body: concatBytes(bodies), done: r.done };
  }

  test('chunked bodies are de-chunked for any split', () => {
    const payload = body(3000, 7);
    const chunked = concatBytes([
      enc('HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nTransfer-Encoding: chunked\r\n\r\n'),
      enc('d\r\n'),
      payload.subarray(0, 13),
      enc('\r\n'),
      enc(`${(payload.length - 13).toString(16)};ext=1\r\n`),
      payload.subarray(13),
      enc('\r\n0\r\n\r\n'),
    ]);
    for (const split of SPLITS) {
      const r = read(chunked, split);
      expect(r.heads).toEqual([200]);
      expect(r.body).toEqual(payload);
      expect(r.done).toBe(true);
    }
  });

  test('a body without length runs until close; 101 switches to raw bytes', () => {
    const payload = body(500, 3);
    for (const split of SPLITS) {
      expect(read(concatBytes([enc('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), payload]), split).body).toEqual(payload);
      const ws = read(concatBytes([enc('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n'), payload]), split);
      expect(ws.heads).toEqual([101]);
      expect(ws.body).toEqual(payload);
    }
  });

  test('garbage status lines are errors', () => {
    expect(() => read(enc('SSH-2.0-OpenSSH\r\n\r\n'), 3)).toThrow('bad status line');
  });
});

describe('WsFrameReader', () => {
  function frame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
    const n = payload.length;
    const head = n < 126 ? Uint8Array.of((fin ? 0x80 : 0) | opcode, n) : n < 65536 ? Uint8Array.of((fin ? 0x80 : 0) | opcode, 126, n >> 8, n & 0xff) : (() => {
      const h = new Uint8Array(10);
      h[0] = (fin ? 0x80 : 0) | opcode;
      h[1] = 127;
      new DataView(h.buffer).setUint32(6, n);
      return h;
    })();
    return concatBytes([head, payload]);
  }

  test('data frames of every length form, continuation and control frames, any split', () => {
    const a = body(100, 3);
    const b = body(3000, 5);
    const c = body(70000, 7);
    const stream = concatBytes([
      frame(WsOpcode.Binary, a),
      frame(WsOpcode.Ping, Uint8Array.of(1, 2, 3)),
      frame(WsOpcode.Binary, b, false),
      frame(WsOpcode.Continuation, c),
      frame(WsOpcode.Binary, new Uint8Array(0)),
      frame(WsOpcode.Close, Uint8Array.of(3, 232)),
    ]);
    for (const split of SPLITS) {
      const data: Uint8Array[] = [];
      const controls: [number, number[]][] = [];
      const r = new WsFrameReader({ onData: (d) => data.push(d.slice()), onControl: (op, p) => controls.push([op, [...p]]) });
      for (let i = 0; i < stream.length; i += split) r.push(stream.subarray(i, i + split));
      expect(concatBytes(data)).toEqual(concatBytes([a, b, c]));
      expect(controls).toEqual([
        [WsOpcode.Ping, [1, 2, 3]],
        [WsOpcode.Close, [3, 232]],
      ]);
    }
  });

  test('masked server frames are refused; client control frames are masked', () => {
    const r = new WsFrameReader({ onData: () => {}, onControl: () => {} });
    expect(() => r.push(Uint8Array.of(0x82, 0x81, 1, 2, 3, 4, 5))).toThrow('must not be masked');
    const pong = encodeClientControlFrame(WsOpcode.Pong, Uint8Array.of(9, 9), Uint8Array.of(1, 2, 3, 4));
    expect([...pong]).toEqual([0x8a, 0x82, 1, 2, 3, 4, 9 ^ 1, 9 ^ 2]);
  });
});

describe('RtmpMediaCounter', () => {
  test('sees the same messages as the ChunkReader, without reassembling media, for any split', () => {
    const messages: RtmpMessage[] = [
      setChunkSizeMessage(1000),
      { chunkStreamId: 3, typeId: RtmpMessageType.CommandAmf0, timestamp: 0, messageStreamId: 0, payload: body(300, 3) },
      { chunkStreamId: 6, typeId: RtmpMessageType.Video, timestamp: 40, messageStreamId: 1, payload: body(4500, 5, [0x17, 1]) },
      { chunkStreamId: 4, typeId: RtmpMessageType.Audio, timestamp: 41, messageStreamId: 1, payload: body(3, 7, [0xaf, 1]) },
      { chunkStreamId: 6, typeId: RtmpMessageType.Video, timestamp: 0x1000000, messageStreamId: 1, payload: body(2500, 9, [0x27, 1]) },
      { chunkStreamId: 5, typeId: RtmpMessageType.DataAmf0, timestamp: 0, messageStreamId: 1, payload: body(50, 2) },
      { chunkStreamId: 6, typeId: RtmpMessageType.Video, timestamp: 80, messageStreamId: 1, payload: new Uint8Array(0) },
    ];
    const bytes = concatBytes(messages.map((m, i) => encodeChunks(m, i === 0 ? 128 : 1000)));
    const reference = new ChunkReader({ maxMessageSizeBytes: 1 << 20 }).push(bytes);
    const refMedia = reference
      .filter((m) => m.typeId === RtmpMessageType.Audio || m.typeId === RtmpMessageType.Video)
      .map((m) => [m.typeId, m.payload.length, m.payload[0] ?? -1, m.payload[1] ?? -1, tail32Of(m.payload)]);
    const refOther = reference.filter((m) => m.typeId !== RtmpMessageType.Audio && m.typeId !== RtmpMessageType.Video);
    for (const split of SPLITS) {
      const media: number[][] = [];
      const counter = new RtmpMediaCounter({ onMedia: (...args) => media.push(args) }, 1 << 20);
      const other: RtmpMessage[] = [];
      for (let i = 0; i < bytes.length; i += split) other.push(...counter.push(bytes.subarray(i, i + split)));
      expect(media).toEqual(refMedia);
      expect(other).toEqual(refOther);
    }
  });
});
