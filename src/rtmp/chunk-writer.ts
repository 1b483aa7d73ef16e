// Serializes one RTMP message into chunks: a fmt 0 first chunk and fmt 3 continuations, extended timestamp repeated (Adobe RTMP 1.0 §5.3.1).
import { type ByteAllocator, newBytes } from '../shared/byte-allocator.ts';
import type { RtmpMessage } from './message-types.ts';

const TIMESTAMP_FIELD_EXTENDED = 0xffffff;
const FMT_0 = 0x00;
const FMT_3 = 0xc0;
const MIN_CHUNK_STREAM_ID = 2;
const MAX_CHUNK_STREAM_ID = 65599;
const MAX_MESSAGE_LENGTH = 0xffffff;

function basicHeaderLength(chunkStreamId: number): number {
  return chunkStreamId < 64 ? 1 : chunkStreamId < 320 ? 2 : 3;
}

function writeBasicHeader(out: Uint8Array, p: number, fmtBits: number, chunkStreamId: number): number {
  if (chunkStreamId < 64) {
    out[p] = fmtBits | chunkStreamId;
    return p + 1;
  }
  const id = chunkStreamId - 64;
  if (chunkStreamId < 320) {
    out[p] = fmtBits;
    out[p + 1] = id;
    return p + 2;
  }
  out[p] = fmtBits | 1;
  out[p + 1] = id & 0xff;
  out[p + 2] = id >> 8;
  return p + 3;
}

/** Length in bytes of `encodeChunks(message, chunkSize)` without building it. */
export function encodedChunksLength(message: RtmpMessage, chunkSize: number): number {
  const length = message.payload.length;
  const basic = basicHeaderLength(message.chunkStreamId);
  const ext = message.timestamp >>> 0 >= TIMESTAMP_FIELD_EXTENDED ? 4 : 0;
  const continuations = length === 0 ? 0 : Math.ceil(length / chunkSize) - 1;
  return basic + 11 + ext + length + continuations * (basic + ext);
}

/**
 * Chunks one message with absolute timestamps and no header compression, so the same bytes
 * can be written to any connection that uses `chunkSize`. One allocation, from `allocate`: a
 * shared output passes its arena, so a window's messages lie one after another in one buffer.
 */
export function encodeChunks(message: RtmpMessage, chunkSize: number, allocate: ByteAllocator = newBytes): Uint8Array {
  checkMessage(message, chunkSize);
  const expected = encodedChunksLength(message, chunkSize);
  const out = allocate(expected);
  if (out.byteLength !== expected) throw new RangeError(`chunks of ${expected} bytes do not fit a buffer of ${out.byteLength}`);
  fillChunks(message, chunkSize, out);
  return out;
}

function fillChunks(message: RtmpMessage, chunkSize: number, out: Uint8Array): void {
  const { chunkStreamId, typeId, messageStreamId, payload } = message;
  const length = payload.length;
  const timestamp = message.timestamp >>> 0;
  const extended = timestamp >= TIMESTAMP_FIELD_EXTENDED;

  let p = writeBasicHeader(out, 0, FMT_0, chunkStreamId);
  const field = extended ? TIMESTAMP_FIELD_EXTENDED : timestamp;
  out[p] = field >>> 16;
  out[p + 1] = field >>> 8;
  out[p + 2] = field;
  out[p + 3] = length >>> 16;
  out[p + 4] = length >>> 8;
  out[p + 5] = length;
  out[p + 6] = typeId;
  out[p + 7] = messageStreamId; // little-endian (§5.3.1.2.1)
  out[p + 8] = messageStreamId >>> 8;
  out[p + 9] = messageStreamId >>> 16;
  out[p + 10] = messageStreamId >>> 24;
  p += 11;
  if (extended) p = writeExtended(out, p, timestamp);

  let offset = 0;
  for (;;) {
    const n = Math.min(chunkSize, length - offset);
    out.set(payload.subarray(offset, offset + n), p);
    p += n;
    offset += n;
    if (offset >= length) break;
    p = writeBasicHeader(out, p, FMT_3, chunkStreamId);
    if (extended) p = writeExtended(out, p, timestamp);
  }
}

function checkMessage(message: RtmpMessage, chunkSize: number): void {
  const { chunkStreamId, payload } = message;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`invalid chunk size ${chunkSize}`);
  if (!Number.isInteger(chunkStreamId) || chunkStreamId < MIN_CHUNK_STREAM_ID || chunkStreamId > MAX_CHUNK_STREAM_ID) {
    throw new RangeError(`invalid chunk stream id ${chunkStreamId}`);
  }
  if (payload.length > MAX_MESSAGE_LENGTH) throw new RangeError(`message of ${payload.length} bytes too long for RTMP`);
}

function writeExtended(out: Uint8Array, p: number, timestamp: number): number {
  out[p] = timestamp >>> 24;
  out[p + 1] = timestamp >>> 16;
  out[p + 2] = timestamp >>> 8;
  out[p + 3] = timestamp;
  return p + 4;
}
