// The per-format serializers a SerializedOutput runs once per packet, writing into its arena.
import { flvTagLength, writeFlvTagInto } from '../flv/encode-flv.ts';
import type { FlvTagType } from '../flv/flv-tag-type.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import { encodedChunksLength, writeChunksInto } from '../rtmp/chunk-writer.ts';
import { ChunkStreamId, type RtmpMessage } from '../rtmp/message-types.ts';
import type { SizedPacketEncoder } from './serialized-output.ts';

export const FLV_FORMAT = 'flv';

export const encodeFlvPacket: SizedPacketEncoder = {
  sizeOf: (packet) => flvTagLength(packet.body.byteLength),
  writeInto: (packet, out) => writeFlvTagInto(packet.type as FlvTagType, packet.timestampMs, packet.body, out),
};

export function rtmpFormat(chunkSize: number, messageStreamId: number): string {
  return `rtmp:${chunkSize}:${messageStreamId}`;
}

const CHUNK_STREAM_BY_TYPE: Readonly<Record<number, number>> = {
  8: ChunkStreamId.Audio,
  9: ChunkStreamId.Video,
  18: ChunkStreamId.Data,
};

/** RTMP chunks with absolute timestamps and one chunk size, so every player can share them. */
export function rtmpPacketEncoder(chunkSize: number, messageStreamId: number): SizedPacketEncoder {
  const messageOf = (packet: MediaPacket): RtmpMessage => ({
    chunkStreamId: CHUNK_STREAM_BY_TYPE[packet.type] ?? ChunkStreamId.Data,
    typeId: packet.type,
    timestamp: packet.timestampMs % 0x1_0000_0000,
    messageStreamId,
    payload: packet.body,
  });
  return {
    sizeOf: (packet) => encodedChunksLength(messageOf(packet), chunkSize),
    writeInto: (packet, out) => writeChunksInto(messageOf(packet), chunkSize, out),
  };
}
