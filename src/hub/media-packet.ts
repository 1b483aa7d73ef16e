// The unit the hub fans out: one FLV tag body (== one RTMP media message) on the stream's
// output timeline, classified once at ingest so no reader has to parse it again.
import type { ParsedTag } from '../flv/classify-tag.ts';
import type { FlvTagType } from '../flv/flv-tag-type.ts';

/** A packet carries one FLV tag body: its type is the FLV tag type (the same numbers as RTMP's media message types). */
export type PacketType = FlvTagType;

export type MediaPacket = Readonly<{
  type: PacketType;
  /** monotonic per packet type across publisher restarts; not wrapped (outputs wrap to 32 bits) */
  timestampMs: number;
  /** the tag body exactly as the publisher sent it; shared, never mutated */
  body: Uint8Array;
  /** a sequence header or metadata: every viewer needs the latest one, it is never dropped */
  header: boolean;
  /** a point where a viewer may start decoding: a video keyframe, or any audio frame of a stream without video */
  randomAccess: boolean;
  /** the publisher's clock jumped here and the timeline was rebased to keep advancing (hub/timestamp-normalizer.ts) */
  discontinuity: boolean;
}> &
  /** the body as parsed at ingest (flv/classify-tag.ts); absent when the ingest did not parse it */
  ParsedTag;
