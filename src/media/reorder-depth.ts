// How many frames a decoder may hold back before output (B-frame reordering), read from the SPS: H.264
// max_num_reorder_frames (ITU-T H.264 §7.3.2.1.1 and Annex E.1.1 vui_parameters/bitstream_restriction, E.1.2
// hrd_parameters) and H.265 sps_max_num_reorder_pics (ITU-T H.265 §7.3.2.2.1). RTP carries only presentation times;
// this depth is what turns them back into decode times.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { BitReader, removeEmulationPrevention } from './bit-reader.ts';
import { skipScalingList } from './h264.ts';

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
const BASELINE_PROFILE = 66;
const EXTENDED_SAR = 255;

function skipHrd(r: BitReader): void {
  const cpbCount = r.readUe() + 1;
  if (cpbCount > 32) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.264 SPS: cpb_cnt_minus1');
  r.skipBits(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCount; i++) {
    r.readUe();
    r.readUe();
    r.skipBits(1);
  }
  r.skipBits(20); // four delay/offset length fields
}

/**
 * H.264 reorder depth: max_num_reorder_frames when the VUI says, 0 when the stream cannot reorder (Baseline, or
 * pic_order_cnt_type 2 where output order is decode order), undefined when the SPS does not tell.
 * Throws ProtocolError on a truncated SPS.
 */
export function h264ReorderDepth(sps: Uint8Array): number | undefined {
  const r = new BitReader(removeEmulationPrevention(sps), 'H.264 SPS');
  r.skipBits(8); // NAL header
  const profileIdc = r.readBits(8);
  r.skipBits(16); // constraint flags, level_idc
  r.readUe(); // seq_parameter_set_id
  if (HIGH_PROFILES.has(profileIdc)) {
    const chroma = r.readUe();
    if (chroma === 3) r.skipBits(1);
    r.readUe();
    r.readUe();
    r.skipBits(1);
    if (r.readFlag()) for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
  }
  r.readUe(); // log2_max_frame_num_minus4
  const pocType = r.readUe();
  if (pocType === 0) r.readUe();
  else if (pocType === 1) {
    r.skipBits(1);
    r.readSe();
    r.readSe();
    const cycle = r.readUe();
    if (cycle > 255) return undefined;
    for (let i = 0; i < cycle; i++) r.readSe();
  }
  if (profileIdc === BASELINE_PROFILE || pocType === 2) return 0;
  r.readUe(); // max_num_ref_frames
  r.skipBits(1);
  r.readUe();
  r.readUe();
  if (!r.readFlag()) r.skipBits(1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
  r.skipBits(1);
  if (r.readFlag()) for (let i = 0; i < 4; i++) r.readUe(); // frame cropping
  if (r.bitsLeft === 0 || !r.readFlag()) return undefined; // no VUI
  if (r.readFlag() && r.readBits(8) === EXTENDED_SAR) r.skipBits(32);
  if (r.readFlag()) r.skipBits(1);
  if (r.readFlag()) {
    r.skipBits(4);
    if (r.readFlag()) r.skipBits(24);
  }
  if (r.readFlag()) {
    r.readUe();
    r.readUe();
  }
  if (r.readFlag()) r.skipBits(65); // num_units_in_tick, time_scale, fixed_frame_rate_flag
  const nalHrd = r.readFlag();
  if (nalHrd) skipHrd(r);
  const vclHrd = r.readFlag();
  if (vclHrd) skipHrd(r);
  if (nalHrd || vclHrd) r.skipBits(1); // low_delay_hrd_flag
  r.skipBits(1); // pic_struct_present_flag
  if (!r.readFlag()) return undefined; // bitstream_restriction_flag
  r.skipBits(1);
  for (let i = 0; i < 4; i++) r.readUe();
  return r.readUe();
}

/** H.265 sps_max_num_reorder_pics of the highest sub-layer. Throws ProtocolError on a truncated SPS. */
export function h265ReorderDepth(sps: Uint8Array): number {
  const r = new BitReader(removeEmulationPrevention(sps), 'H.265 SPS');
  r.skipBits(16 + 4); // NAL header, sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  r.skipBits(1);
  r.skipBits(2 + 1 + 5 + 32 + 48 + 8); // general profile_tier_level
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(88);
    if (levelPresent[i]) r.skipBits(8);
  }
  r.readUe(); // sps_seq_parameter_set_id
  if (r.readUe() === 3) r.skipBits(1); // chroma_format_idc, separate_colour_plane_flag
  r.readUe();
  r.readUe();
  if (r.readFlag()) for (let i = 0; i < 4; i++) r.readUe(); // conformance window
  r.readUe();
  r.readUe(); // bit depths
  r.readUe(); // log2_max_pic_order_cnt_lsb_minus4
  const allLayers = r.readFlag();
  let reorder = 0;
  for (let i = allLayers ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.readUe();
    reorder = r.readUe();
    r.readUe();
  }
  return reorder;
}
