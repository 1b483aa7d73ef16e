// Elementary-stream access units (as an MPEG-TS demuxer yields them) to FLV tags, one encoder per codec:
// H.264 -> legacy AVC, H.265 -> Enhanced RTMP hvc1, AAC ADTS -> legacy AAC, MPEG audio -> legacy MP3,
// Opus -> Enhanced RTMP Opus.
import { AudioCodec, VideoCodec } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { AacTagEncoder } from './encode-aac.ts';
import { AvcTagEncoder } from './encode-avc.ts';
import { HevcTagEncoder } from './encode-hevc.ts';
import { Mp3TagEncoder } from './encode-mp3.ts';
import { OpusTagEncoder } from './encode-opus.ts';
import type { EncodedTag } from './encode-tag.ts';

export type ElementaryCodec =
  | typeof VideoCodec.H264
  | typeof VideoCodec.H265
  | typeof AudioCodec.AAC
  | typeof AudioCodec.MP3
  | typeof AudioCodec.Opus;

export class ElementaryTagEncoder {
  private readonly avc = new AvcTagEncoder();
  private readonly hevc = new HevcTagEncoder();
  private readonly aac = new AacTagEncoder();
  private readonly mp3 = new Mp3TagEncoder();
  private readonly opus = new OpusTagEncoder();

  /** Opus says its channel count only in the PMT (ts-demuxer TsTrack.channels); throws for counts it cannot carry. */
  configureOpus(channels: number): void {
    this.opus.configure(channels);
  }

  /** After a discontinuity: sequence headers are sent again and partial audio frames dropped. */
  reset(): void {
    this.avc.reset();
    this.hevc.reset();
    this.aac.reset();
    this.mp3.reset();
    this.opus.reset();
  }

  /** Timestamps are 90 kHz ticks on the output timeline; tags come out in milliseconds. */
  encode(codec: string, dtsTicks90k: number, ptsTicks90k: number, data: Uint8Array, startTrimSamples = 0): EncodedTag[] {
    switch (codec) {
      case VideoCodec.H264:
        return this.avc.encode(data, dtsTicks90k, ptsTicks90k);
      case VideoCodec.H265:
        return this.hevc.encode(data, dtsTicks90k, ptsTicks90k);
      case AudioCodec.AAC:
        return this.aac.encode(data, ptsTicks90k);
      case AudioCodec.MP3:
        return this.mp3.encode(data, ptsTicks90k);
      case AudioCodec.Opus:
        return this.opus.encode(data, ptsTicks90k, startTrimSamples);
      default:
        throw new ProtocolError(ProtocolErrorCode.Unsupported, `no FLV encoder for ${codec}`);
    }
  }
}
