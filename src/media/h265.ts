// H.265 helpers: HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) and the SPS fields giving the
// picture size (ITU-T H.265 §7.3.2.2 seq_parameter_set_rbsp, §7.3.3 profile_tier_level).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { BitReader, readCropWindow, removeEmulationPrevention } from './bit-reader.ts';

export const HevcNalType = { Vps: 32, Sps: 33, Pps: 34, Aud: 35, PrefixSei: 39, SuffixSei: 40 } as const;
export type HevcNalType = (typeof HevcNalType)[keyof typeof HevcNalType];

export type HevcNalArray = { nalUnitType: number; arrayCompleteness: boolean; nalUnits: Uint8Array[] };

export type HevcDecoderConfig = {
  generalProfileSpace: number;
  generalTierFlag: boolean;
  generalProfileIdc: number;
  generalProfileCompatibilityFlags: number;
  /** the 48-bit general constraint indicator flags, a view into the record */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** frames per 256 seconds; 0 = unspecified */
  avgFrameRate: number;
  numTemporalLayers: number;
  /** NAL unit length prefix size in frames: 1, 2 or 4 */
  lengthSizeBytes: number;
  /** every NAL array as stored; NAL units (with their 2-byte header) are views into the record */
  arrays: HevcNalArray[];
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
};

export type HevcSpsInfo = {
  generalProfileIdc: number;
  generalLevelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** displayed size after the conformance window, in luma samples */
  width: number;
  height: number;
};

const HVCC_HEADER_BYTES = 23;

export function parseHevcDecoderConfig(hvcC: Uint8Array): HevcDecoderConfig {
  const r = new BitReader(hvcC, 'hvcC');
  if (hvcC.length < HVCC_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'hvcC: header');
  const version = r.readBits(8);
  if (version !== 1) throw new ProtocolError(ProtocolErrorCode.Malformed, `hvcC: configurationVersion ${version}`);
  const generalProfileSpace = r.readBits(2);
  const generalTierFlag = r.readFlag();
  const generalProfileIdc = r.readBits(5);
  const generalProfileCompatibilityFlags = r.readBits(32);
  const generalConstraintIndicatorFlags = r.readBytes(6);
  const generalLevelIdc = r.readBits(8);
  r.skipBits(16); // reserved(4), min_spatial_segmentation_idc(12)
  r.skipBits(8); // reserved(6), parallelismType(2)
  r.skipBits(6);
  const chromaFormatIdc = r.readBits(2);
  r.skipBits(5);
  const bitDepthLuma = r.readBits(3) + 8;
  r.skipBits(5);
  const bitDepthChroma = r.readBits(3) + 8;
  const avgFrameRate = r.readBits(16);
  r.skipBits(2); // constantFrameRate
  const numTemporalLayers = r.readBits(3);
  r.skipBits(1); // temporalIdNested
  const lengthSizeBytes = r.readBits(2) + 1;
  if (lengthSizeBytes === 3) throw new ProtocolError(ProtocolErrorCode.Malformed, 'hvcC: lengthSizeMinusOne 2');
  const numArrays = r.readBits(8);
  const arrays: HevcNalArray[] = [];
  const vps: Uint8Array[] = [];
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (let i = 0; i < numArrays; i++) {
    const arrayCompleteness = r.readFlag();
    r.skipBits(1);
    const nalUnitType = r.readBits(6);
    const count = r.readBits(16);
    const nalUnits: Uint8Array[] = [];
    for (let j = 0; j < count; j++) nalUnits.push(r.readBytes(r.readBits(16)));
    arrays.push({ nalUnitType, arrayCompleteness, nalUnits });
    if (nalUnitType === HevcNalType.Vps) vps.push(...nalUnits);
    else if (nalUnitType === HevcNalType.Sps) sps.push(...nalUnits);
    else if (nalUnitType === HevcNalType.Pps) pps.push(...nalUnits);
  }
  return {
    generalProfileSpace,
    generalTierFlag,
    generalProfileIdc,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags,
    generalLevelIdc,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    avgFrameRate,
    numTemporalLayers,
    lengthSizeBytes,
    arrays,
    vps,
    sps,
    pps,
  };
}

/** RFC 6381 / ISO/IEC 14496-15 Annex E codec string, e.g. "hvc1.1.6.L93.B0". */
export function hevcCodecString(config: HevcDecoderConfig, sampleEntry: 'hvc1' | 'hev1' = 'hvc1'): string {
  const space = ['', 'A', 'B', 'C'][config.generalProfileSpace] ?? '';
  let compat = 0;
  for (let i = 0; i < 32; i++) if ((config.generalProfileCompatibilityFlags >>> i) & 1) compat |= 1 << (31 - i);
  const tier = config.generalTierFlag ? 'H' : 'L';
  const flags = [...config.generalConstraintIndicatorFlags];
  while (flags.length > 0 && flags[flags.length - 1] === 0) flags.pop();
  const constraints = flags.map((b) => `.${b.toString(16).toUpperCase()}`).join('');
  return `${sampleEntry}.${space}${config.generalProfileIdc}.${(compat >>> 0).toString(16).toUpperCase()}.${tier}${config.generalLevelIdc}${constraints}`;
}

function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): { profileIdc: number; levelIdc: number } {
  r.skipBits(3); // general_profile_space, general_tier_flag
  const profileIdc = r.readBits(5);
  r.skipBits(32 + 48); // compatibility flags, progressive/interlaced/constraint flags
  const levelIdc = r.readBits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(88);
    if (levelPresent[i]) r.skipBits(8);
  }
  return { profileIdc, levelIdc };
}

/** Parses an SPS NAL unit (starting at its 2-byte NAL header, emulation prevention allowed). */
export function parseHevcSps(nal: Uint8Array): HevcSpsInfo {
  const r = new BitReader(removeEmulationPrevention(nal), 'H.265 SPS');
  r.skipBits(1);
  const nalType = r.readBits(6);
  if (nalType !== HevcNalType.Sps) throw new ProtocolError(ProtocolErrorCode.Malformed, `H.265 SPS: NAL type ${nalType}`);
  r.skipBits(9); // nuh_layer_id, nuh_temporal_id_plus1
  r.skipBits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.265 SPS: sps_max_sub_layers_minus1');
  r.skipBits(1); // sps_temporal_id_nesting_flag
  const { profileIdc, levelIdc } = readProfileTierLevel(r, maxSubLayersMinus1);
  r.readUe(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.readUe();
  if (chromaFormatIdc > 3) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.265 SPS: chroma_format_idc');
  const separateColourPlane = chromaFormatIdc === 3 ? r.readFlag() : false;
  const picWidth = r.readUe();
  const picHeight = r.readUe();
  const crop = readCropWindow(r); // conformance_window_flag and its offsets
  const bitDepthLuma = r.readUe() + 8;
  const bitDepthChroma = r.readUe() + 8;
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = picWidth - subWidthC * (crop.left + crop.right);
  const height = picHeight - subHeightC * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.265 SPS: bad picture size');
  return { generalProfileIdc: profileIdc, generalLevelIdc: levelIdc, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height };
}
