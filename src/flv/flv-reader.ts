// Incremental FLV file/stream demuxer: header, PreviousTagSize and tag framing (Adobe FLV spec v10.1, Annex E.2-E.4.1).
import { readFlvTimestamp, readUint24BE, readUint32BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { FLV_HEADER_SIZE_BYTES, FLV_PREVIOUS_TAG_SIZE_BYTES, FLV_TAG_HEADER_SIZE_BYTES } from './encode-flv.ts';

export type FlvTag = {
  /** TagType (low 5 bits of the first header byte): 8 audio, 9 video, 18 script; others passed through */
  tagType: number;
  /** Timestamp | TimestampExtended << 24, read as unsigned 32-bit */
  timestampMs: number;
  /** an independent copy of the tag body */
  body: Uint8Array;
};

export type FlvReaderOptions = { maxTagSizeBytes?: number };

export const DEFAULT_MAX_FLV_TAG_SIZE_BYTES = 8 * 1024 * 1024;
/** Largest DataOffset accepted in the file header (v1 writes 9; later versions could grow it a little). */
const MAX_HEADER_SIZE_BYTES = 1024;
/** Largest idle reassembly buffer kept between pushes. */
const RETAINED_BUFFER_BYTES = 1024 * 1024;
const FILTER_AND_RESERVED_BITS = 0xe0;
const TAG_TYPE_BITS = 0x1f;

const Phase = { Header: 0, Tags: 1 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** push(bytes) -> complete tags; state is kept between calls and any split of the input gives the same tags. */
export class FlvReader {
  private readonly maxTagSizeBytes: number;
  private phase: Phase = Phase.Header;
  /** bytes received but not yet consumed, in pending[0, pendingLength) */
  private pending = new Uint8Array(0);
  private pendingLength = 0;

  constructor(options: FlvReaderOptions = {}) {
    this.maxTagSizeBytes = options.maxTagSizeBytes ?? DEFAULT_MAX_FLV_TAG_SIZE_BYTES;
  }

  push(bytes: Uint8Array): FlvTag[] {
    const tags: FlvTag[] = [];
    if (this.pendingLength === 0) {
      // Fast path: parse straight from the caller's bytes, keep only the incomplete tail.
      const consumed = this.parse(bytes, bytes.length, tags);
      this.keep(bytes.subarray(consumed));
      return tags;
    }
    this.append(bytes);
    const consumed = this.parse(this.pending, this.pendingLength, tags);
    this.pending.copyWithin(0, consumed, this.pendingLength);
    this.pendingLength -= consumed;
    // Release a buffer grown for one big tag once it has been drained.
    if (this.pendingLength === 0 && this.pending.length > RETAINED_BUFFER_BYTES) this.pending = new Uint8Array(0);
    return tags;
  }

  /** Parses as many whole units as `view[0, length)` holds; returns the bytes consumed. */
  private parse(view: Uint8Array, length: number, out: FlvTag[]): number {
    let at = 0;
    if (this.phase === Phase.Header) {
      const used = this.parseHeader(view, length);
      if (used === 0) return 0;
      at = used;
      this.phase = Phase.Tags;
    }
    const overhead = FLV_TAG_HEADER_SIZE_BYTES + FLV_PREVIOUS_TAG_SIZE_BYTES;
    while (length - at >= FLV_TAG_HEADER_SIZE_BYTES) {
      const first = view[at]!;
      if ((first & FILTER_AND_RESERVED_BITS) !== 0) {
        throw new ProtocolError(ProtocolErrorCode.Unsupported, `FLV tag: filtered (encrypted) or reserved bits set`);
      }
      const dataSize = readUint24BE(view, at + 1);
      if (dataSize > this.maxTagSizeBytes) {
        throw new ProtocolError(ProtocolErrorCode.TooLarge, `FLV tag of ${dataSize} bytes over ${this.maxTagSizeBytes}`);
      }
      if (length - at < dataSize + overhead) break;
      const tagSize = FLV_TAG_HEADER_SIZE_BYTES + dataSize;
      const p = at + tagSize;
      const previousTagSize = readUint32BE(view, p);
      if (previousTagSize !== tagSize) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `FLV PreviousTagSize ${previousTagSize}, expected ${tagSize}`);
      }
      const timestampMs = readFlvTimestamp(view, at + 4);
      out.push({
        tagType: first & TAG_TYPE_BITS,
        timestampMs,
        body: view.slice(at + FLV_TAG_HEADER_SIZE_BYTES, p),
      });
      at = p + FLV_PREVIOUS_TAG_SIZE_BYTES;
    }
    return at;
  }

  /** The file header plus PreviousTagSize0: returns bytes used, or 0 when more are needed. */
  private parseHeader(view: Uint8Array, length: number): number {
    // Check the signature as soon as its bytes arrive so garbage fails early.
    for (let i = 0; i < 3 && i < length; i++) {
      if (view[i] !== 'FLV'.charCodeAt(i)) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, 'FLV header: bad signature');
      }
    }
    if (length < FLV_HEADER_SIZE_BYTES) return 0;
    const dataOffset = readUint32BE(view, 5);
    if (dataOffset < FLV_HEADER_SIZE_BYTES || dataOffset > MAX_HEADER_SIZE_BYTES) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `FLV header: DataOffset ${dataOffset}`);
    }
    const used = dataOffset + FLV_PREVIOUS_TAG_SIZE_BYTES;
    if (length < used) return 0;
    for (let i = dataOffset; i < used; i++) {
      if (view[i] !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'FLV header: PreviousTagSize0 is not 0');
    }
    return used;
  }

  private keep(tail: Uint8Array): void {
    this.pendingLength = 0;
    if (tail.length > 0) this.append(tail);
  }

  private append(bytes: Uint8Array): void {
    const needed = this.pendingLength + bytes.length;
    if (needed > this.pending.length) {
      const grown = new Uint8Array(Math.max(needed, this.pending.length * 2, 4096));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(bytes, this.pendingLength);
    this.pendingLength = needed;
  }
}
