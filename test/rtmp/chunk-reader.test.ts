import { describe, expect, test } from 'bun:test';
import { ChunkReader } from '../../src/rtmp/chunk-reader.ts';
import { encodeChunks } from '../../src/rtmp/chunk-writer.ts';
import { RtmpMessageType, setChunkSizeMessage, type RtmpMessage } from '../../src/rtmp/message-types.ts';
import { ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { concat, expectProtocolError, hex } from './helpers.ts';
import { expectByteByByte, expectEveryTwoPieceSplit } from '../split-input.ts';

const fill = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

const brief = (m: RtmpMessage) => ({ csid: m.chunkStreamId, type: m.typeId, ts: m.timestamp, msid: m.messageStreamId, len: m.payload.length });

describe('ChunkReader header types', () => {
  test('fmt 0, 1, 2, 3 with timestamp deltas', () => {
    const bytes = concat(
      hex('03 0003e8 000005 14 01000000'), fill(5, 1), // fmt 0: ts 1000, len 5, type 20, msid 1
      hex('43 00000a 000002 08'), fill(2, 2), // fmt 1: +10, len 2, type 8
      hex('83 000014'), fill(2, 3), // fmt 2: +20
      hex('c3'), fill(2, 4), // fmt 3 new message: +20 again
    );
    const out = new ChunkReader().push(bytes);
    expect(out.map(brief)).toEqual([
      { csid: 3, type: 20, ts: 1000, msid: 1, len: 5 },
      { csid: 3, type: 8, ts: 1010, msid: 1, len: 2 },
      { csid: 3, type: 8, ts: 1030, msid: 1, len: 2 },
      { csid: 3, type: 8, ts: 1050, msid: 1, len: 2 },
    ]);
    expect(out[3]!.payload).toEqual(fill(2, 4));
  });

  test('fmt 3 after fmt 0 adds the previous timestamp field (ffmpeg/librtmp)', () => {
    const bytes = concat(hex('04 000028 000001 09 01000000 aa'), hex('c4 bb'));
    expect(new ChunkReader().push(bytes).map((m) => m.timestamp)).toEqual([40, 80]);
  });

  test('2- and 3-byte basic headers', () => {
    const bytes = concat(hex('00 10 000001 000001 12 00000000 aa'), hex('01 02 01 000002 000001 12 00000000 bb'), hex('3f 000003 000001 12 00000000 cc'));
    expect(new ChunkReader().push(bytes).map((m) => m.chunkStreamId)).toEqual([80, 64 + 0x0102, 63]);
    expect(new ChunkReader().push(hex('01 ff ff 000000 000000 12 00000000'))[0]!.chunkStreamId).toBe(65599);
  });

  test('multi-chunk message at the default chunk size', () => {
    const payload = fill(300, 9);
    const bytes = concat(hex('06 000000 00012c 09 01000000'), payload.subarray(0, 128), hex('c6'), payload.subarray(128, 256), hex('c6'), payload.subarray(256));
    const [m] = new ChunkReader().push(bytes);
    expect(m!.payload).toEqual(payload);
  });

  test('interleaved chunk streams', () => {
    const a = fill(200, 1);
    const b = fill(150, 2);
    const bytes = concat(
      hex('04 000000 0000c8 08 01000000'), a.subarray(0, 128),
      hex('06 000005 000096 09 01000000'), b.subarray(0, 128),
      hex('c4'), a.subarray(128),
      hex('c6'), b.subarray(128),
    );
    const out = new ChunkReader().push(bytes);
    expect(out.map((m) => m.chunkStreamId)).toEqual([4, 6]);
    expect(out[0]!.payload).toEqual(a);
    expect(out[1]!.payload).toEqual(b);
  });

  test('zero-length message', () => {
    expect(new ChunkReader().push(hex('03 000000 000000 14 00000000')).map(brief)).toEqual([{ csid: 3, type: 20, ts: 0, msid: 0, len: 0 }]);
  });
});

describe('ChunkReader extended timestamps', () => {
  const payload = fill(200, 5);
  test('fmt 0 extended, repeated on the continuation chunk', () => {
    const bytes = concat(hex('04 ffffff 0000c8 08 01000000 01000000'), payload.subarray(0, 128), hex('c4 01000000'), payload.subarray(128));
    const [m] = new ChunkReader().push(bytes);
    expect(m!.timestamp).toBe(0x01000000);
    expect(m!.payload).toEqual(payload);
  });
  test('continuation chunk without the repeated extended timestamp is accepted', () => {
    const bytes = concat(hex('04 ffffff 0000c8 08 01000000 01000000'), payload.subarray(0, 128), hex('c4'), payload.subarray(128));
    const [m] = new ChunkReader().push(bytes);
    expect(m!.timestamp).toBe(0x01000000);
    expect(m!.payload).toEqual(payload);
  });
  test('extended delta on fmt 1/2 and fmt 3 new message, wrapping modulo 2^32', () => {
    const bytes = concat(
      hex('04 ffffff 000001 08 01000000 fffffff0 aa'),
      hex('84 000020 bb'), // +0x20 wraps to 0x10
      hex('84 ffffff 01000000 cc'), // extended delta
      hex('c4 01000000 dd'), // fmt 3 new message: extended delta repeated
    );
    expect(new ChunkReader().push(bytes).map((m) => m.timestamp)).toEqual([0xfffffff0, 0x10, 0x01000010, 0x02000010]);
  });
});

describe('ChunkReader control messages', () => {
  test('Set Chunk Size applies to the next chunk and is returned', () => {
    const payload = fill(300, 3);
    const bytes = concat(hex('02 000000 000004 01 00000000 00000100'), hex('06 000000 00012c 09 01000000'), payload.subarray(0, 256), hex('c6'), payload.subarray(256));
    const reader = new ChunkReader();
    const out = reader.push(bytes);
    expect(out.map((m) => m.typeId)).toEqual([RtmpMessageType.SetChunkSize, 9]);
    expect(out[1]!.payload).toEqual(payload);
    expect(reader.chunkSize).toBe(256);
  });
  test('Abort drops the partial message', () => {
    const bytes = concat(
      hex('04 000000 0000c8 08 01000000'), fill(128, 1),
      hex('02 000000 000004 02 00000000 00000004'),
      hex('04 000000 000002 08 01000000 aabb'),
    );
    const out = new ChunkReader().push(bytes);
    expect(out.map((m) => m.typeId)).toEqual([RtmpMessageType.Abort, 8]);
    expect(out[1]!.payload).toEqual(hex('aabb'));
  });
  test('chunk size 0 or above 0x7fffffff is rejected', () => {
    expectProtocolError(() => new ChunkReader().push(hex('02 000000 000004 01 00000000 00000000')), ProtocolErrorCode.Malformed);
    expectProtocolError(() => new ChunkReader().push(hex('02 000000 000004 01 00000000 80000000')), ProtocolErrorCode.Malformed);
  });
});

describe('ChunkReader errors and limits', () => {
  test('fmt 1/2/3 on an unknown chunk stream', () => {
    for (const h of ['43 000000 000001 08', '83 000000', 'c3']) {
      expectProtocolError(() => new ChunkReader().push(concat(hex(h), hex('00'))), ProtocolErrorCode.Malformed);
    }
  });
  test('declared length over the limit -> TooLarge before any payload', () => {
    expectProtocolError(() => new ChunkReader().push(hex('03 000000 ffffff 09 01000000')), ProtocolErrorCode.TooLarge);
    expectProtocolError(() => new ChunkReader({ maxMessageSizeBytes: 100 }).push(hex('03 000000 000065 09 01000000')), ProtocolErrorCode.TooLarge);
  });
  test('too many chunk streams', () => {
    const reader = new ChunkReader({ maxChunkStreams: 2 });
    reader.push(hex('03 000000 000000 09 01000000 04 000000 000000 09 01000000'));
    expectProtocolError(() => reader.push(hex('05 000000 000000 09 01000000')), ProtocolErrorCode.TooLarge);
  });
});

describe('ChunkReader buffers and splits', () => {
  const stream = concat(
    hex('02 000000 000004 01 00000000 00000100'),
    hex('04 ffffff 000190 08 01000000 01000000'), fill(256, 1), hex('c4 01000000'), fill(144, 2),
    hex('06 000000 000190 09 01000000'), fill(256, 3),
    hex('04 ffffff 000190 08 01000000 02000000'), fill(256, 4),
    hex('c6'), fill(144, 5),
    hex('c4'), fill(144, 6), // continuation without the extended timestamp
    hex('01 02 01 000002 000001 12 00000000 bb'),
    hex('03 000028 000003 14 00000000 aabbcc'),
    hex('43 000002 000001 12 dd'),
  );
  const reference = new ChunkReader().push(stream);

  test('reference parse', () => {
    expect(reference.map(brief)).toEqual([
      { csid: 2, type: 1, ts: 0, msid: 0, len: 4 },
      { csid: 4, type: 8, ts: 0x01000000, msid: 1, len: 400 },
      { csid: 6, type: 9, ts: 0, msid: 1, len: 400 },
      { csid: 4, type: 8, ts: 0x02000000, msid: 1, len: 400 },
      { csid: 322, type: 18, ts: 2, msid: 0, len: 1 },
      { csid: 3, type: 20, ts: 40, msid: 0, len: 3 },
      { csid: 3, type: 18, ts: 42, msid: 0, len: 1 },
    ]);
  });

  test('split at every offset gives identical output', () => {
    expectEveryTwoPieceSplit(() => new ChunkReader(), stream, reference);
  });

  test('byte by byte gives identical output', () => {
    expectByteByByte(new ChunkReader(), stream, reference);
  });

  test('payloads are independent of the input buffer', () => {
    const input = stream.slice();
    const out = new ChunkReader().push(input);
    const before = out.map((m) => m.payload.slice());
    input.fill(0xee);
    expect(out.map((m) => m.payload)).toEqual(before);
    for (const m of out) expect(m.payload.buffer).not.toBe(input.buffer);
  });
});

describe('encodeChunks -> ChunkReader round trip', () => {
  test('random messages, chunk sizes and extended timestamps', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    for (const chunkSize of [1, 128, 300, 4096]) {
      const messages: RtmpMessage[] = [];
      for (let i = 0; i < 40; i++) {
        const csids = [3, 4, 63, 64, 319, 320, 65599];
        const timestamps = [0, 40, 0xfffffe, 0xffffff, 0x1000000, 0xffffffff];
        messages.push({
          chunkStreamId: csids[rand(csids.length)]!,
          typeId: [8, 9, 18, 20][rand(4)]!,
          timestamp: timestamps[rand(timestamps.length)]!,
          messageStreamId: rand(3),
          payload: fill(rand(1000), i),
        });
      }
      const wire = concat(encodeChunks(setChunkSizeMessage(chunkSize), 128), ...messages.map((m) => encodeChunks(m, chunkSize)));
      const reader = new ChunkReader();
      const out: RtmpMessage[] = [];
      for (let i = 0; i < wire.length; i += 97) out.push(...reader.push(wire.subarray(i, i + 97)));
      expect(out.slice(1)).toEqual(messages);
    }
  });

  test('exact bytes of a two-chunk extended-timestamp message', () => {
    const m: RtmpMessage = { chunkStreamId: 6, typeId: 9, timestamp: 0x01020304, messageStreamId: 1, payload: fill(5, 0) };
    expect(Buffer.from(encodeChunks(m, 3)).toString('hex')).toBe('06ffffff0000050901000000' + '01020304' + '00070e' + 'c6' + '01020304' + '151c');
  });
});
