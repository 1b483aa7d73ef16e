// Incremental RTMP chunk stream parser: chunk headers fmt 0-3, extended timestamps, reassembly, Set Chunk Size and Abort (Adobe RTMP 1.0 §5.3, §5.4.1, §5.4.2).
import { readUint24BE, readUint32BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import {
  DEFAULT_CHUNK_SIZE_BYTES,
  MAX_CHUNK_SIZE_BYTES,
  RtmpMessageType,
  decodeUint32Payload,
  type RtmpMessage,
} from './message-types.ts';

const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_CHUNK_STREAMS = 64;
/** Message buffers start at most this big and grow as bytes arrive, so a declared length costs nothing until sent. */
const INITIAL_MESSAGE_CAPACITY_BYTES = 256 * 1024;
const TIMESTAMP_FIELD_EXTENDED = 0xffffff;
/** Message header length by fmt (§5.3.1.2). */
const MESSAGE_HEADER_BYTES = [11, 7, 3, 0] as const;
/** Largest complete chunk header: 3-byte basic header + 11-byte message header + 4-byte extended timestamp. */
const MAX_HEADER_BYTES = 18;

/** What the reader remembers per chunk stream id (§5.3.1.2: later headers inherit from earlier ones). */
type ChunkStreamState = {
  chunkStreamId: number;
  typeId: number;
  messageStreamId: number;
  messageLength: number;
  /** absolute timestamp of the current/last message */
  timestamp: number;
  /** value a fmt 3 header starting a new message adds (previous header's timestamp field, as ffmpeg/librtmp do) */
  timestampDelta: number;
  /** the last fmt 0/1/2 header used an extended timestamp, so fmt 3 chunks carry one too */
  extended: boolean;
  /** the 32-bit extended timestamp value of the current message's first chunk */
  extendedValue: number;
  /** partly received message, or null between messages */
  buffer: Uint8Array | null;
  received: number;
};

export type ChunkReaderOptions = { maxMessageSizeBytes?: number; maxChunkStreams?: number };

export class ChunkReader {
  private readonly maxMessageSizeBytes: number;
  private readonly maxChunkStreams: number;
  private readonly streams = new Map<number, ChunkStreamState>();
  private inChunkSize = DEFAULT_CHUNK_SIZE_BYTES;
  /** bytes of an incomplete chunk header carried over from the previous push (copied, at most MAX_HEADER_BYTES + 3) */
  private pending: Uint8Array | null = null;
  /** chunk stream whose chunk body is being read, and how many body bytes are left in this chunk */
  private current: ChunkStreamState | null = null;
  private bodyRemaining = 0;

  constructor(options?: ChunkReaderOptions) {
    this.maxMessageSizeBytes = options?.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES;
    this.maxChunkStreams = options?.maxChunkStreams ?? DEFAULT_MAX_CHUNK_STREAMS;
  }

  /** Chunk size the peer currently writes with. */
  get chunkSize(): number {
    return this.inChunkSize;
  }

  /** Feeds bytes; returns the messages they complete, in order. */
  push(bytes: Uint8Array): RtmpMessage[] {
    const out: RtmpMessage[] = [];
    let offset = 0;
    // An incomplete header is finished by joining it with a small slice of the new bytes, never the whole input.
    while (this.pending !== null && offset < bytes.length) {
      const take = Math.min(bytes.length - offset, MAX_HEADER_BYTES * 2);
      const pending = this.pending;
      const joined = new Uint8Array(pending.length + take);
      joined.set(pending);
      joined.set(bytes.subarray(offset, offset + take), pending.length);
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
      const state = this.current;
      if (state !== null && this.bodyRemaining > 0) {
        const n = Math.min(this.bodyRemaining, end - pos);
        this.appendBody(state, buf, pos, n);
        pos += n;
        this.bodyRemaining -= n;
        if (this.bodyRemaining === 0) this.finishChunk(state, out);
        continue;
      }
      const used = this.readHeader(buf, pos, end, out);
      if (used === 0) {
        this.pending = buf.slice(pos, end);
        return;
      }
      pos += used;
    }
  }

  private appendBody(state: ChunkStreamState, buf: Uint8Array, pos: number, n: number): void {
    let target = state.buffer!;
    const needed = state.received + n;
    if (needed > target.length) {
      let capacity = target.length * 2;
      if (capacity < needed) capacity = needed;
      if (capacity > state.messageLength) capacity = state.messageLength;
      const grown = new Uint8Array(capacity);
      grown.set(target.subarray(0, state.received));
      state.buffer = target = grown;
    }
    target.set(buf.subarray(pos, pos + n), state.received);
    state.received = needed;
  }

  private finishChunk(state: ChunkStreamState, out: RtmpMessage[]): void {
    this.current = null;
    if (state.received < state.messageLength) return;
    const payload = state.buffer!;
    state.buffer = null;
    state.received = 0;
    this.emit(state, payload, out);
  }

  private emit(state: ChunkStreamState, payload: Uint8Array, out: RtmpMessage[]): void {
    const message: RtmpMessage = {
      chunkStreamId: state.chunkStreamId,
      typeId: state.typeId,
      timestamp: state.timestamp,
      messageStreamId: state.messageStreamId,
      payload,
    };
    if (state.typeId === RtmpMessageType.SetChunkSize) {
      const size = decodeUint32Payload(payload, 'Set Chunk Size');
      if (size === 0 || size > MAX_CHUNK_SIZE_BYTES) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `invalid chunk size ${size}`);
      }
      this.inChunkSize = size;
    } else if (state.typeId === RtmpMessageType.Abort) {
      const aborted = this.streams.get(decodeUint32Payload(payload, 'Abort'));
      if (aborted !== undefined) {
        aborted.buffer = null;
        aborted.received = 0;
      }
    }
    out.push(message);
  }

  /** Parses one chunk header at `pos`; returns the bytes it used, or 0 if `buf` ends inside it. */
  private readHeader(buf: Uint8Array, pos: number, end: number, out: RtmpMessage[]): number {
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

    let state = this.streams.get(csid);
    if (state === undefined && fmt !== 0) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `chunk fmt ${fmt} on unknown chunk stream ${csid}`);
    }

    if (fmt === 3) {
      const s = state!;
      const startsMessage = s.buffer === null;
      if (s.extended) {
        if (p + 4 > end) return 0;
        const value = readUint32BE(buf, p);
        if (startsMessage) {
          s.timestampDelta = value;
          s.extendedValue = value;
          p += 4;
        } else if (value === s.extendedValue) {
          p += 4; // continuation chunk repeating the extended timestamp; some encoders omit it
        }
      }
      if (startsMessage) s.timestamp = (s.timestamp + s.timestampDelta) >>> 0;
      return this.startChunk(s, p - pos, out);
    }

    const field = readUint24BE(buf, p);
    const extended = field === TIMESTAMP_FIELD_EXTENDED;
    if (extended && p + headerBytes + 4 > end) return 0;
    let messageLength = state?.messageLength ?? 0;
    let typeId = state?.typeId ?? 0;
    let messageStreamId = state?.messageStreamId ?? 0;
    if (fmt <= 1) {
      messageLength = readUint24BE(buf, p + 3);
      typeId = buf[p + 6]!;
      if (messageLength > this.maxMessageSizeBytes) {
        throw new ProtocolError(
          ProtocolErrorCode.TooLarge,
          `message of ${messageLength} bytes on chunk stream ${csid} exceeds ${this.maxMessageSizeBytes}`,
        );
      }
    }
    if (fmt === 0) {
      // little-endian, RTMP's one such field (§5.3.1.2.1): media/bytes.ts has only the big-endian reads
      messageStreamId = (buf[p + 7]! | (buf[p + 8]! << 8) | (buf[p + 9]! << 16) | (buf[p + 10]! << 24)) >>> 0;
    }
    p += headerBytes;
    const value = extended ? readUint32BE(buf, p) : field;
    if (extended) p += 4;

    if (state === undefined) {
      if (this.streams.size >= this.maxChunkStreams) {
        throw new ProtocolError(ProtocolErrorCode.TooLarge, `more than ${this.maxChunkStreams} chunk streams`);
      }
      state = {
        chunkStreamId: csid,
        typeId,
        messageStreamId,
        messageLength,
        timestamp: 0,
        timestampDelta: 0,
        extended: false,
        extendedValue: 0,
        buffer: null,
        received: 0,
      };
      this.streams.set(csid, state);
    }
    // A full header in the middle of a message starts over: the partial message is dropped.
    state.buffer = null;
    state.received = 0;
    state.typeId = typeId;
    state.messageStreamId = messageStreamId;
    state.messageLength = messageLength;
    state.extended = extended;
    state.extendedValue = value;
    state.timestampDelta = value;
    state.timestamp = fmt === 0 ? value : (state.timestamp + value) >>> 0;
    return this.startChunk(state, p - pos, out);
  }

  /** Header parsed: set up the chunk body (allocating the message buffer on its first chunk). */
  private startChunk(state: ChunkStreamState, headerLength: number, out: RtmpMessage[]): number {
    if (state.buffer === null) {
      if (state.messageLength === 0) {
        this.emit(state, new Uint8Array(0), out);
        return headerLength;
      }
      state.buffer = new Uint8Array(Math.min(state.messageLength, INITIAL_MESSAGE_CAPACITY_BYTES));
      state.received = 0;
    }
    this.current = state;
    this.bodyRemaining = Math.min(this.inChunkSize, state.messageLength - state.received);
    return headerLength;
  }
}

