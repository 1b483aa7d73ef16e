// Length-prefixed (AVCC/HVCC, ISO/IEC 14496-15 §5.3.2/§8.3.2) to Annex B byte stream (ITU-T H.264/H.265 Annex B) for
// MPEG-TS: an access unit delimiter first (H.264 §7.3.2.4, H.265 §7.3.2.5) and parameter sets on keyframes.
import { splitLengthPrefixed } from '../media/nal-units.ts';
import { H264NalType } from '../media/h264.ts';
import { HevcNalType } from '../media/h265.ts';
import { VideoCodec } from '../media/types.ts';

export type AnnexBCodec = typeof VideoCodec.H264 | typeof VideoCodec.H265;

/** What the converter needs from the decoder configuration record. */
export type AnnexBConfig = Readonly<{
  codec: AnnexBCodec;
  /** NAL unit length prefix size: 1, 2 or 4 */
  lengthSizeBytes: number;
  /** VPS (H.265), SPS, PPS in that order, each with its NAL header */
  parameterSets: readonly Uint8Array[];
}>;

export const START_CODE = Uint8Array.of(0x00, 0x00, 0x00, 0x01);
/** H.264 AUD: nal_unit_type 9, primary_pic_type 7 (any slice type), rbsp stop bit */
export const H264_AUD = Uint8Array.of(H264NalType.Aud, 0xf0);
/** H.265 AUD: nal_unit_type 35, layer 0, temporal id 0; pic_type 2 (I, P, B), rbsp stop bit */
export const HEVC_AUD = Uint8Array.of(HevcNalType.Aud << 1, 0x01, 0x50);

function nalType(codec: AnnexBCodec, nal: Uint8Array): number {
  const first = nal[0]!;
  return codec === VideoCodec.H264 ? first & 0x1f : (first >> 1) & 0x3f;
}

function requiredParameterSetTypes(codec: AnnexBCodec): readonly number[] {
  return codec === VideoCodec.H264
    ? [H264NalType.Sps, H264NalType.Pps]
    : [HevcNalType.Vps, HevcNalType.Sps, HevcNalType.Pps];
}


/**
 * The Annex B access unit as pieces to concatenate (views into `data` and the config, no copies): AUD, then on a
 * keyframe the config's parameter sets unless the frame carries its own, then the frame's NAL units (its own AUDs
 * dropped). Every NAL unit gets a 4-byte start code.
 */
export function annexBPieces(config: AnnexBConfig, data: Uint8Array, keyframe: boolean): Uint8Array[] {
  const nals = splitLengthPrefixed(data, config.lengthSizeBytes);
  const audType = config.codec === VideoCodec.H264 ? H264NalType.Aud : HevcNalType.Aud;
  const pieces: Uint8Array[] = [START_CODE, config.codec === VideoCodec.H264 ? H264_AUD : HEVC_AUD];
  if (keyframe) {
    const present = new Set(nals.map((nal) => nalType(config.codec, nal)));
    const carried = requiredParameterSetTypes(config.codec).every((type) => present.has(type));
    if (!carried) for (const ps of config.parameterSets) pieces.push(START_CODE, ps);
  }
  for (const nal of nals) {
    if (nalType(config.codec, nal) === audType) continue;
    pieces.push(START_CODE, nal);
  }
  return pieces;
}
