// Wire numbers of FLV audio/video tag bodies: legacy (Adobe FLV spec v10.1, Annex E.4.2-E.4.3) and
// Enhanced RTMP (veovera enhanced-rtmp v1/v2, "Enhanced Audio", "Enhanced Video", "Multitrack").

// Alike in shape to the `as const` tables of rtmp/message-types.ts, remux/ts-codes.ts and srt/constants.ts (and to
// each other): each names a different field's wire numbers, so only the enum idiom is shared.

/** VIDEODATA FrameType (UB[4] legacy, UB[3] after the IsExHeader bit in Enhanced RTMP). */
export const VideoFrameType = {
  Keyframe: 1,
  Interframe: 2,
  DisposableInterframe: 3,
  GeneratedKeyframe: 4,
  Command: 5,
} as const;
export type VideoFrameType = (typeof VideoFrameType)[keyof typeof VideoFrameType];

/** Legacy VIDEODATA CodecID (UB[4]); 12 is the widely used, non-standard HEVC extension. */
export const VideoCodecId = {
  Jpeg: 1,
  SorensonH263: 2,
  ScreenVideo: 3,
  Vp6: 4,
  Vp6Alpha: 5,
  ScreenVideoV2: 6,
  Avc: 7,
  Hevc: 12,
} as const;
export type VideoCodecId = (typeof VideoCodecId)[keyof typeof VideoCodecId];

/** AVCVIDEOPACKET AVCPacketType (also used by legacy HEVC codec id 12). */
export const AvcPacketType = { SequenceHeader: 0, Nalu: 1, EndOfSequence: 2 } as const;
export type AvcPacketType = (typeof AvcPacketType)[keyof typeof AvcPacketType];

/** Enhanced RTMP VideoPacketType (UB[4] when IsExHeader is set). */
export const VideoPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  CodedFramesX: 3,
  Metadata: 4,
  Mpeg2TsSequenceStart: 5,
  Multitrack: 6,
  ModEx: 7,
} as const;
export type VideoPacketType = (typeof VideoPacketType)[keyof typeof VideoPacketType];

/** AUDIODATA SoundFormat (UB[4]); 9 switches to the Enhanced RTMP ExAudioTagHeader. */
export const SoundFormat = {
  LinearPcmPlatformEndian: 0,
  AdPcm: 1,
  Mp3: 2,
  LinearPcmLittleEndian: 3,
  Nellymoser16kMono: 4,
  Nellymoser8kMono: 5,
  Nellymoser: 6,
  G711ALaw: 7,
  G711MuLaw: 8,
  ExHeader: 9,
  Aac: 10,
  Speex: 11,
  Mp3_8k: 14,
  DeviceSpecific: 15,
} as const;
export type SoundFormat = (typeof SoundFormat)[keyof typeof SoundFormat];

/** AUDIODATA SoundRate (UB[2]) index to Hz. */
export const SoundRateHz = [5512, 11025, 22050, 44100] as const;

/** AACAUDIODATA AACPacketType. */
export const AacPacketType = { SequenceHeader: 0, Raw: 1 } as const;
export type AacPacketType = (typeof AacPacketType)[keyof typeof AacPacketType];

/** Enhanced RTMP AudioPacketType (UB[4] when SoundFormat is ExHeader). */
export const AudioPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  MultichannelConfig: 4,
  Multitrack: 5,
  ModEx: 7,
} as const;
export type AudioPacketType = (typeof AudioPacketType)[keyof typeof AudioPacketType];

/** Enhanced RTMP AudioChannelOrder of a MultichannelConfig packet. */
export const AudioChannelOrder = { Unspecified: 0, Native: 1, Custom: 2 } as const;
export type AudioChannelOrder = (typeof AudioChannelOrder)[keyof typeof AudioChannelOrder];

/** Enhanced RTMP v2 AvMultitrackType (UB[4]), shared by audio and video. */
export const AvMultitrackType = { OneTrack: 0, ManyTracks: 1, ManyTracksManyCodecs: 2 } as const;
export type AvMultitrackType = (typeof AvMultitrackType)[keyof typeof AvMultitrackType];

/** Big-endian UI32 value of a four-character code. */
export function fourCc(code: string): number {
  return (
    ((code.charCodeAt(0) << 24) | (code.charCodeAt(1) << 16) | (code.charCodeAt(2) << 8) | code.charCodeAt(3)) >>> 0
  );
}

/** The four characters of a UI32 FourCC value. */
export function fourCcToString(value: number): string {
  return String.fromCharCode((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** Enhanced RTMP video FourCCs this engine understands. */
export const VideoFourCc = {
  Avc: fourCc('avc1'),
  Hevc: fourCc('hvc1'),
  Av1: fourCc('av01'),
  Vp9: fourCc('vp09'),
  Vp8: fourCc('vp08'),
  Vvc: fourCc('vvc1'),
} as const;

/** Enhanced RTMP audio FourCCs. */
export const AudioFourCc = {
  Opus: fourCc('Opus'),
  Flac: fourCc('fLaC'),
  Ac3: fourCc('ac-3'),
  Eac3: fourCc('ec-3'),
  Aac: fourCc('mp4a'),
  Mp3: fourCc('.mp3'),
} as const;
