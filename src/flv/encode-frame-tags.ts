// Track/MediaFrame (depacketized RTP and other frame sources) to the FLV tag bodies the hub ingests (Adobe FLV spec
// v10.1 E.4.2/E.4.3 for H.264, AAC and G.711; Enhanced RTMP v2 ExVideoTagHeader/ExAudioTagHeader for H.265 and Opus).
import { AudioCodec, VideoCodec, type MediaFrame, type Track } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { encodeAacRawBody, encodeAacSequenceHeaderBody } from './encode-aac.ts';
import { encodeAvcSequenceHeaderBody } from './encode-avc.ts';
import { encodeHevcSequenceStartBody } from './encode-hevc.ts';
import { writeSi24 } from './encode-annexb.ts';
import type { EncodedTag } from './encode-tag.ts';
import { AudioFourCc, AudioPacketType, AvcPacketType, SoundFormat, VideoCodecId, VideoFourCc, VideoFrameType, VideoPacketType } from './flv-codes.ts';
import { FlvTagType } from './flv-tag-type.ts';

const EX_HEADER_FLAG = 0x80;
/** G.711 is 8 kHz; FLV's SoundRate cannot say so and readers ignore it for these formats: 16-bit, mono */
const G711_FLAGS = (1 << 1) | 0;

function unsupported(codec: string): never {
  throw new ProtocolError(ProtocolErrorCode.Unsupported, `FLV: no tag encoding for ${codec} frames`);
}

const toMs = (ticks: number, timescale: number) => Math.round((ticks * 1000) / timescale);

/** The sequence header of a track, or undefined for codecs that have none in FLV (G.711). */
export function encodeTrackHeaderTag(track: Track): EncodedTag | undefined {
  switch (track.codec) {
    case VideoCodec.H264:
      return { type: FlvTagType.Video, timestampMs: 0, body: encodeAvcSequenceHeaderBody(track.config) };
    case VideoCodec.H265:
      return { type: FlvTagType.Video, timestampMs: 0, body: encodeHevcSequenceStartBody(track.config) };
    case AudioCodec.AAC:
      return { type: FlvTagType.Audio, timestampMs: 0, body: encodeAacSequenceHeaderBody(track.config) };
    case AudioCodec.Opus: {
      const body = new Uint8Array(5 + track.config.length);
      body[0] = (SoundFormat.ExHeader << 4) | AudioPacketType.SequenceStart;
      new DataView(body.buffer).setUint32(1, AudioFourCc.Opus);
      body.set(track.config, 5);
      return { type: FlvTagType.Audio, timestampMs: 0, body };
    }
    case AudioCodec.G711A:
    case AudioCodec.G711U:
      return undefined;
    default:
      return unsupported(track.codec);
  }
}

/** One frame as a tag: `data` is AVCC/HVCC (4-byte lengths, as the track's config says) or one raw audio frame. */
export function encodeFrameTag(track: Track, frame: MediaFrame): EncodedTag {
  const timestampMs = toMs(frame.dts, track.timescale);
  const ctsMs = toMs(frame.pts, track.timescale) - timestampMs;
  const frameType = frame.keyframe ? VideoFrameType.Keyframe : VideoFrameType.Interframe;
  switch (track.codec) {
    case VideoCodec.H264: {
      const body = new Uint8Array(5 + frame.data.length);
      body[0] = (frameType << 4) | VideoCodecId.Avc;
      body[1] = AvcPacketType.Nalu;
      writeSi24(body, 2, ctsMs);
      body.set(frame.data, 5);
      return { type: FlvTagType.Video, timestampMs, body };
    }
    case VideoCodec.H265: {
      const body = new Uint8Array(8 + frame.data.length);
      body[0] = EX_HEADER_FLAG | (frameType << 4) | VideoPacketType.CodedFrames;
      new DataView(body.buffer).setUint32(1, VideoFourCc.Hevc);
      writeSi24(body, 5, ctsMs);
      body.set(frame.data, 8);
      return { type: FlvTagType.Video, timestampMs, body };
    }
    case AudioCodec.AAC:
      return { type: FlvTagType.Audio, timestampMs, body: encodeAacRawBody(frame.data) };
    case AudioCodec.Opus: {
      const body = new Uint8Array(5 + frame.data.length);
      body[0] = (SoundFormat.ExHeader << 4) | AudioPacketType.CodedFrames;
      new DataView(body.buffer).setUint32(1, AudioFourCc.Opus);
      body.set(frame.data, 5);
      return { type: FlvTagType.Audio, timestampMs, body };
    }
    case AudioCodec.G711A:
    case AudioCodec.G711U: {
      const body = new Uint8Array(1 + frame.data.length);
      body[0] = ((track.codec === AudioCodec.G711A ? SoundFormat.G711ALaw : SoundFormat.G711MuLaw) << 4) | G711_FLAGS;
      body.set(frame.data, 1);
      return { type: FlvTagType.Audio, timestampMs, body };
    }
    default:
      return unsupported(track.codec);
  }
}
