// The per-format serializers a SerializedOutput runs once per packet.
import { encodeFlvTag } from '../flv/encode-flv.ts';
import type { FlvTagType } from '../flv/flv-tag-type.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import { encodeChunks } from '../rtmp/chunk-writer.ts';
import { ChunkStreamId } from '../rtmp/message-types.ts';
import type { PacketEncoder } from './serialized-output.ts';

export const FLV_FORMAT = 'flv';

export const encodeFlvPacket: PacketEncoder = (packet: MediaPacket) =>
  encodeFlvTag(packet.type as FlvTagType, packet.timestampMs, packet.body);

export function rtmpFormat(chunkSize: number, messageStreamId: number): string {
  return `rtmp:${chunkSize}:${messageStreamId}`;
}

const CHUNK_STREAM_BY_TYPE: Readonly<Record<number, number>> = {
  8: ChunkStreamId.Audio,
  9: ChunkStreamId.Video,
  18: ChunkStreamId.Data,
};

/** RTMP chunks with absolute timestamps and one chunk size, so every player can share them. */
export function rtmpPacketEncoder(chunkSize: number, messageStreamId: number): PacketEncoder {
  return (packet) =>
    encodeChunks(
      {
        chunkStreamId: CHUNK_STREAM_BY_TYPE[packet.type] ?? ChunkStreamId.Data,
        typeId: packet.type,
        timestamp: packet.timestampMs % 0x1_0000_0000,
        messageStreamId,
        payload: packet.body,
      },
      chunkSize,
    );
}
