// Test fixtures: real parameter sets (from a camera SDP and libx265) and deterministic NAL payloads.
import type { RtpTrackDescription } from '../../src/rtsp/sdp-tracks.ts';

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export const H264_SPS = b64('Z01AKI2NQDwBE/LCAAAOEAACvyAI');
export const H264_PPS = b64('aO44gA==');
export const H265_VPS = b64('QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ');
export const H265_SPS = b64('QgEBAWAAAAMAkAAAAwAAAwBdoAKAgC0WWVmkkyvAEAAAAwAQAAADAZQg');
export const H265_PPS = b64('RAHBcrRiQA==');

/** A NAL of `size` bytes: `header` bytes, then a counter pattern with no zero bytes. */
export function nal(header: number[], size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  out.set(header);
  for (let i = header.length; i < size; i++) out[i] = ((i * 31 + seed * 7) % 251) + 1;
  return out;
}

/** H.264 IDR / non-IDR slices whose first_mb_in_slice is 0 (the ue(v) "1" bit after the NAL header). */
export const h264Idr = (size: number, seed = 1) => nal([0x65, 0x88], size, seed);
export const h264P = (size: number, seed = 1) => nal([0x41, 0x9a], size, seed);
/** a second slice of a picture: first_mb_in_slice != 0 */
export const h264PSecondSlice = (size: number, seed = 1) => nal([0x41, 0x02], size, seed);
/** H.265 IDR_W_RADL (19) and TRAIL_R (1) with first_slice_segment_in_pic_flag set */
export const h265Idr = (size: number, seed = 1) => nal([0x26, 0x01, 0xaf], size, seed);
export const h265P = (size: number, seed = 1) => nal([0x02, 0x01, 0xd0], size, seed);

export function h264Description(extra: Partial<RtpTrackDescription> = {}): RtpTrackDescription {
  return {
    kind: 'video',
    payloadType: 96,
    clockRate: 90000,
    channels: 1,
    control: 'rtsp://h/s/trackID=0',
    mediaIndex: 0,
    params: { codec: 'h264', sps: [H264_SPS], pps: [H264_PPS], packetizationMode: 1 },
    ...extra,
  };
}

export function h265Description(donlPresent = false): RtpTrackDescription {
  return {
    kind: 'video',
    payloadType: 97,
    clockRate: 90000,
    channels: 1,
    control: 'rtsp://h/s/trackID=1',
    mediaIndex: 1,
    params: { codec: 'h265', vps: [], sps: [], pps: [], donlPresent },
  };
}

export function aacDescription(): RtpTrackDescription {
  return {
    kind: 'audio',
    payloadType: 98,
    clockRate: 48000,
    channels: 2,
    control: 'rtsp://h/s/trackID=2',
    mediaIndex: 2,
    params: { codec: 'aac', config: Uint8Array.of(0x11, 0x90), sizeLength: 13, indexLength: 3, indexDeltaLength: 3 },
  };
}

export function lengthPrefix(nals: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(nals.flatMap((n) => [Uint8Array.of(n.length >>> 24, n.length >>> 16, n.length >>> 8, n.length), n]));
}
