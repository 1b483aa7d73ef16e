// FLV audio tag body (== RTMP audio message payload) classification: legacy AUDIODATA/AACAUDIODATA
// (Adobe FLV spec v10.1, Annex E.4.2) and Enhanced RTMP ExAudioTagHeader with FourCC (veovera v2, "Enhanced Audio").
import { readUint32BE } from '../media/bytes.ts';
import { AudioCodec } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { checkMultitrack, requireLength, skipModEx } from './ex-header.ts';
import {
  AacPacketType,
  AudioChannelOrder,
  AudioFourCc,
  AudioPacketType,
  SoundFormat,
  SoundRateHz,
  fourCcToString,
} from './flv-codes.ts';

export type AudioTagInfo =
  | { kind: 'sequence-header'; codec: AudioCodec; config: Uint8Array; enhanced: boolean }
  | {
      kind: 'frame';
      codec: AudioCodec;
      data: Uint8Array;
      enhanced: boolean;
      /** legacy non-AAC formats only: from SoundRate (or fixed by the SoundFormat); a hint, since FLV cannot say 48 kHz */
      sampleRateHz?: number;
      /** legacy non-AAC formats only: from SoundType (or fixed by the SoundFormat) */
      channels?: number;
    }
  /** Enhanced RTMP AudioPacketType.SequenceEnd */
  | { kind: 'end-of-sequence'; codec: AudioCodec; enhanced: true }
  /** Enhanced RTMP AudioPacketType.MultichannelConfig: the declared channel count */
  | { kind: 'multichannel-config'; codec: AudioCodec; channels: number; enhanced: true }
  /** Enhanced RTMP v2 multitrack: passed through, summarised */
  | { kind: 'multitrack'; sequenceHeader: boolean }
  | { kind: 'unsupported'; codecId: number | string };

const WHAT = 'FLV audio tag';
/** An AudioSpecificConfig is at least 2 bytes (objectType, frequency index, channel config). */
const MIN_ASC_BYTES = 2;

/** Classifies one audio tag body; `config`/`data` are views into `body`. Throws ProtocolError on bad bytes. */
export function parseAudioTag(body: Uint8Array): AudioTagInfo {
  requireLength(body, 1, WHAT);
  const first = body[0]!;
  const soundFormat = first >> 4;
  if (soundFormat === SoundFormat.ExHeader) return parseExAudioTag(body, first);

  if (soundFormat === SoundFormat.Aac) {
    requireLength(body, 2, WHAT);
    const packetType = body[1]!;
    if (packetType === AacPacketType.Raw) {
      return { kind: 'frame', codec: AudioCodec.AAC, data: body.subarray(2), enhanced: false };
    }
    if (packetType === AacPacketType.SequenceHeader) {
      requireLength(body, 2 + MIN_ASC_BYTES, `${WHAT} AudioSpecificConfig`);
      return { kind: 'sequence-header', codec: AudioCodec.AAC, config: body.subarray(2), enhanced: false };
    }
    throw new ProtocolError(ProtocolErrorCode.Malformed, `${WHAT}: reserved AACPacketType ${packetType}`);
  }

  let codec: AudioCodec;
  let sampleRateHz: number = SoundRateHz[(first >> 2) & 0x03]!;
  let channels = (first & 0x01) + 1;
  // The cases repeat one shape (codec, then the rate and channels the SoundFormat fixes), one per format.
  switch (soundFormat) {
    case SoundFormat.Mp3:
      codec = AudioCodec.MP3;
      break;
    case SoundFormat.Mp3_8k:
      codec = AudioCodec.MP3;
      sampleRateHz = 8000;
      break;
    case SoundFormat.LinearPcmPlatformEndian:
    case SoundFormat.LinearPcmLittleEndian:
      codec = AudioCodec.PCM;
      break;
    case SoundFormat.G711ALaw:
      codec = AudioCodec.G711A;
      sampleRateHz = 8000;
      break;
    case SoundFormat.G711MuLaw:
      codec = AudioCodec.G711U;
      sampleRateHz = 8000;
      break;
    case SoundFormat.Speex:
      codec = AudioCodec.Speex;
      sampleRateHz = 16000;
      channels = 1;
      break;
    case SoundFormat.Nellymoser16kMono:
      codec = AudioCodec.Nellymoser;
      sampleRateHz = 16000;
      channels = 1;
      break;
    case SoundFormat.Nellymoser8kMono:
      codec = AudioCodec.Nellymoser;
      sampleRateHz = 8000;
      channels = 1;
      break;
    case SoundFormat.Nellymoser:
      codec = AudioCodec.Nellymoser;
      break;
    default:
      return { kind: 'unsupported', codecId: soundFormat };
  }
  return { kind: 'frame', codec, data: body.subarray(1), enhanced: false, sampleRateHz, channels };
}

