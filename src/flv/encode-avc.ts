// H.264 Annex B access units (from MPEG-TS) to FLV video tag bodies: AVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 §5.3.3.1) as the AVC sequence header and AVCVIDEOPACKET NALUs (Adobe FLV spec v10.1, E.4.3.1).
import { H264NalType, parseH264Sps } from '../media/h264.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import { sameByteLists } from '../media/bytes.ts';
import { lengthPrefixed, splitAnnexB, writeSi24 } from './encode-annexb.ts';
import { ticks90kToMs, type EncodedTag } from './encode-tag.ts';
import { AvcPacketType, VideoCodecId, VideoFrameType } from './flv-codes.ts';
import { FlvTagType } from './flv-tag-type.ts';

/** profile_idc values whose avcC carries chroma format and bit depths (ISO/IEC 14496-15 §5.3.3.1.2) */
const HIGH_PROFILES = new Set([100, 110, 122, 144]);
const H264_FILLER_DATA = 12;
const FRAME_HEADER_BYTES = 5;

const nalType = (nal: Uint8Array) => nal[0]! & 0x1f;

/** An avcC with 4-byte NAL lengths from SPS and PPS NAL units (each with its NAL header byte). */
export function encodeAvcDecoderConfig(sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array {
  const first = sps[0];
  if (!first || first.length < 4 || pps.length === 0) throw new RangeError('avcC needs an SPS and a PPS');
  const bytes: number[] = [1, first[1]!, first[2]!, first[3]!, 0xff, 0xe0 | sps.length];
  for (const nal of sps) bytes.push(nal.length >> 8, nal.length & 0xff, ...nal);
  bytes.push(pps.length);
  for (const nal of pps) bytes.push(nal.length >> 8, nal.length & 0xff, ...nal);
  if (HIGH_PROFILES.has(first[1]!)) {
    let chroma = 1;
    let lumaDepth = 8;
    let chromaDepth = 8;
    try {
      const info = parseH264Sps(first);
      chroma = info.chromaFormatIdc;
      lumaDepth = info.bitDepthLuma;
      chromaDepth = info.bitDepthChroma;
    } catch (err) {
      if (!isProtocolError(err)) throw err;
    }
    bytes.push(0xfc | chroma, 0xf8 | (lumaDepth - 8), 0xf8 | (chromaDepth - 8), 0);
  }
  return Uint8Array.from(bytes);
}

export function encodeAvcSequenceHeaderBody(avcC: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + avcC.length);
  out[0] = (VideoFrameType.Keyframe << 4) | VideoCodecId.Avc;
  out[1] = AvcPacketType.SequenceHeader;
  out.set(avcC, FRAME_HEADER_BYTES);
  return out;
}

export function encodeAvcNaluBody(nals: readonly Uint8Array[], keyframe: boolean, compositionTimeMs: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  header[0] = ((keyframe ? VideoFrameType.Keyframe : VideoFrameType.Interframe) << 4) | VideoCodecId.Avc;
  header[1] = AvcPacketType.Nalu;
  writeSi24(header, 2, compositionTimeMs);
  return lengthPrefixed(header, nals);
}

/**
 * Turns H.264 access units into FLV tags: a sequence header whenever the SPS/PPS change (first on the first keyframe
 * that has them), then one NALU tag per access unit. Frames before the first keyframe with parameter sets are dropped.
 */
export class AvcTagEncoder {
  private sps: Uint8Array[] = [];
  private pps: Uint8Array[] = [];
  private sentSps: Uint8Array[] = [];
  private sentPps: Uint8Array[] = [];
  private started = false;

  /** Forget the parameter sets sent (after a discontinuity): the next keyframe re-sends the sequence header. */
  reset(): void {
    this.started = false;
    this.sentSps = [];
    this.sentPps = [];
  }

  encode(annexB: Uint8Array, dtsTicks90k: number, ptsTicks90k: number): EncodedTag[] {
    const nals = splitAnnexB(annexB);
    const frame: Uint8Array[] = [];
    const sps: Uint8Array[] = [];
    const pps: Uint8Array[] = [];
    let keyframe = false;
    for (const nal of nals) {
      const type = nalType(nal);
      if (type === H264NalType.Sps) sps.push(nal.slice());
      else if (type === H264NalType.Pps) pps.push(nal.slice());
      else if (type !== H264NalType.Aud && type !== H264_FILLER_DATA) {
        if (type === H264NalType.Idr) keyframe = true;
        frame.push(nal);
      }
    }
    if (sps.length > 0) this.sps = sps;
    if (pps.length > 0) this.pps = pps;
    const out: EncodedTag[] = [];
    const timestampMs = ticks90kToMs(dtsTicks90k);
    const changed = !sameByteLists(this.sps, this.sentSps) || !sameByteLists(this.pps, this.sentPps);
    if (keyframe && this.sps.length > 0 && this.pps.length > 0 && (changed || !this.started)) {
      const body = encodeAvcSequenceHeaderBody(encodeAvcDecoderConfig(this.sps, this.pps));
      out.push({ type: FlvTagType.Video, timestampMs, body });
      this.sentSps = this.sps;
      this.sentPps = this.pps;
      this.started = true;
    }
    if (!this.started || frame.length === 0) return out;
    const compositionTimeMs = ticks90kToMs(ptsTicks90k) - timestampMs;
    out.push({ type: FlvTagType.Video, timestampMs, body: encodeAvcNaluBody(frame, keyframe, compositionTimeMs) });
    return out;
  }
}
