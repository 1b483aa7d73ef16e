// Turns FLV tag bodies (legacy and Enhanced RTMP) on a millisecond timeline into the shared
// Track/MediaFrame vocabulary on a 90 kHz timeline, for the muxers that repackage media.
import { MEDIA_TIMESCALE, TICKS_PER_MS } from '../media/clock.ts';
import type { ParsedTag } from './classify-tag.ts';
import { FlvTagType } from './flv-tag-type.ts';
import { sameBytes } from '../media/bytes.ts';
import type { AudioCodec, MediaFrame, Track, VideoCodec } from '../media/types.ts';
import { parseAudioTag, type AudioTagInfo } from './parse-audio-tag.ts';
import { parseVideoTag, type VideoTagInfo } from './parse-video-tag.ts';


export const DemuxTrackId = { Video: 1, Audio: 2 } as const;

export type DemuxEvent =
  | Readonly<{ type: 'track'; track: Track }>
  | Readonly<{ type: 'frame'; frame: MediaFrame }>;

/** Codecs that need no sequence header: their track starts with the first frame. */
const CONFIGLESS_AUDIO: ReadonlySet<AudioCodec> = new Set(['mp3', 'g711a', 'g711u', 'pcm', 'speex', 'nellymoser', 'ac3', 'eac3']);

export class FlvMediaDemuxer {
  private video: Track | null = null;
  private audio: Track | null = null;

  get videoTrack(): Track | null {
    return this.video;
  }

  get audioTrack(): Track | null {
    return this.audio;
  }

  /** `parsed`: the tag as the ingest already parsed it (classify-tag.ts), so it is not parsed twice. */
  push(tagType: number, timestampMs: number, body: Uint8Array, parsed?: ParsedTag): DemuxEvent[] {
    if (tagType === FlvTagType.Video) return this.pushVideo(timestampMs, parsed?.video ?? parseVideoTag(body));
    if (tagType === FlvTagType.Audio) return this.pushAudio(timestampMs, parsed?.audio ?? parseAudioTag(body));
    return [];
  }

  private pushVideo(timestampMs: number, info: VideoTagInfo): DemuxEvent[] {
    if (info.kind === 'sequence-header') return this.announce('video', info.codec, info.config);
    if (info.kind !== 'frame' || !this.video || this.video.codec !== info.codec) return [];
    const dts = Math.round(timestampMs * TICKS_PER_MS);
    const frame: MediaFrame = {
      trackId: DemuxTrackId.Video,
      dts,
      pts: dts + Math.round(info.compositionTimeMs * TICKS_PER_MS),
      keyframe: info.keyframe,
      data: info.data,
    };
    return [{ type: 'frame', frame }];
  }

  private pushAudio(timestampMs: number, info: AudioTagInfo): DemuxEvent[] {
    if (info.kind === 'sequence-header') return this.announce('audio', info.codec, info.config);
    if (info.kind !== 'frame') return [];
    const events: DemuxEvent[] = [];
    if ((!this.audio || this.audio.codec !== info.codec) && CONFIGLESS_AUDIO.has(info.codec)) {
      events.push(...this.announce('audio', info.codec, new Uint8Array(0)));
    }
    if (!this.audio || this.audio.codec !== info.codec) return events;
    const dts = Math.round(timestampMs * TICKS_PER_MS);
    events.push({ type: 'frame', frame: { trackId: DemuxTrackId.Audio, dts, pts: dts, keyframe: true, data: info.data } });
    return events;
  }

  /** A sequence header makes a new Track only if it differs from the current one. */
  private announce(kind: 'video' | 'audio', codec: VideoCodec | AudioCodec, config: Uint8Array): DemuxEvent[] {
    const current = kind === 'video' ? this.video : this.audio;
    if (current && current.codec === codec && sameBytes(current.config, config)) return [];
    const track: Track = {
      id: kind === 'video' ? DemuxTrackId.Video : DemuxTrackId.Audio,
      kind,
      codec,
      timescale: MEDIA_TIMESCALE,
      config: config.slice(),
    };
    if (kind === 'video') this.video = track;
    else this.audio = track;
    return [{ type: 'track', track }];
  }
}