// Alike in shape to parse-video-tag.ts's videoCodecOf: a different FourCC table into a different codec enum.
function audioCodecOf(fourCc: number): AudioCodec | undefined {
  switch (fourCc) {
    case AudioFourCc.Aac:
      return AudioCodec.AAC;
    case AudioFourCc.Opus:
      return AudioCodec.Opus;
    case AudioFourCc.Flac:
      return AudioCodec.FLAC;
    case AudioFourCc.Ac3:
      return AudioCodec.AC3;
    case AudioFourCc.Eac3:
      return AudioCodec.EAC3;
    case AudioFourCc.Mp3:
      return AudioCodec.MP3;
    default:
      return undefined;
  }
}

function isKnownPacketType(packetType: number): boolean {
  return (
    packetType === AudioPacketType.SequenceStart ||
    packetType === AudioPacketType.CodedFrames ||
    packetType === AudioPacketType.SequenceEnd ||
    packetType === AudioPacketType.MultichannelConfig
  );
}

function parseExAudioTag(body: Uint8Array, first: number): AudioTagInfo {
  let { packetType, offset } = skipModEx(body, 1, first & 0x0f, AudioPacketType.ModEx, WHAT);

  if (packetType === AudioPacketType.Multitrack) {
    const trackPacketType = checkMultitrack(body, offset, WHAT, (type) => {
      if (!isKnownPacketType(type)) throw new ProtocolError(ProtocolErrorCode.Malformed, `${WHAT}: bad multitrack AudioPacketType ${type}`);
    });
    return { kind: 'multitrack', sequenceHeader: trackPacketType === AudioPacketType.SequenceStart };
  }

  if (!isKnownPacketType(packetType)) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `${WHAT}: reserved AudioPacketType ${packetType}`);
  }
  requireLength(body, offset + 4, `${WHAT} FourCC`);
  const fourCc = readUint32BE(body, offset);
  offset += 4;
  const codec = audioCodecOf(fourCc);
  if (codec === undefined) return { kind: 'unsupported', codecId: fourCcToString(fourCc) };

  switch (packetType) {
    case AudioPacketType.CodedFrames:
      return { kind: 'frame', codec, data: body.subarray(offset), enhanced: true };
    case AudioPacketType.SequenceStart:
      if (codec === AudioCodec.AAC) requireLength(body, offset + MIN_ASC_BYTES, `${WHAT} AudioSpecificConfig`);
      return { kind: 'sequence-header', codec, config: body.subarray(offset), enhanced: true };
    case AudioPacketType.SequenceEnd:
      return { kind: 'end-of-sequence', codec, enhanced: true };
    default: {
      // MultichannelConfig: channelOrder UI8, channelCount UI8, then a mapping (Custom) or flags (Native).
      requireLength(body, offset + 2, `${WHAT} multichannel config`);
      const channelOrder = body[offset]!;
      const channels = body[offset + 1]!;
      if (channelOrder === AudioChannelOrder.Custom) requireLength(body, offset + 2 + channels, `${WHAT} channel mapping`);
      else if (channelOrder === AudioChannelOrder.Native) requireLength(body, offset + 6, `${WHAT} channel flags`);
      return { kind: 'multichannel-config', codec, channels, enhanced: true };
    }
  }
}
