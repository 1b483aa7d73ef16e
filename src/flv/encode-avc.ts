// H.264 Annex B access units (from MPEG-TS) to FLV video tag bodies: AVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 §5.3.3.1) as the AVC sequence header and AVCVIDEOPACKET NALUs (Adobe FLV spec v10.1, E.4.3.1).
import { H264NalType, parseH264Sps } from '../media/h264.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import { lengthPrefixed, writeSi24 } from './encode-annexb.ts';
import { NalTagEncoder } from './encode-nal-tags.ts';
import { AvcPacketType, VideoCodecId, VideoFrameType } from './flv-codes.ts';

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
export class AvcTagEncoder extends NalTagEncoder {
  constructor() {
    super({
      setKinds: 2,
      classify: (nal) => {
        const type = nalType(nal);
        if (type === H264NalType.Sps) return 0;
        if (type === H264NalType.Pps) return 1;
        if (type === H264NalType.Aud || type === H264_FILLER_DATA) return 'skip';
        return type === H264NalType.Idr ? 'key' : 'frame';
      },
      sequenceHeaderBody: ([sps, pps]) => encodeAvcSequenceHeaderBody(encodeAvcDecoderConfig(sps!, pps!)),
      framesBody: encodeAvcNaluBody,
    });
  }
}
