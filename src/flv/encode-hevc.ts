// H.265 Annex B access units (from MPEG-TS) to Enhanced RTMP video tag bodies (veovera enhanced-rtmp v1, "hvc1"
// SequenceStart with an HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 §8.3.3.1, and CodedFrames).
import { removeEmulationPrevention } from '../media/bit-reader.ts';
import { HevcNalType, parseHevcSps } from '../media/h265.ts';
import { ProtocolError, ProtocolErrorCode, isProtocolError } from '../shared/protocol-error.ts';
import { lengthPrefixed, writeSi24 } from './encode-annexb.ts';
import { NalTagEncoder } from './encode-nal-tags.ts';
import { VideoFourCc, VideoFrameType, VideoPacketType } from './flv-codes.ts';

const EX_HEADER_FLAG = 0x80;
/** IRAP pictures: BLA_W_LP (16) .. RSV_IRAP_VCL23 (23), H.265 Table 7-1 */
const IRAP_FIRST = 16;
const IRAP_LAST = 23;
/** 2-byte NAL header + vps_id/max_sub_layers/nesting byte + 12 bytes of general profile_tier_level */
const SPS_PTL_END = 15;
const FILLER_DATA = 38;

const nalType = (nal: Uint8Array) => (nal[0]! >> 1) & 0x3f;

/** An hvcC with 4-byte NAL lengths from VPS, SPS and PPS NAL units (each with its 2-byte NAL header). */
export function encodeHevcDecoderConfig(
  vps: readonly Uint8Array[],
  sps: readonly Uint8Array[],
  pps: readonly Uint8Array[],
): Uint8Array {
  const first = sps[0];
  if (!first || vps.length === 0 || pps.length === 0) throw new RangeError('hvcC needs a VPS, an SPS and a PPS');
  const rbsp = removeEmulationPrevention(first.subarray(0, Math.min(first.length, SPS_PTL_END + 8)));
  if (rbsp.length < SPS_PTL_END) throw new ProtocolError(ProtocolErrorCode.Truncated, 'H.265 SPS: profile_tier_level');
  const maxSubLayersMinus1 = (rbsp[2]! >> 1) & 0x07;
  const temporalIdNested = rbsp[2]! & 0x01;
  let chroma = 1;
  let lumaDepth = 8;
  let chromaDepth = 8;
  try {
    const info = parseHevcSps(first);
    chroma = info.chromaFormatIdc;
    lumaDepth = info.bitDepthLuma;
    chromaDepth = info.bitDepthChroma;
  } catch (err) {
    if (!isProtocolError(err)) throw err;
  }
  const bytes: number[] = [1, ...rbsp.subarray(3, SPS_PTL_END)];
  bytes.push(
    0xf0, 0x00, // reserved, min_spatial_segmentation_idc 0
    0xfc, // reserved, parallelismType 0
    0xfc | chroma,
    0xf8 | (lumaDepth - 8),
    0xf8 | (chromaDepth - 8),
    0, 0, // avgFrameRate unspecified
    (((maxSubLayersMinus1 + 1) & 0x07) << 3) | (temporalIdNested << 2) | 0x03, // constantFrameRate 0, lengthSizeMinusOne 3
    3,
  );
  for (const [type, nals] of [[HevcNalType.Vps, vps], [HevcNalType.Sps, sps], [HevcNalType.Pps, pps]] as const) {
    bytes.push(0x80 | type, nals.length >> 8, nals.length & 0xff);
    for (const nal of nals) bytes.push(nal.length >> 8, nal.length & 0xff, ...nal);
  }
  return Uint8Array.from(bytes);
}

function exHeader(frameType: number, packetType: number, extra: number): Uint8Array {
  const out = new Uint8Array(5 + extra);
  out[0] = EX_HEADER_FLAG | (frameType << 4) | packetType;
  new DataView(out.buffer).setUint32(1, VideoFourCc.Hevc);
  return out;
}

export function encodeHevcSequenceStartBody(hvcC: Uint8Array): Uint8Array {
  const header = exHeader(VideoFrameType.Keyframe, VideoPacketType.SequenceStart, 0);
  const out = new Uint8Array(header.length + hvcC.length);
  out.set(header);
  out.set(hvcC, header.length);
  return out;
}

// Alike in shape to encode-avc.ts's encodeAvcNaluBody and AvcTagEncoder: each writes its own header (Enhanced RTMP
// CodedFrames here, legacy AVCVIDEOPACKET there) and classifies its own NAL types.
export function encodeHevcCodedFramesBody(nals: readonly Uint8Array[], keyframe: boolean, compositionTimeMs: number): Uint8Array {
  const header = exHeader(keyframe ? VideoFrameType.Keyframe : VideoFrameType.Interframe, VideoPacketType.CodedFrames, 3);
  writeSi24(header, 5, compositionTimeMs);
  return lengthPrefixed(header, nals);
}

/** H.265 counterpart of AvcTagEncoder: SequenceStart when VPS/SPS/PPS change (on a keyframe), then CodedFrames. */
export class HevcTagEncoder extends NalTagEncoder {
  constructor() {
    super({
      setKinds: 3,
      classify: (nal) => {
        if (nal.length < 2) return 'skip';
        const type = nalType(nal);
        if (type === HevcNalType.Vps) return 0;
        if (type === HevcNalType.Sps) return 1;
        if (type === HevcNalType.Pps) return 2;
        if (type === HevcNalType.Aud || type === FILLER_DATA) return 'skip';
        return type >= IRAP_FIRST && type <= IRAP_LAST ? 'key' : 'frame';
      },
      sequenceHeaderBody: ([vps, sps, pps]) => encodeHevcSequenceStartBody(encodeHevcDecoderConfig(vps!, sps!, pps!)),
      framesBody: encodeHevcCodedFramesBody,
    });
  }
}
