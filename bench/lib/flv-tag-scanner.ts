// Light incremental FLV tag-boundary scanner for load-test viewers (FLV v10 file format, Annex E).
// It copies nothing: per tag it reports type, body size, timestamp, the first two body bytes
// (enough for keyframe / sequence-header detection) and the last four body bytes (a cheap
// frame key for latency matching). Any split of the same input yields the same tags.

export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;

export interface FlvTagSink {
  /** b0/b1: first two body bytes (-1 when the body is shorter); tail32: last 4 body bytes as uint32 (0 when shorter) */
  onTag(tagType: number, bodySizeBytes: number, timestampMs: number, b0: number, b1: number, tail32: number): void;
}

const State = { FileHeader: 0, TagHeader: 1, Body: 2, PrevSize: 3 } as const;
type State = (typeof State)[keyof typeof State];

const FILE_HEADER_BYTES = 9;
const PREV_TAG_SIZE_BYTES = 4;
const TAG_HEADER_BYTES = 11;

export class FlvScanError extends Error {
  override readonly name = 'FlvScanError';
}

export class FlvTagScanner {
  private state: State = State.FileHeader;
  private readonly head = new Uint8Array(16);
  private headFill = 0;
  /** bytes still to consume in the current state (Body, PrevSize) */
  private remaining = 0;
  private tagType = 0;
  private bodySize = 0;
  private timestampMs = 0;
  private b0 = -1;
  private b1 = -1;
  private tail32 = 0;
  private bodyPos = 0;
  tagCount = 0;

  constructor(
    private readonly sink: FlvTagSink,
    private readonly maxTagBytes = 16 * 1024 * 1024,
    expectFileHeader = true,
  ) {
    if (!expectFileHeader) {
      this.state = State.TagHeader;
    }
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      switch (this.state) {
        case State.FileHeader: {
          const copy = Math.min(FILE_HEADER_BYTES - this.headFill, n - i);
          this.head.set(bytes.subarray(i, i + copy), this.headFill);
          this.headFill += copy;
          i += copy;
          if (this.headFill === FILE_HEADER_BYTES) {
            const h = this.head;
            if (h[0] !== 0x46 || h[1] !== 0x4c || h[2] !== 0x56) throw new FlvScanError('not an FLV stream');
            const dataOffset = ((h[5]! << 24) | (h[6]! << 16) | (h[7]! << 8) | h[8]!) >>> 0;
            if (dataOffset < FILE_HEADER_BYTES || dataOffset > 1024) throw new FlvScanError(`bad FLV header size ${dataOffset}`);
            this.toPrevSize();
            this.remaining += dataOffset - FILE_HEADER_BYTES; // header extension, then PreviousTagSize0
          }
          break;
        }
        case State.TagHeader: {
          if (this.headFill === 0 && n - i >= TAG_HEADER_BYTES) {
            this.readTagHeader(bytes, i);
            i += TAG_HEADER_BYTES;
          } else {
            const copy = Math.min(TAG_HEADER_BYTES - this.headFill, n - i);
            this.head.set(bytes.subarray(i, i + copy), this.headFill);
            this.headFill += copy;
            i += copy;
            if (this.headFill === TAG_HEADER_BYTES) {
              this.headFill = 0;
              this.readTagHeader(this.head, 0);
            }
          }
          break;
        }
        case State.Body: {
          const take = Math.min(this.remaining, n - i);
          const start = this.bodyPos;
          if (start === 0 && take > 0) this.b0 = bytes[i]!;
          if (start <= 1 && start + take > 1) this.b1 = bytes[i + 1 - start]!;
          // last 4 body bytes: those at body offsets >= bodySize - 4 that fall in this slice
          const tailFrom = this.bodySize - 4;
          if (start + take > tailFrom) {
            for (let k = Math.max(start, tailFrom); k < start + take; k++) {
              this.tail32 = ((this.tail32 << 8) | bytes[i + (k - start)]!) >>> 0;
            }
          }
          this.bodyPos += take;
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.tagCount++;
            this.sink.onTag(this.tagType, this.bodySize, this.timestampMs, this.b0, this.b1, this.tail32);
            this.toPrevSize();
          }
          break;
        }
        case State.PrevSize: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.state = State.TagHeader;
            this.headFill = 0;
          }
          break;
        }
      }
    }
  }

  private toPrevSize(): void {
    this.state = State.PrevSize;
    this.remaining = PREV_TAG_SIZE_BYTES;
    this.headFill = 0;
  }

  private readTagHeader(b: Uint8Array, o: number): void {
    const tagType = b[o]! & 0x1f; // filter bit and reserved bits aside
    const size = (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
    const ts = ((b[o + 7]! << 24) | (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!) >>> 0;
    if (size > this.maxTagBytes) throw new FlvScanError(`FLV tag of ${size} bytes over the limit`);
    this.tagType = tagType;
    this.bodySize = size;
    this.timestampMs = ts;
    this.b0 = -1;
    this.b1 = -1;
    this.tail32 = 0;
    this.bodyPos = 0;
    if (size === 0) {
      this.tagCount++;
      this.sink.onTag(tagType, 0, ts, -1, -1, 0);
      this.toPrevSize();
      return;
    }
    this.state = State.Body;
    this.remaining = size;
  }
}
