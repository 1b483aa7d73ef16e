// The arena a shared output serializes into, the join that is a view when packets lie one after
// another, and the in-place serializers that fill it (byte for byte what the allocating ones make).
import { describe, expect, test } from 'bun:test';
import { encodeFlvTag, flvTagLength } from '../../src/flv/encode-flv.ts';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import { ByteArena } from '../../src/outputs/byte-arena.ts';
import { encodeFlvPacket, rtmpPacketEncoder } from '../../src/outputs/encoders.ts';
import { joinBatch, type MediaEntry } from '../../src/outputs/media-batch.ts';
import { encodeChunks, encodedChunksLength } from '../../src/rtmp/chunk-writer.ts';
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
  /** hands out used bytes, as an arena chunk may, and remembers what it handed out */
  const dirtyAllocator = () => {
    const handedOut: Uint8Array[] = [];
    const allocate = (size: number) => {
      const bytes = new Uint8Array(size).fill(0xee);
      handedOut.push(bytes);
      return bytes;
    };
    return { allocate, handedOut };
  };

  test('encodeChunks into given bytes makes what it makes alone (chunk sizes, chunk stream ids, extended timestamps)', () => {
    for (const chunkSize of [1, 128, 4096]) {
      for (const chunkStreamId of [3, 64, 319, 320, 65599]) {
        for (const timestamp of [0, 40, 0xfffffe, 0xffffff, 0x1_2345_678]) {
          for (const length of [0, 1, 127, 128, 129, 5000]) {
            const message: RtmpMessage = { chunkStreamId, typeId: 9, timestamp, messageStreamId: 0x01020304, payload: filled(length, timestamp) };
            const { allocate, handedOut } = dirtyAllocator();
            const out = encodeChunks(message, chunkSize, allocate);
            expect(handedOut).toEqual([out]);
            expect(out.byteLength).toBe(encodedChunksLength(message, chunkSize));
            expect([...out]).toEqual([...encodeChunks(message, chunkSize)]);
          }
        }
      }
    }
  });

  test('encodeChunks refuses an allocator that gives the wrong size, and a bad chunk size', () => {
    const message: RtmpMessage = { chunkStreamId: 4, typeId: 8, timestamp: 0, messageStreamId: 1, payload: filled(10, 0) };
    expect(() => encodeChunks(message, 128, (size) => new Uint8Array(size + 1))).toThrow(RangeError);
    expect(() => encodeChunks(message, 0)).toThrow(RangeError);
  });

  test('encodeFlvTag into given bytes makes what it makes alone, stream id zeroed in used bytes', () => {
    for (const [type, ts, length] of [[FlvTagType.Video, 0, 0], [FlvTagType.Audio, 0x12345678, 7], [FlvTagType.Script, 0xffffffff + 5, 300]] as const) {
      const body = filled(length, 9);
      const { allocate, handedOut } = dirtyAllocator();
      const out = encodeFlvTag(type, ts, body, allocate);
      expect(handedOut).toEqual([out]);
      expect(out.byteLength).toBe(flvTagLength(length));
      expect([...out]).toEqual([...encodeFlvTag(type, ts, body)]);
      expect([...out.subarray(8, 11)]).toEqual([0, 0, 0]);
    }
    expect(() => encodeFlvTag(FlvTagType.Video, 0, filled(3, 0), () => new Uint8Array(10))).toThrow(RangeError);
  });

  test("the shared formats take a packet's bytes from the allocator once", () => {
    const packet: MediaPacket = { type: 9, timestampMs: 1234, body: filled(9000, 4), header: false, randomAccess: true, discontinuity: false };
    const arena = new ByteArena(64 * 1024);
    const flv = encodeFlvPacket.encodeWith(packet, (size) => arena.take(size));
    expect([...flv]).toEqual([...encodeFlvTag(FlvTagType.Video, 1234, packet.body)]);
    const rtmp = rtmpPacketEncoder(4096, 1);
    const sizes: number[] = [];
    const chunks = rtmp.encodeWith(packet, (size) => {
      sizes.push(size);
      return arena.take(size);
    });
    expect(sizes).toEqual([chunks.byteLength]);
    expect([...chunks]).toEqual([...encodeChunks({ chunkStreamId: 6, typeId: 9, timestamp: 1234, messageStreamId: 1, payload: packet.body }, 4096)]);
    // both lie in the arena's one chunk, the RTMP chunks right after the FLV tag
    expect(chunks.buffer).toBe(flv.buffer);
    expect(chunks.byteOffset).toBe(flv.byteOffset + flv.byteLength);
  });
});
