// FLV file header and tag framing for HTTP-FLV/WebSocket-FLV output (Adobe FLV spec v10.1, Annex E.2-E.4.1).
import { type ByteAllocator, newBytes } from '../shared/byte-allocator.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { FlvTagType } from './flv-tag-type.ts';

export const FLV_HEADER_SIZE_BYTES = 9;
export const FLV_TAG_HEADER_SIZE_BYTES = 11;
export const FLV_PREVIOUS_TAG_SIZE_BYTES = 4;
/** DataSize is UI24. */
export const FLV_MAX_TAG_BODY_BYTES = 0xffffff;

const FLV_VERSION = 1;
const FLAG_AUDIO = 0x04;
const FLAG_VIDEO = 0x01;

/** The 9-byte FLV header followed by PreviousTagSize0 (4 zero bytes): 13 bytes. */
export function encodeFlvHeader(options: { hasAudio: boolean; hasVideo: boolean }): Uint8Array {
  const out = new Uint8Array(FLV_HEADER_SIZE_BYTES + FLV_PREVIOUS_TAG_SIZE_BYTES);
  out[0] = 0x46; // 'F'
  out[1] = 0x4c; // 'L'
  out[2] = 0x56; // 'V'
  out[3] = FLV_VERSION;
  out[4] = (options.hasAudio ? FLAG_AUDIO : 0) | (options.hasVideo ? FLAG_VIDEO : 0);
  out[8] = FLV_HEADER_SIZE_BYTES; // DataOffset UI32 = 9
  return out;
}

/** Bytes `encodeFlvTag` makes of a body this long: header, body and PreviousTagSize. */
export function flvTagLength(bodyLength: number): number {
  return FLV_TAG_HEADER_SIZE_BYTES + bodyLength + FLV_PREVIOUS_TAG_SIZE_BYTES;
}

/**
 * One FLV tag: 11-byte header (stream id 0), the body, then PreviousTagSize, in a single
 * allocation from `allocate` (a shared output passes its arena, so a window's tags lie one after
 * another in one buffer). `timestampMs` is taken modulo 2^32 (lower 24 bits, then TimestampExtended).
 */
export function encodeFlvTag(tagType: FlvTagType, timestampMs: number, body: Uint8Array, allocate: ByteAllocator = newBytes): Uint8Array {
  checkBody(body);
  const expected = flvTagLength(body.length);
  const out = allocate(expected);
  if (out.byteLength !== expected) throw new RangeError(`an FLV tag of ${expected} bytes does not fit a buffer of ${out.byteLength}`);
  fillFlvTag(tagType, timestampMs, body, out);
  return out;
}

function checkBody(body: Uint8Array): void {
  if (body.length > FLV_MAX_TAG_BODY_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.TooLarge, `FLV tag body of ${body.length} bytes exceeds UI24`);
  }
}

function fillFlvTag(tagType: FlvTagType, timestampMs: number, body: Uint8Array, out: Uint8Array): void {
  const dataSize = body.length;
  const tagSize = FLV_TAG_HEADER_SIZE_BYTES + dataSize;
  const ts = timestampMs >>> 0;
  out[0] = tagType;
  out[1] = dataSize >>> 16;
  out[2] = dataSize >>> 8;
  out[3] = dataSize;
  out[4] = ts >>> 16;
  out[5] = ts >>> 8;
  out[6] = ts;
  out[7] = ts >>> 24;
  // StreamID, always 0 (written: the buffer may not be fresh)
  out[8] = 0;
  out[9] = 0;
  out[10] = 0;
  out.set(body, FLV_TAG_HEADER_SIZE_BYTES);
  out[tagSize] = tagSize >>> 24;
  out[tagSize + 1] = tagSize >>> 16;
  out[tagSize + 2] = tagSize >>> 8;
  out[tagSize + 3] = tagSize;
}
