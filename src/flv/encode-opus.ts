// Opus packets from MPEG-TS (ts-opus.ts) to the Enhanced RTMP audio tags the hub carries for Opus (the same bodies
// encode-frame-tags.ts writes for RTSP: ExAudioTagHeader SequenceStart with an OpusHead, then CodedFrames).
import { encodeOpusHead, OPUS_SAMPLE_RATE_HZ } from '../media/opus-head.ts';
import { AudioCodec, type Track } from '../media/types.ts';
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { encodeFrameTag, encodeTrackHeaderTag } from './encode-frame-tags.ts';
import { ticks90kToMs, type EncodedTag } from './encode-tag.ts';

const AUDIO_TRACK_ID = 2;

export class OpusTagEncoder {
  private channels: 1 | 2 = 2;
  private track: Track | null = null;

  /** The channel count the PMT announced; a change means a new sequence header before the next packet. */
  configure(channels: number): void {
    // OpusHead mapping family 0 covers mono and stereo; more channels need a mapping table TS does not carry for us
    if (channels !== 1 && channels !== 2) {
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `Opus in MPEG-TS: channel_config_code ${channels} (only mono and stereo)`);
    }
    if (channels !== this.channels) this.track = null;
    this.channels = channels;
  }

  reset(): void {
    this.track = null;
  }

  /** One Opus packet at `pts90k`; the first after a (re)configuration is preceded by its OpusHead, whose
   * pre-skip is that packet's start_trim (ffmpeg marks the encoder delay so on the stream's first packet). */
  encode(packet: Uint8Array, pts90k: number, startTrimSamples: number): EncodedTag[] {
    const tags: EncodedTag[] = [];
    if (this.track === null) {
      const config = encodeOpusHead(this.channels, OPUS_SAMPLE_RATE_HZ, startTrimSamples);
      this.track = { id: AUDIO_TRACK_ID, kind: 'audio', codec: AudioCodec.Opus, timescale: MEDIA_TIMESCALE, config };
      const header = encodeTrackHeaderTag(this.track)!;
      tags.push({ ...header, timestampMs: ticks90kToMs(pts90k) });
    }
    tags.push(encodeFrameTag(this.track, { trackId: AUDIO_TRACK_ID, dts: pts90k, pts: pts90k, keyframe: true, data: packet }));
    return tags;
  }
}
