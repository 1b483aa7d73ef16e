// Incremental HTTP/1.1 response reader for load-test clients (RFC 9112 §4-§7): status line and
// headers, then the body as slices: chunked, Content-Length or until close; or raw bytes after a
// 101 Switching Protocols. Copies only the head and chunk-size lines.

export class HttpResponseError extends Error {
  override readonly name = 'HttpResponseError';
}

export type HttpHead = { status: number; headers: Map<string, string> };

const Mode = { Head: 0, Raw: 1, Length: 2, ChunkSize: 3, ChunkData: 4, ChunkCrlf: 5, Done: 6 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

const MAX_HEAD_BYTES = 16 * 1024;
const MAX_CHUNK_LINE_BYTES = 256;
const decoder = new TextDecoder();

export class HttpResponseReader {
  private mode: Mode = Mode.Head;
  private line: number[] = [];
  private headBytes: Uint8Array = new Uint8Array(0);
  private remaining = 0;
  head: HttpHead | undefined;

  constructor(
    private readonly onHead: (head: HttpHead) => void,
    private readonly onBody: (bytes: Uint8Array) => void,
  ) {}

  get done(): boolean {
    return this.mode === Mode.Done;
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      switch (this.mode) {
        case Mode.Head:
          i = this.readHead(bytes, i);
          break;
        case Mode.Raw:
          this.onBody(i === 0 ? bytes : bytes.subarray(i));
          return;
        case Mode.Length:
          i = this.take(bytes, i, true);
          if (this.remaining === 0) this.mode = Mode.Done;
          break;
        case Mode.ChunkSize: {
          const b = bytes[i++]!;
          if (b === 0x0a) {
            const text = String.fromCharCode(...this.line).trim();
            this.line = [];
            const size = parseInt(text.split(';')[0] ?? '', 16);
            if (!Number.isFinite(size) || size < 0) throw new HttpResponseError(`bad chunk size line '${text}'`);
            if (size === 0) {
              this.mode = Mode.Done;
            } else {
              this.remaining = size;
              this.mode = Mode.ChunkData;
            }
          } else {
            this.line.push(b);
            if (this.line.length > MAX_CHUNK_LINE_BYTES) throw new HttpResponseError('chunk size line too long');
          }
          break;
        }
        case Mode.ChunkData:
          i = this.take(bytes, i, true);
          if (this.remaining === 0) {
            this.mode = Mode.ChunkCrlf;
            this.remaining = 2;
          }
          break;
        case Mode.ChunkCrlf:
          i = this.take(bytes, i, false);
          if (this.remaining === 0) this.mode = Mode.ChunkSize;
          break;
        case Mode.Done:
          return;
      }
    }
  }

  /** up to `remaining` bytes from i, to onBody when they are body; returns where they end */
  private take(bytes: Uint8Array, i: number, body: boolean): number {
    const end = Math.min(bytes.length, i + this.remaining);
    if (body) this.onBody(bytes.subarray(i, end));
    this.remaining -= end - i;
    return end;
  }

  private readHead(bytes: Uint8Array, from: number): number {
    const prev = this.headBytes;
    const joined = new Uint8Array(prev.length + bytes.length - from);
    joined.set(prev, 0);
    joined.set(bytes.subarray(from), prev.length);
    let end = -1;
    for (let k = Math.max(0, prev.length - 3); k + 3 < joined.length; k++) {
      if (joined[k] === 0x0d && joined[k + 1] === 0x0a && joined[k + 2] === 0x0d && joined[k + 3] === 0x0a) {
        end = k;
        break;
      }
    }
    if (end < 0) {
      if (joined.length > MAX_HEAD_BYTES) throw new HttpResponseError('response head too large');
      this.headBytes = joined;
      return bytes.length;
    }
    this.headBytes = new Uint8Array(0);
    const lines = decoder.decode(joined.subarray(0, end)).split('\r\n');
    const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!statusMatch) throw new HttpResponseError(`bad status line '${lines[0] ?? ''}'`);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(':');
      if (colon > 0) headers.set(l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim());
    }
    const head: HttpHead = { status: Number(statusMatch[1]), headers };
    this.head = head;
    const te = headers.get('transfer-encoding')?.toLowerCase() ?? '';
    const length = headers.get('content-length');
    if (head.status === 101) this.mode = Mode.Raw;
    else if (te.includes('chunked')) this.mode = Mode.ChunkSize;
    else if (length !== undefined) {
      this.remaining = Number(length);
      this.mode = this.remaining > 0 ? Mode.Length : Mode.Done;
    } else this.mode = Mode.Raw;
    this.onHead(head);
    // bytes consumed from `bytes`: everything up to the end of the head
    return from + (end + 4 - prev.length);
  }
}
