// fMP4 (CMAF) samples to FLV tag bodies: H.264 -> AVC sequence header (the avcC) + AVC NALU tags, H.265 -> Enhanced RTMP
// hvc1 SequenceStart (the hvcC) + CodedFrames, AAC -> sequence header (the AudioSpecificConfig) + raw frames.
// Samples are length-prefixed NALs or raw AAC frames already; in-band parameter sets (avc3/hev1) replace the init's.
import { AudioCodec, VideoCodec } from '../media/types.ts';
import { splitLengthPrefixed } from '../media/nal-units.ts';
import type { Fmp4TrackInfo } from '../remux/fmp4-demuxer.ts';
import { encodeAacRawBody, encodeAacSequenceHeaderBody } from './encode-aac.ts';
import { sameBytes } from '../media/bytes.ts';
import { encodeAvcDecoderConfig, encodeAvcNaluBody, encodeAvcSequenceHeaderBody } from './encode-avc.ts';
import { encodeHevcCodedFramesBody, encodeHevcDecoderConfig, encodeHevcSequenceStartBody } from './encode-hevc.ts';
import { ticks90kToMs, type EncodedTag } from './encode-tag.ts';
import { FlvTagType } from './flv-tag-type.ts';

const H264 = { Idr: 5, Sps: 7, Pps: 8, Aud: 9, Filler: 12 } as const;
const H265 = { IrapFirst: 16, IrapLast: 23, Vps: 32, Sps: 33, Pps: 34, Aud: 35, Filler: 38 } as const;
/** avcC byte 4 and hvcC byte 21 hold lengthSizeMinusOne in their low two bits */
const AVCC_LENGTH_SIZE_BYTE = 4;
const HVCC_LENGTH_SIZE_BYTE = 21;

/** The config record with 4-byte NAL lengths, which is what the FLV bodies we write carry. */
export function withFourByteNalLengths(config: Uint8Array, codec: typeof VideoCodec.H264 | typeof VideoCodec.H265): Uint8Array {
  const at = codec === VideoCodec.H264 ? AVCC_LENGTH_SIZE_BYTE : HVCC_LENGTH_SIZE_BYTE;
  const out = config.slice();
  if (out.length > at) out[at] = out[at]! | 0x03;
  return out;
}

type TrackState = { sent: Uint8Array | undefined };

/** One encoder per pulled stream; tracks are keyed by track_ID. */
export class Fmp4TagEncoder {
  private readonly state = new Map<number, TrackState>();

  /** After a discontinuity: sequence headers are sent again. */
  reset(): void {
    this.state.clear();
  }

  /** Timestamps are 90 kHz ticks on the output timeline; tags come out in milliseconds. */
  encode(track: Fmp4TrackInfo, dtsTicks90k: number, ptsTicks90k: number, data: Uint8Array): EncodedTag[] {
    let state = this.state.get(track.trackId);
    if (!state) this.state.set(track.trackId, (state = { sent: undefined }));
    const timestampMs = ticks90kToMs(dtsTicks90k);
    const out: EncodedTag[] = [];
    if (track.codec === AudioCodec.AAC) {
      if (track.config.length < 2) return out;
      if (!state.sent || !sameBytes(state.sent, track.config)) {
        state.sent = track.config;
        out.push({ type: FlvTagType.Audio, timestampMs, body: encodeAacSequenceHeaderBody(track.config) });
      }
      out.push({ type: FlvTagType.Audio, timestampMs, body: encodeAacRawBody(data) });
      return out;
    }
    if (track.codec !== VideoCodec.H264 && track.codec !== VideoCodec.H265) return out;
    const hevc = track.codec === VideoCodec.H265;
    const frame: Uint8Array[] = [];
    const vps: Uint8Array[] = [];
    const sps: Uint8Array[] = [];
    const pps: Uint8Array[] = [];
    let keyframe = false;
    for (const nal of splitLengthPrefixed(data, track.nalLengthSize)) {
      if (hevc) {
        if (nal.length < 2) continue;
        const type = (nal[0]! >> 1) & 0x3f;
        if (type === H265.Vps) vps.push(nal.slice());
        else if (type === H265.Sps) sps.push(nal.slice());
        else if (type === H265.Pps) pps.push(nal.slice());
        else if (type !== H265.Aud && type !== H265.Filler) {
          if (type >= H265.IrapFirst && type <= H265.IrapLast) keyframe = true;
          frame.push(nal);
        }
      } else {
        const type = nal[0]! & 0x1f;
        if (type === H264.Sps) sps.push(nal.slice());
        else if (type === H264.Pps) pps.push(nal.slice());
        else if (type !== H264.Aud && type !== H264.Filler) {
          if (type === H264.Idr) keyframe = true;
          frame.push(nal);
        }
      }
    }
    let config = withFourByteNalLengths(track.config, track.codec);
    try {
      if (!hevc && sps.length > 0 && pps.length > 0) config = encodeAvcDecoderConfig(sps, pps);
      if (hevc && vps.length > 0 && sps.length > 0 && pps.length > 0) config = encodeHevcDecoderConfig(vps, sps, pps);
    } catch {
      // keep the init segment's record when the in-band sets do not parse
    }
    if (keyframe && config.length > 0 && (!state.sent || !sameBytes(state.sent, config))) {
      state.sent = config;
      const body = hevc ? encodeHevcSequenceStartBody(config) : encodeAvcSequenceHeaderBody(config);
      out.push({ type: FlvTagType.Video, timestampMs, body });
    }
    if (!state.sent || frame.length === 0) return out;
    const compositionTimeMs = ticks90kToMs(ptsTicks90k) - timestampMs;
    const body = hevc
      ? encodeHevcCodedFramesBody(frame, keyframe, compositionTimeMs)
      : encodeAvcNaluBody(frame, keyframe, compositionTimeMs);
    out.push({ type: FlvTagType.Video, timestampMs, body });
    return out;
  }
}
