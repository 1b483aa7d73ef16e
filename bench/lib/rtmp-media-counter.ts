// A chunk stream reader for load-test RTMP viewers (Adobe RTMP 1.0 §5.3): it parses every chunk
// header like src/rtmp/chunk-reader.ts, but does not reassemble audio and video messages; for
// those it reports size, first two and last four payload bytes to a sink. Every other message
// (control, commands, data) is reassembled and returned, so a ClientSession can run on top of it.
import { ProtocolError, ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { DEFAULT_CHUNK_SIZE_BYTES, RtmpMessageType, type RtmpMessage } from '../../src/rtmp/message-types.ts';
import type { MessageReader } from '../../src/rtmp/client-session.ts';

export interface MediaSink {
  onMedia(typeId: number, sizeBytes: number, b0: number, b1: number, tail32: number): void;
}

const TIMESTAMP_FIELD_EXTENDED = 0xffffff;
const MESSAGE_HEADER_BYTES = [11, 7, 3, 0] as const;
const MAX_HEADER_BYTES = 18;
const MAX_CHUNK_STREAMS = 64;

type Stream = {
  csid: number;
  typeId: number;
  messageStreamId: number;
  length: number;
  timestamp: number;
  delta: number;
  extended: boolean;
  extendedValue: number;
  inMessage: boolean;
  received: number;
  /** reassembly buffer for non-media messages */
  buffer: Uint8Array | null;
  b0: number;
  b1: number;
  tail32: number;
};

function isMedia(typeId: number): boolean {
  return typeId === RtmpMessageType.Audio || typeId === RtmpMessageType.Video;
}

export class RtmpMediaCounter implements MessageReader {
  private readonly streams = new Map<number, Stream>();
  private chunkSize = DEFAULT_CHUNK_SIZE_BYTES;
  private pending: Uint8Array | null = null;
  private current: Stream | null = null;
  private bodyRemaining = 0;

  constructor(
    private readonly sink: MediaSink,
    private readonly maxMessageSizeBytes: number,
  ) {}

  push(bytes: Uint8Array): RtmpMessage[] {
    const out: RtmpMessage[] = [];
    let offset = 0;
    while (this.pending !== null && offset < bytes.length) {
      const take = Math.min(bytes.length - offset, MAX_HEADER_BYTES * 2);
      const joined = new Uint8Array(this.pending.length + take);
      joined.set(this.pending);
      joined.set(bytes.subarray(offset, offset + take), this.pending.length);
      this.pending = null;
      offset += take;
      this.consume(joined, out);
    }
    if (offset < bytes.length) this.consume(offset === 0 ? bytes : bytes.subarray(offset), out);
    return out;
  }

  private consume(buf: Uint8Array, out: RtmpMessage[]): void {
    const end = buf.length;
    let pos = 0;
    while (pos < end) {
      const s = this.current;
      if (s !== null && this.bodyRemaining > 0) {
        const n = Math.min(this.bodyRemaining, end - pos);
        this.body(s, buf, pos, n);
        pos += n;
        this.bodyRemaining -= n;
        if (this.bodyRemaining === 0) {
          this.current = null;
          if (s.received === s.length) this.finish(s, out);
        }
        continue;
      }
      const used = this.header(buf, pos, end, out);
      if (used === 0) {
        this.pending = buf.slice(pos, end);
        return;
      }
      pos += used;
    }
  }

  private body(s: Stream, buf: Uint8Array, pos: number, n: number): void {
    const start = s.received;
    if (s.buffer !== null) {
      s.buffer.set(buf.subarray(pos, pos + n), start);
    } else {
      if (start === 0) s.b0 = buf[pos]!;
      if (start <= 1 && start + n > 1) s.b1 = buf[pos + 1 - start]!;
      const tailFrom = s.length - 4;
      if (start + n > tailFrom) {
        for (let k = Math.max(start, tailFrom); k < start + n; k++) s.tail32 = ((s.tail32 << 8) | buf[pos + (k - start)]!) >>> 0;
      }
    }
    s.received = start + n;
  }

  private finish(s: Stream, out: RtmpMessage[]): void {
    s.inMessage = false;
    s.received = 0;
    if (s.buffer === null) {
      this.sink.onMedia(s.typeId, s.length, s.b0, s.b1, s.tail32);
      return;
    }
    const payload = s.buffer;
    s.buffer = null;
    this.emit(s, payload, out);
  }

  private emit(s: Stream, payload: Uint8Array, out: RtmpMessage[]): void {
    if (s.typeId === RtmpMessageType.SetChunkSize) {
      const size = payload.length >= 4 ? ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0 : 0;
      if (size === 0 || size > 0x7fffffff) throw new ProtocolError(ProtocolErrorCode.Malformed, `invalid chunk size ${size}`);
      this.chunkSize = size;
    } else if (s.typeId === RtmpMessageType.Abort && payload.length >= 4) {
      const aborted = this.streams.get(((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0);
      if (aborted) {
        aborted.inMessage = false;
        aborted.buffer = null;
        aborted.received = 0;
      }
    }
    out.push({ chunkStreamId: s.csid, typeId: s.typeId, timestamp: s.timestamp, messageStreamId: s.messageStreamId, payload });
  }

  private header(buf: Uint8Array, pos: number, end: number, out: RtmpMessage[]): number {
    let p = pos;
    const b0 = buf[p++]!;
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    if (csid === 0) {
      if (p + 1 > end) return 0;
      csid = buf[p++]! + 64;
    } else if (csid === 1) {
      if (p + 2 > end) return 0;
      csid = buf[p]! + buf[p + 1]! * 256 + 64;
      p += 2;
    }
    const headerBytes = MESSAGE_HEADER_BYTES[fmt as 0 | 1 | 2 | 3];
    if (p + headerBytes > end) return 0;
    let s = this.streams.get(csid);
    if (s === undefined && fmt !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, `chunk fmt ${fmt} on unknown chunk stream ${csid}`);
    if (fmt === 3) {
      const st = s!;
      const starts = !st.inMessage;
      if (st.extended) {
        if (p + 4 > end) return 0;
        const v = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
        if (starts) {
          st.delta = v;
          st.extendedValue = v;
          p += 4;
        } else if (v === st.extendedValue) {
          p += 4;
        }
      }
      if (starts) st.timestamp = (st.timestamp + st.delta) >>> 0;
      return this.startChunk(st, p - pos, out);
    }
    const field = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
    const extended = field === TIMESTAMP_FIELD_EXTENDED;
    if (extended && p + headerBytes + 4 > end) return 0;
    let length = s?.length ?? 0;
    let typeId = s?.typeId ?? 0;
    let msid = s?.messageStreamId ?? 0;
    if (fmt <= 1) {
      length = (buf[p + 3]! << 16) | (buf[p + 4]! << 8) | buf[p + 5]!;
      typeId = buf[p + 6]!;
      if (length > this.maxMessageSizeBytes) throw new ProtocolError(ProtocolErrorCode.TooLarge, `message of ${length} bytes`);
    }
    if (fmt === 0) msid = (buf[p + 7]! | (buf[p + 8]! << 8) | (buf[p + 9]! << 16) | (buf[p + 10]! << 24)) >>> 0;
    p += headerBytes;
    const value = extended ? ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0 : field;
    if (extended) p += 4;
    if (s === undefined) {
      if (this.streams.size >= MAX_CHUNK_STREAMS) throw new ProtocolError(ProtocolErrorCode.TooLarge, 'too many chunk streams');
      s = {
        csid,
        typeId,
        messageStreamId: msid,
        length,
        timestamp: 0,
        delta: 0,
        extended: false,
        extendedValue: 0,
        inMessage: false,
        received: 0,
        buffer: null,
        b0: -1,
        b1: -1,
        tail32: 0,
      };
      this.streams.set(csid, s);
    }
    s.inMessage = false;
    s.buffer = null;
    s.received = 0;
    s.typeId = typeId;
    s.messageStreamId = msid;
    s.length = length;
    s.extended = extended;
    s.extendedValue = value;
    s.delta = value;
    s.timestamp = fmt === 0 ? value : (s.timestamp + value) >>> 0;
    return this.startChunk(s, p - pos, out);
  }

  private startChunk(s: Stream, headerLength: number, out: RtmpMessage[]): number {
    if (!s.inMessage) {
      if (s.length === 0) {
        if (isMedia(s.typeId)) this.sink.onMedia(s.typeId, 0, -1, -1, 0);
        else this.emit(s, new Uint8Array(0), out);
        return headerLength;
      }
      s.inMessage = true;
      s.received = 0;
      s.b0 = -1;
      s.b1 = -1;
      s.tail32 = 0;
      s.buffer = isMedia(s.typeId) ? null : new Uint8Array(s.length);
    }
    this.current = s;
    this.bodyRemaining = Math.min(this.chunkSize, s.length - s.received);
    return headerLength;
  }
}
