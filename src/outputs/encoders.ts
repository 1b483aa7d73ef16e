// The per-format serializers a SerializedOutput runs once per packet, writing into its arena.
import { encodeFlvTag } from '../flv/encode-flv.ts';
import type { FlvTagType } from '../flv/flv-tag-type.ts';
import { encodeChunks } from '../rtmp/chunk-writer.ts';
import { ChunkStreamId } from '../rtmp/message-types.ts';
import type { AllocatingPacketEncoder } from './serialized-output.ts';

export const FLV_FORMAT = 'flv';

export const encodeFlvPacket: AllocatingPacketEncoder = {
  encodeWith: (packet, allocate) => encodeFlvTag(packet.type as FlvTagType, packet.timestampMs, packet.body, allocate),
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
export function rtmpPacketEncoder(chunkSize: number, messageStreamId: number): AllocatingPacketEncoder {
  return {
    encodeWith: (packet, allocate) => encodeChunks({
      chunkStreamId: CHUNK_STREAM_BY_TYPE[packet.type] ?? ChunkStreamId.Data,
      typeId: packet.type,
      timestamp: packet.timestampMs % 0x1_0000_0000,
      messageStreamId,
      payload: packet.body,
    }, chunkSize, allocate),
  };
}
