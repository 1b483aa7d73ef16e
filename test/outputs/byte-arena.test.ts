// The arena a shared output serializes into, the join that is a view when packets lie one after
// another, and the in-place serializers that fill it (byte for byte what the allocating ones make).
import { describe, expect, test } from 'bun:test';
import { encodeFlvTag, flvTagLength, writeFlvTagInto } from '../../src/flv/encode-flv.ts';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import { ByteArena } from '../../src/outputs/byte-arena.ts';
import { encodeFlvPacket, rtmpPacketEncoder } from '../../src/outputs/encoders.ts';
import { joinBatch, type MediaEntry } from '../../src/outputs/media-batch.ts';
import { encodeChunks, encodedChunksLength, writeChunksInto } from '../../src/rtmp/chunk-writer.ts';
import type { RtmpMessage } from '../../src/rtmp/message-types.ts';
import type { MediaPacket } from '../../src/hub/media-packet.ts';

const entry = (bytes: Uint8Array): MediaEntry => ({ bytes, kind: 'video', randomAccess: false, timestampMs: 0 });
const filled = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 0xff);

describe('ByteArena', () => {
  test('takes one after another are contiguous in one chunk', () => {
    const arena = new ByteArena(64);
    const a = arena.take(10);
    const b = arena.take(20);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 10);
    expect(arena.chunksStarted).toBe(1);
  });

  test('a take that does not fit starts a new chunk; one larger than a chunk gets its own', () => {
    const arena = new ByteArena(64);
    const a = arena.take(60);
    const b = arena.take(10);
    expect(b.buffer).not.toBe(a.buffer);
    expect(b.byteOffset).toBe(0);
    const big = arena.take(200);
    expect(big.byteLength).toBe(200);
    expect(big.buffer.byteLength).toBe(200);
    expect(arena.chunksStarted).toBe(3);
  });

  test('copy lays the bytes in the arena, equal and not the same object', () => {
    const arena = new ByteArena(64);
    const source = filled(12, 3);
    const copy = arena.copy(source);
    expect([...copy]).toEqual([...source]);
    expect(copy.buffer).not.toBe(source.buffer);
  });

  test('rejects sizes that are not byte counts', () => {
    expect(() => new ByteArena(0)).toThrow(RangeError);
    const arena = new ByteArena(64);
    expect(() => arena.take(-1)).toThrow(RangeError);
    expect(() => arena.take(1.5)).toThrow(RangeError);
  });
});

describe('joinBatch', () => {
  test('entries one after another in one buffer join as a view: no copy', () => {
    const arena = new ByteArena(1024);
    const parts = [filled(5, 1), filled(9, 2), filled(3, 3)].map((p) => arena.copy(p));
    const batch = joinBatch(parts.map(entry));
    expect(batch.bytes.buffer).toBe(parts[0]!.buffer);
    expect(batch.bytes.byteOffset).toBe(parts[0]!.byteOffset);
    expect([...batch.bytes]).toEqual(parts.flatMap((p) => [...p]));
  });

  test('entries in separate buffers, or with a gap between them, are joined by copying', () => {
    const separate = [filled(4, 1), filled(4, 2)];
    const joined = joinBatch(separate.map(entry));
    expect(joined.bytes.buffer).not.toBe(separate[0]!.buffer);
    expect([...joined.bytes]).toEqual(separate.flatMap((p) => [...p]));

    const arena = new ByteArena(1024);
    const first = arena.copy(filled(4, 5));
    arena.take(2); // a gap: what is between the two entries must not be sent
    const second = arena.copy(filled(4, 6));
    const gapped = joinBatch([entry(first), entry(second)]);
    expect(gapped.bytes.buffer).not.toBe(first.buffer);
    expect([...gapped.bytes]).toEqual([...first, ...second]);
  });

  test('entries out of order in one buffer are joined in their order, by copying', () => {
    const arena = new ByteArena(1024);
    const a = arena.copy(filled(4, 1));
    const b = arena.copy(filled(4, 2));
    expect([...joinBatch([entry(b), entry(a)]).bytes]).toEqual([...b, ...a]);
  });
});

describe('in-place serializers', () => {
  test('writeChunksInto makes what encodeChunks makes (chunk sizes, chunk stream ids, extended timestamps)', () => {
    for (const chunkSize of [1, 128, 4096]) {
      for (const chunkStreamId of [3, 64, 319, 320, 65599]) {
        for (const timestamp of [0, 40, 0xfffffe, 0xffffff, 0x1_2345_678]) {
          for (const length of [0, 1, 127, 128, 129, 5000]) {
            const message: RtmpMessage = { chunkStreamId, typeId: 9, timestamp, messageStreamId: 0x01020304, payload: filled(length, timestamp) };
            const out = new Uint8Array(encodedChunksLength(message, chunkSize)).fill(0xee);
            writeChunksInto(message, chunkSize, out);
            expect([...out]).toEqual([...encodeChunks(message, chunkSize)]);
          }
        }
      }
    }
  });

  test('writeChunksInto refuses a buffer of the wrong size and a bad chunk size', () => {
    const message: RtmpMessage = { chunkStreamId: 4, typeId: 8, timestamp: 0, messageStreamId: 1, payload: filled(10, 0) };
    const size = encodedChunksLength(message, 128);
    expect(() => writeChunksInto(message, 128, new Uint8Array(size + 1))).toThrow(RangeError);
    expect(() => writeChunksInto(message, 0, new Uint8Array(size))).toThrow(RangeError);
  });

  test('writeFlvTagInto makes what encodeFlvTag makes, stream id zeroed in a used buffer', () => {
    for (const [type, ts, length] of [[FlvTagType.Video, 0, 0], [FlvTagType.Audio, 0x12345678, 7], [FlvTagType.Script, 0xffffffff + 5, 300]] as const) {
      const body = filled(length, 9);
      const out = new Uint8Array(flvTagLength(length)).fill(0xee);
      writeFlvTagInto(type, ts, body, out);
      expect([...out]).toEqual([...encodeFlvTag(type, ts, body)]);
      expect([...out.subarray(8, 11)]).toEqual([0, 0, 0]);
    }
    expect(() => writeFlvTagInto(FlvTagType.Video, 0, filled(3, 0), new Uint8Array(10))).toThrow(RangeError);
  });

  test('the shared formats size and write a packet as one piece', () => {
    const packet: MediaPacket = { type: 9, timestampMs: 1234, body: filled(9000, 4), header: false, randomAccess: true, discontinuity: false };
    const flv = new Uint8Array(encodeFlvPacket.sizeOf(packet));
    encodeFlvPacket.writeInto(packet, flv);
    expect([...flv]).toEqual([...encodeFlvTag(FlvTagType.Video, 1234, packet.body)]);
    const rtmp = rtmpPacketEncoder(4096, 1);
    const chunks = new Uint8Array(rtmp.sizeOf(packet));
    rtmp.writeInto(packet, chunks);
    expect([...chunks]).toEqual([...encodeChunks({ chunkStreamId: 6, typeId: 9, timestamp: 1234, messageStreamId: 1, payload: packet.body }, 4096)]);
  });
});
