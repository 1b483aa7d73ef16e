// H.264 helpers: AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) and the SPS fields we need
// for dimensions and frame rate (ITU-T H.264 §7.3.2.1.1 seq_parameter_set_data, Annex E.1.1 vui_parameters).
import { ProtocolError, ProtocolErrorCode, isProtocolError } from '../shared/protocol-error.ts';
import { BitReader, readCropWindow, removeEmulationPrevention } from './bit-reader.ts';

export type AvcDecoderConfig = {
  profile: number;
  profileCompatibility: number;
  level: number;
  /** NAL unit length prefix size in frames: 1, 2 or 4 */
  lengthSizeBytes: number;
  /** SPS NAL units (with their 1-byte NAL header), views into the record */
  sps: Uint8Array[];
  /** PPS NAL units (with their 1-byte NAL header), views into the record */
  pps: Uint8Array[];
};

export type H264SpsInfo = {
  profileIdc: number;
  constraintSetFlags: number;
  levelIdc: number;
  seqParameterSetId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** displayed size after frame cropping, in luma samples */
  width: number;
  height: number;
  frameMbsOnly: boolean;
  /** sample aspect ratio from the VUI; 1:1 when absent or unspecified */
  sarWidth: number;
  sarHeight: number;
  /** frames per second from VUI timing info (time_scale / (2 * num_units_in_tick)), when present */
  frameRate?: number;
};

export const H264NalType = { Idr: 5, Sei: 6, Sps: 7, Pps: 8, Aud: 9 } as const;
export type H264NalType = (typeof H264NalType)[keyof typeof H264NalType];

const AVC_CONFIGURATION_VERSION = 1;
/** profile_idc values whose SPS carries chroma_format_idc, bit depths and scaling matrices. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
const EXTENDED_SAR = 255;
/** Table E-1 sample aspect ratios for aspect_ratio_idc 1..16. */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [1, 1], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

export function parseAvcDecoderConfig(avcC: Uint8Array): AvcDecoderConfig {
  const r = new BitReader(avcC, 'avcC');
  const version = r.readBits(8);
  if (version !== AVC_CONFIGURATION_VERSION) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `avcC: configurationVersion ${version}`);
  }
  const profile = r.readBits(8);
  const profileCompatibility = r.readBits(8);
  const level = r.readBits(8);
  r.skipBits(6);
  const lengthSizeBytes = r.readBits(2) + 1;
  if (lengthSizeBytes === 3) throw new ProtocolError(ProtocolErrorCode.Malformed, 'avcC: lengthSizeMinusOne 2');
  r.skipBits(3);
  const spsCount = r.readBits(5);
  const sps: Uint8Array[] = [];
  for (let i = 0; i < spsCount; i++) sps.push(r.readBytes(r.readBits(16)));
  const ppsCount = r.readBits(8);
  const pps: Uint8Array[] = [];
  for (let i = 0; i < ppsCount; i++) pps.push(r.readBytes(r.readBits(16)));
  return { profile, profileCompatibility, level, lengthSizeBytes, sps, pps };
}

/** RFC 6381 codec string, e.g. "avc1.64001f". */
export function avcCodecString(config: Pick<AvcDecoderConfig, 'profile' | 'profileCompatibility' | 'level'>): string {
  const hex2 = (n: number) => n.toString(16).padStart(2, '0');
  return `avc1.${hex2(config.profile)}${hex2(config.profileCompatibility)}${hex2(config.level)}`;
}

/** scaling_list() of an SPS or PPS (H.264 §7.3.2.1.1.1): read past, the values are not needed. */
export function skipScalingList(r: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) nextScale = (lastScale + r.readSe() + 256) % 256;
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/** Parses an SPS NAL unit (starting at its NAL header byte, emulation prevention allowed). */
export function parseH264Sps(nal: Uint8Array): H264SpsInfo {
  const r = new BitReader(removeEmulationPrevention(nal), 'H.264 SPS');
  r.skipBits(3);
  const nalType = r.readBits(5);
  if (nalType !== H264NalType.Sps) throw new ProtocolError(ProtocolErrorCode.Malformed, `H.264 SPS: NAL type ${nalType}`);
  const profileIdc = r.readBits(8);
  const constraintSetFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const seqParameterSetId = r.readUe();
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUe();
    if (chromaFormatIdc > 3) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.264 SPS: chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = r.readUe() + 8;
    bitDepthChroma = r.readUe() + 8;
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.readUe(); // log2_max_frame_num_minus4
  const picOrderCntType = r.readUe();
  if (picOrderCntType === 0) {
    r.readUe(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.readSe(); // offset_for_non_ref_pic
    r.readSe(); // offset_for_top_to_bottom_field
    const cycle = r.readUe();
    if (cycle > 255) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.264 SPS: num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < cycle; i++) r.readSe();
  }
  r.readUe(); // max_num_ref_frames
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUe() + 1;
  const heightMapUnits = r.readUe() + 1;
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag
  const crop = readCropWindow(r); // frame_cropping_flag and its offsets
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 ? 1 : chromaArrayType === 3 ? 1 : 2;
  const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * fieldFactor;
  const width = widthMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = heightMapUnits * 16 * fieldFactor - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.264 SPS: cropping exceeds picture');

  const info: H264SpsInfo = {
    profileIdc,
    constraintSetFlags,
    levelIdc,
    seqParameterSetId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
    frameMbsOnly,
    sarWidth: 1,
    sarHeight: 1,
  };
  if (r.bitsLeft > 0 && r.readFlag()) {
    try {
      readVui(r, info);
    } catch (err) {
      // A cut or odd VUI does not make the dimensions wrong: keep what was read.
      if (!isProtocolError(err)) throw err;
    }
  }
  return info;
}

function readVui(r: BitReader, info: H264SpsInfo): void {
  if (r.readFlag()) {
    const aspectRatioIdc = r.readBits(8);
    if (aspectRatioIdc === EXTENDED_SAR) {
      info.sarWidth = r.readBits(16);
      info.sarHeight = r.readBits(16);
    } else {
      const sar = SAR_TABLE[aspectRatioIdc];
      if (sar !== undefined) [info.sarWidth, info.sarHeight] = sar;
    }
  }
  if (r.readFlag()) r.skipBits(1); // overscan_appropriate_flag
  if (r.readFlag()) {
    r.skipBits(4); // video_format, video_full_range_flag
    if (r.readFlag()) r.skipBits(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.readFlag()) {
    r.readUe(); // chroma_sample_loc_type_top_field
    r.readUe(); // chroma_sample_loc_type_bottom_field
  }
  if (r.readFlag()) {
    const numUnitsInTick = r.readBits(32);
    const timeScale = r.readBits(32);
    if (numUnitsInTick > 0 && timeScale > 0) info.frameRate = timeScale / (2 * numUnitsInTick);
  }
}
