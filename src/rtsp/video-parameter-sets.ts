// Parameter sets of an H.264 (SPS/PPS, RFC 6184 §8.1 sprop-parameter-sets) or H.265 (VPS/SPS/PPS, RFC 7798 §7.1)
// RTP stream, from the SDP and then in-band, turned into the avcC/hvcC decoder configuration a Track carries.
import { encodeAvcDecoderConfig } from '../flv/encode-avc.ts';
import { encodeHevcDecoderConfig } from '../flv/encode-hevc.ts';
import { removeEmulationPrevention } from '../media/bit-reader.ts';
import { VideoCodec } from '../media/types.ts';

const H264 = { Idr: 5, Sps: 7, Pps: 8, Aud: 9 } as const;
const H265 = { IrapFirst: 16, IrapLast: 23, Vps: 32, Sps: 33, Pps: 34, Aud: 35 } as const;

type Codec = typeof VideoCodec.H264 | typeof VideoCodec.H265;

/** profile_idc..level_idc (H.264 §7.3.2.1.1), or the 2-byte header, 1 byte and 12-byte profile_tier_level (H.265 §7.3.2.2) */
const H264_SPS_MIN_BYTES = 4;
const H265_SPS_MIN_RBSP_BYTES = 15;

/** An SPS too short to build avcC/hvcC from is not learned: the previous one (or a later one) is used instead. */
function usableSps(codec: Codec, nal: Uint8Array | undefined): boolean {
  if (!nal) return false;
  if (codec === VideoCodec.H264) return nal.length >= H264_SPS_MIN_BYTES;
  return removeEmulationPrevention(nal.subarray(0, H265_SPS_MIN_RBSP_BYTES + 8)).length >= H265_SPS_MIN_RBSP_BYTES;
}

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type SplitAccessUnit = { keyframe: boolean; changed: boolean; nalUnits: Uint8Array[] };

/** Holds the latest parameter set of each kind; one of each is what cameras send. */
export class VideoParameterSets {
  private vps: Uint8Array | undefined;
  private sps: Uint8Array | undefined;
  private pps: Uint8Array | undefined;

  constructor(
    readonly codec: Codec,
    initial: Readonly<{ vps?: readonly Uint8Array[]; sps: readonly Uint8Array[]; pps: readonly Uint8Array[] }>,
  ) {
    this.vps = initial.vps?.[0]?.slice();
    this.sps = initial.sps.find((n) => usableSps(codec, n))?.slice();
    this.pps = initial.pps[0]?.slice();
  }

  get complete(): boolean {
    return this.sps !== undefined && this.pps !== undefined && (this.codec === VideoCodec.H264 || this.vps !== undefined);
  }

  /** avcC or hvcC; call only when complete. */
  decoderConfig(): Uint8Array {
    if (this.codec === VideoCodec.H264) return encodeAvcDecoderConfig([this.sps!], [this.pps!]);
    return encodeHevcDecoderConfig([this.vps!], [this.sps!], [this.pps!]);
  }

  /** Takes the parameter sets and access unit delimiters out of an access unit and learns the parameter sets. */
  split(nalUnits: readonly Uint8Array[]): SplitAccessUnit {
    const out: Uint8Array[] = [];
    let keyframe = false;
    let changed = false;
    const learn = (kind: 'vps' | 'sps' | 'pps', nal: Uint8Array) => {
      if (same(this[kind], nal) || (kind === 'sps' && !usableSps(this.codec, nal))) return;
      this[kind] = nal.slice();
      changed = true;
    };
    for (const nal of nalUnits) {
      if (this.codec === VideoCodec.H264) {
        const type = nal[0]! & 0x1f;
        if (type === H264.Sps) learn('sps', nal);
        else if (type === H264.Pps) learn('pps', nal);
        else if (type !== H264.Aud) {
          if (type === H264.Idr) keyframe = true;
          out.push(nal);
        }
      } else {
        const type = (nal[0]! >> 1) & 0x3f;
        if (type === H265.Vps) learn('vps', nal);
        else if (type === H265.Sps) learn('sps', nal);
        else if (type === H265.Pps) learn('pps', nal);
        else if (type !== H265.Aud) {
          if (type >= H265.IrapFirst && type <= H265.IrapLast) keyframe = true;
          out.push(nal);
        }
      }
    }
    return { keyframe, changed, nalUnits: out };
  }

  /** The parameter sets as NAL units, in decoding order (for Annex B output or a keyframe's in-band copy). */
  nalUnits(): Uint8Array[] {
    return [this.vps, this.sps, this.pps].filter((n): n is Uint8Array => n !== undefined);
  }
}
