// Fragmented-MP4 (CMAF) muxer for HLS/LL-HLS: Track/MediaFrame in, init segment and moof+mdat fragments out
// (ISO/IEC 14496-12 §8.8 movie fragments; ISO/IEC 14496-15 avc1/hvc1; ISO/IEC 14496-14 mp4a/esds; CMAF 23000-19 §7).
import { AudioCodec, type MediaFrame, type Track, VideoCodec } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { describeAudioEntry } from './fmp4-audio-entry.ts';
import { type FragmentRun, writeFragment } from './fmp4-fragment.ts';
import { type Fmp4Track, writeInitSegment } from './fmp4-init.ts';
import { describeVideoEntry } from './fmp4-video-entry.ts';

export type FragmentTrackInput = {
  trackId: number;
  frames: readonly MediaFrame[];
  /** dts just after the last frame, gives its duration */
  endDts: number;
};

const SUPPORTED_CODECS: ReadonlySet<Track['codec']> = new Set([VideoCodec.H264, VideoCodec.H265, AudioCodec.AAC, AudioCodec.Opus]);
const MAX_TIMESCALE = 0xffffffff;

/** Whether the muxer takes this track's codec: H.264 (avc1), H.265 (hvc1), AAC (mp4a) or Opus. Its config is checked later. */
export function isFmp4Supported(track: Track): boolean {
  return SUPPORTED_CODECS.has(track.codec);
}

type MuxerTrack = Fmp4Track & { track: Track };

/**
 * One muxer per set of tracks. Tracks are numbered 1, 2… in the file in the order given (track_ID = position + 1);
 * `fragment` takes Track.id values. Pure: no clock, the output depends only on the input.
 */
export class Fmp4Muxer {
  private readonly tracks: readonly MuxerTrack[];
  private readonly byId = new Map<number, MuxerTrack>();
  private init: Uint8Array | undefined;

  constructor(tracks: readonly Track[]) {
    if (tracks.length === 0) throw new ProtocolError(ProtocolErrorCode.BadState, 'fMP4 muxer: no tracks');
    this.tracks = tracks.map((track, index) => {
      if (!isFmp4Supported(track)) {
        throw new ProtocolError(ProtocolErrorCode.Unsupported, `fMP4 muxer: ${track.kind} codec ${track.codec}`);
      }
      if (this.byId.has(track.id)) throw new ProtocolError(ProtocolErrorCode.BadState, `fMP4 muxer: track ${track.id} twice`);
      if (!Number.isInteger(track.timescale) || track.timescale <= 0 || track.timescale > MAX_TIMESCALE) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `fMP4 muxer: track ${track.id} timescale ${track.timescale}`);
      }
      const entry = track.kind === 'video' ? describeVideoEntry(track) : describeAudioEntry(track);
      const muxerTrack: MuxerTrack = { track, mp4TrackId: index + 1, timescale: track.timescale, entry };
      this.byId.set(track.id, muxerTrack);
      return muxerTrack;
    });
  }

  /** ftyp + moov. Built once; every call returns the same bytes, which callers must not modify. */
  initSegment(): Uint8Array {
    this.init ??= writeInitSegment(this.tracks);
    return this.init;
  }

  /** One moof+mdat fragment holding the given frames of each track (a track may have none). sequenceNumber goes to mfhd. */
  fragment(sequenceNumber: number, tracks: readonly FragmentTrackInput[]): Uint8Array {
    const runs: FragmentRun[] = [];
    for (const input of tracks) {
      const muxerTrack = this.byId.get(input.trackId);
      if (muxerTrack === undefined) {
        throw new ProtocolError(ProtocolErrorCode.BadState, `fMP4 fragment: unknown track ${input.trackId}`);
      }
      if (runs.some((run) => run.trackId === input.trackId)) {
        throw new ProtocolError(ProtocolErrorCode.BadState, `fMP4 fragment: track ${input.trackId} twice`);
      }
      runs.push({
        trackId: input.trackId,
        mp4TrackId: muxerTrack.mp4TrackId,
        allSync: muxerTrack.entry.kind === 'audio',
        frames: input.frames,
        endDts: input.endDts,
      });
    }
    return writeFragment(sequenceNumber, runs);
  }
}
