// FLV video tag body (== RTMP video message payload) classification: legacy VIDEODATA/AVCVIDEOPACKET
// (Adobe FLV spec v10.1, Annex E.4.3), legacy HEVC codec id 12, and Enhanced RTMP ExVideoTagHeader (veovera v1/v2).
import { readInt24BE, readUint32BE } from '../media/bytes.ts';
import { VideoCodec } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { checkMultitrack, requireLength, skipModEx } from './ex-header.ts';
import {
  AvcPacketType,
  VideoCodecId,
  VideoFourCc,
  VideoFrameType,
  VideoPacketType,
  fourCcToString,
} from './flv-codes.ts';

export type VideoTagInfo =
  | { kind: 'sequence-header'; codec: VideoCodec; config: Uint8Array; enhanced: boolean }
  | {
      kind: 'frame';
      codec: VideoCodec;
      keyframe: boolean;
      compositionTimeMs: number;
      data: Uint8Array;
      enhanced: boolean;
    }
  | { kind: 'end-of-sequence'; codec: VideoCodec; enhanced: boolean }
  /** Enhanced RTMP video metadata (AMF-encoded, e.g. colorInfo) */
  | { kind: 'metadata'; enhanced: true }
  /** frame type 5: video info/command frame */
  | { kind: 'command' }
  /** Enhanced RTMP v2 multitrack: passed through, summarised */
  | { kind: 'multitrack'; keyframe: boolean; sequenceHeader: boolean }
  /** Sorenson, VP6, screen video, unknown FourCC: pass through but no details */
  | { kind: 'unsupported'; codecId: number | string };

const COMMAND: VideoTagInfo = Object.freeze({ kind: 'command' });
const METADATA: VideoTagInfo = Object.freeze({ kind: 'metadata', enhanced: true });
const WHAT = 'FLV video tag';

/** Classifies one video tag body; `config`/`data` are views into `body`. Throws ProtocolError on bad bytes. */
export function parseVideoTag(body: Uint8Array): VideoTagInfo {
  requireLength(body, 1, WHAT);
  const first = body[0]!;
  if ((first & 0x80) !== 0) return parseExVideoTag(body, first);

  const frameType = first >> 4;
  const codecId = first & 0x0f;
  if (frameType === VideoFrameType.Command) return COMMAND;
  let codec: VideoCodec;
  if (codecId === VideoCodecId.Avc) codec = VideoCodec.H264;
  else if (codecId === VideoCodecId.Hevc) codec = VideoCodec.H265;
  else return { kind: 'unsupported', codecId };

  requireLength(body, 2, WHAT);
  const packetType = body[1]!;
  if (packetType === AvcPacketType.EndOfSequence) return { kind: 'end-of-sequence', codec, enhanced: false };
  requireLength(body, 5, WHAT);
  if (packetType === AvcPacketType.Nalu) {
    return {
      kind: 'frame',
      codec,
      keyframe: frameType === VideoFrameType.Keyframe,
      compositionTimeMs: readInt24BE(body, 2),
      data: body.subarray(5),
      enhanced: false,
    };
  }
  if (packetType === AvcPacketType.SequenceHeader) {
    requireLength(body, 6, `${WHAT} decoder configuration`);
    return { kind: 'sequence-header', codec, config: body.subarray(5), enhanced: false };
  }
  throw new ProtocolError(ProtocolErrorCode.Malformed, `${WHAT}: reserved AVCPacketType ${packetType}`);
}

function videoCodecOf(fourCc: number): VideoCodec | undefined {
  switch (fourCc) {
    case VideoFourCc.Avc:
      return VideoCodec.H264;
    case VideoFourCc.Hevc:
      return VideoCodec.H265;
    case VideoFourCc.Av1:
      return VideoCodec.AV1;
    case VideoFourCc.Vp9:
      return VideoCodec.VP9;
    default:
      return undefined;
  }
}

function parseExVideoTag(body: Uint8Array, first: number): VideoTagInfo {
  const frameType = (first >> 4) & 0x07;
  let { packetType, offset } = skipModEx(body, 1, first & 0x0f, VideoPacketType.ModEx, WHAT);
  if (frameType === VideoFrameType.Command && packetType !== VideoPacketType.Metadata) return COMMAND;
  const keyframe = frameType === VideoFrameType.Keyframe;

  if (packetType === VideoPacketType.Multitrack) {
    const trackPacketType = checkMultitrack(body, offset, WHAT, (type) => {
      if (type === VideoPacketType.Multitrack || type === VideoPacketType.ModEx) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `${WHAT}: nested multitrack/ModEx packet type`);
      }
      if (type > VideoPacketType.ModEx) throw new ProtocolError(ProtocolErrorCode.Unsupported, `${WHAT}: reserved VideoPacketType ${type}`);
    });
    return { kind: 'multitrack', keyframe, sequenceHeader: trackPacketType === VideoPacketType.SequenceStart };
  }

  requireLength(body, offset + 4, `${WHAT} FourCC`);
  const fourCc = readUint32BE(body, offset);
  offset += 4;
  if (packetType === VideoPacketType.Metadata) return METADATA;
  if (packetType > VideoPacketType.ModEx) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `${WHAT}: reserved VideoPacketType ${packetType}`);
  }
  const codec = videoCodecOf(fourCc);
  if (codec === undefined) return { kind: 'unsupported', codecId: fourCcToString(fourCc) };

  switch (packetType) {
    case VideoPacketType.SequenceStart:
      requireLength(body, offset + 1, `${WHAT} decoder configuration`);
      return { kind: 'sequence-header', codec, config: body.subarray(offset), enhanced: true };
    case VideoPacketType.CodedFrames: {
      let compositionTimeMs = 0;
      // Only AVC and HEVC carry a composition time offset; AV1 and VP9 have none.
      if (codec === VideoCodec.H264 || codec === VideoCodec.H265) {
        requireLength(body, offset + 3, `${WHAT} composition time`);
        compositionTimeMs = readInt24BE(body, offset);
        offset += 3;
      }
      return { kind: 'frame', codec, keyframe, compositionTimeMs, data: body.subarray(offset), enhanced: true };
    }
    case VideoPacketType.CodedFramesX:
      return { kind: 'frame', codec, keyframe, compositionTimeMs: 0, data: body.subarray(offset), enhanced: true };
    case VideoPacketType.SequenceEnd:
      return { kind: 'end-of-sequence', codec, enhanced: true };
    default:
      // MPEG2TSSequenceStart (an AV1 video descriptor, not av1C): passed through without details.
      return { kind: 'unsupported', codecId: fourCcToString(fourCc) };
  }
}
