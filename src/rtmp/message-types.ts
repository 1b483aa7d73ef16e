// RTMP message type ids, chunk stream ids and protocol control / user control message codecs (Adobe RTMP 1.0 §5.4, §6.2, §7.1.7).
import { readUint16BE, readUint32BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export const RtmpMessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;
export type RtmpMessageType = (typeof RtmpMessageType)[keyof typeof RtmpMessageType];

export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;
export type UserControlEvent = (typeof UserControlEvent)[keyof typeof UserControlEvent];

/** Chunk stream ids Weir writes with. Audio/Data/Video are used by the shared media output. */
export const ChunkStreamId = { ProtocolControl: 2, Command: 3, Audio: 4, Data: 5, Video: 6 } as const;
export type ChunkStreamId = (typeof ChunkStreamId)[keyof typeof ChunkStreamId];

/** Limit type of Set Peer Bandwidth (§5.4.5). */
export const PeerBandwidthLimit = { Hard: 0, Soft: 1, Dynamic: 2 } as const;
export type PeerBandwidthLimit = (typeof PeerBandwidthLimit)[keyof typeof PeerBandwidthLimit];

/** Chunk size both sides use until a Set Chunk Size message says otherwise (§5.4.1). */
export const DEFAULT_CHUNK_SIZE_BYTES = 128;
/** Largest chunk size a Set Chunk Size message may carry (31 bits, §5.4.1). */
export const MAX_CHUNK_SIZE_BYTES = 0x7fffffff;
/** Message stream id of protocol control messages and NetConnection commands. */
export const CONTROL_MESSAGE_STREAM_ID = 0;

export type RtmpMessage = {
  chunkStreamId: number;
  typeId: number;
  timestamp: number;
  messageStreamId: number;
  payload: Uint8Array;
};

function uint32Payload(value: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, value >>> 0);
  return payload;
}

function controlMessage(typeId: RtmpMessageType, payload: Uint8Array): RtmpMessage {
  return {
    chunkStreamId: ChunkStreamId.ProtocolControl,
    typeId,
    timestamp: 0,
    messageStreamId: CONTROL_MESSAGE_STREAM_ID,
    payload,
  };
}

/** Set Chunk Size (§5.4.1). */
export function setChunkSizeMessage(chunkSizeBytes: number): RtmpMessage {
  if (!Number.isInteger(chunkSizeBytes) || chunkSizeBytes < 1 || chunkSizeBytes > MAX_CHUNK_SIZE_BYTES) {
    throw new RangeError(`chunk size out of range: ${chunkSizeBytes}`);
  }
  return controlMessage(RtmpMessageType.SetChunkSize, uint32Payload(chunkSizeBytes));
}

/** Acknowledgement (§5.4.3): sequence number = bytes received so far (mod 2^32). */
export function acknowledgementMessage(sequenceNumber: number): RtmpMessage {
  return controlMessage(RtmpMessageType.Acknowledgement, uint32Payload(sequenceNumber));
}

/** Window Acknowledgement Size (§5.4.4). */
export function windowAckSizeMessage(windowSizeBytes: number): RtmpMessage {
  return controlMessage(RtmpMessageType.WindowAckSize, uint32Payload(windowSizeBytes));
}

/** Set Peer Bandwidth (§5.4.5). */
export function setPeerBandwidthMessage(windowSizeBytes: number, limit: PeerBandwidthLimit): RtmpMessage {
  const payload = new Uint8Array(5);
  new DataView(payload.buffer).setUint32(0, windowSizeBytes >>> 0);
  payload[4] = limit;
  return controlMessage(RtmpMessageType.SetPeerBandwidth, payload);
}

/** User Control Message (§6.2, §7.1.7): event type + 4-byte value (+ 4-byte buffer length for SetBufferLength). */
export function userControlMessage(event: UserControlEvent, value: number, bufferLengthMs?: number): RtmpMessage {
  const withLength = event === UserControlEvent.SetBufferLength;
  const payload = new Uint8Array(withLength ? 10 : 6);
  const view = new DataView(payload.buffer);
  view.setUint16(0, event);
  view.setUint32(2, value >>> 0);
  if (withLength) view.setUint32(6, (bufferLengthMs ?? 0) >>> 0);
  return controlMessage(RtmpMessageType.UserControl, payload);
}

export function streamBeginMessage(streamId: number): RtmpMessage {
  return userControlMessage(UserControlEvent.StreamBegin, streamId);
}
export function streamEofMessage(streamId: number): RtmpMessage {
  return userControlMessage(UserControlEvent.StreamEof, streamId);
}
export function pingRequestMessage(timestamp: number): RtmpMessage {
  return userControlMessage(UserControlEvent.PingRequest, timestamp);
}
export function pingResponseMessage(timestamp: number): RtmpMessage {
  return userControlMessage(UserControlEvent.PingResponse, timestamp);
}

/** Reads the 4-byte big-endian value protocol control messages 1, 2, 3 and 5 carry. */
export function decodeUint32Payload(payload: Uint8Array, what: string): number {
  if (payload.length < 4) {
    throw new ProtocolError(ProtocolErrorCode.Truncated, `${what} payload is ${payload.length} bytes, need 4`);
  }
  return readUint32BE(payload, 0);
}

export type DecodedUserControl = {
  event: number;
  /** stream id, or timestamp for ping request/response */
  value: number;
  /** only for SetBufferLength */
  bufferLengthMs?: number;
};

/** Decodes a User Control message body (§7.1.7). Unknown event types decode with value 0 if too short. */
export function decodeUserControl(payload: Uint8Array): DecodedUserControl {
  if (payload.length < 2) {
    throw new ProtocolError(ProtocolErrorCode.Truncated, 'user control message shorter than 2 bytes');
  }
  const event = readUint16BE(payload, 0);
  const known = Object.values(UserControlEvent) as number[];
  if (payload.length < 6) {
    if (known.includes(event)) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, `user control event ${event} shorter than 6 bytes`);
    }
    return { event, value: 0 };
  }
  const value = decodeUint32Payload(payload.subarray(2), 'user control');
  if (event === UserControlEvent.SetBufferLength) {
    if (payload.length < 10) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, 'SetBufferLength shorter than 10 bytes');
    }
    return { event, value, bufferLengthMs: decodeUint32Payload(payload.subarray(6), 'SetBufferLength') };
  }
  return { event, value };
}
