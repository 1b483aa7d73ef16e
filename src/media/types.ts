// The vocabulary every layer of the engine shares: tracks, frames and the packets the hub fans out.
export const VideoCodec = { H264: 'h264', H265: 'h265', AV1: 'av1', VP9: 'vp9' } as const;
export type VideoCodec = (typeof VideoCodec)[keyof typeof VideoCodec];

export const AudioCodec = {
  AAC: 'aac',
  MP3: 'mp3',
  Opus: 'opus',
  FLAC: 'flac',
  AC3: 'ac3',
  EAC3: 'eac3',
  PCM: 'pcm',
  Speex: 'speex',
  G711A: 'g711a',
  G711U: 'g711u',
  Nellymoser: 'nellymoser',
} as const;
export type AudioCodec = (typeof AudioCodec)[keyof typeof AudioCodec];

export type TrackKind = 'video' | 'audio';

/** A media track as announced by its sequence header. Immutable once emitted. */
export type Track = Readonly<{
  id: number;
  kind: TrackKind;
  codec: VideoCodec | AudioCodec;
  /** ticks per second of dts/pts in this track's frames (1000 for RTMP/FLV input) */
  timescale: number;
  /** avcC, hvcC, av1C, vpcC, AudioSpecificConfig, OpusHead… exactly as received; empty when the codec has none */
  config: Uint8Array;
}>;

/** One access unit of one track. Immutable once emitted. */
export type MediaFrame = Readonly<{
  trackId: number;
  dts: number;
  pts: number;
  keyframe: boolean;
  /** AVCC/HVCC length-prefixed NAL units, an AV1 temporal unit, a VP9 frame, or one raw audio frame */
  data: Uint8Array;
}>;
