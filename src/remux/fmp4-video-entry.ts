// Video sample entries for fragmented MP4: VisualSampleEntry (ISO/IEC 14496-12 §12.1.3) as 'avc1' + avcC
// (ISO/IEC 14496-15 §5.4.2) and 'hvc1' + hvcC (ISO/IEC 14496-15 §8.4.1), with 'pasp' (14496-12 §12.1.4) for non-square pixels.
import { parseAvcDecoderConfig, parseH264Sps } from '../media/h264.ts';
import { parseHevcDecoderConfig, parseHevcSps } from '../media/h265.ts';
import { VideoCodec, type Track } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { BoxType, FIXED_16_16_ONE } from './mp4-box-types.ts';
import { type Mp4Writer, UINT32_MAX } from './mp4-writer.ts';

// Alike in shape to fmp4-audio-entry.ts's AudioSampleEntry and constants: different boxes' fields (§12.1.3 vs §12.2.3).
export type VideoSampleEntry = {
  kind: 'video';
  format: typeof BoxType.Avc1 | typeof BoxType.Hvc1;
  configBox: typeof BoxType.AvcC | typeof BoxType.HvcC;
  /** the decoder configuration record, written as the configuration box payload */
  config: Uint8Array;
  /** picture size after cropping, in luma samples */
  width: number;
  height: number;
  /** sample aspect ratio (1:1 when unknown) */
  sarWidth: number;
  sarHeight: number;
};

/** 72 dpi in 16.16 fixed point: horizresolution and vertresolution (§12.1.3.2). */
const RESOLUTION_72_DPI = 0x00480000;
const FRAME_COUNT = 1;
const COMPRESSOR_NAME_BYTES = 32;
/** depth 0x0018: colour images with no alpha. */
const DEPTH_COLOUR_NO_ALPHA = 0x0018;
const PRE_DEFINED_MINUS_ONE = -1;
const DATA_REFERENCE_INDEX = 1;
const MAX_DIMENSION = 0xffff;

/** Reads the picture size from the SPS inside the track's avcC/hvcC. */
export function describeVideoEntry(track: Track): VideoSampleEntry {
  if (track.codec === VideoCodec.H264) {
    const avcC = parseAvcDecoderConfig(track.config);
    const sps = avcC.sps[0];
    if (sps === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, 'avcC: no SPS');
    const info = parseH264Sps(sps);
    return entry(BoxType.Avc1, BoxType.AvcC, track.config, info.width, info.height, info.sarWidth, info.sarHeight);
  }
  if (track.codec === VideoCodec.H265) {
    const hvcC = parseHevcDecoderConfig(track.config);
    const sps = hvcC.sps[0];
    if (sps === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, 'hvcC: no SPS');
    const info = parseHevcSps(sps);
    return entry(BoxType.Hvc1, BoxType.HvcC, track.config, info.width, info.height, 1, 1);
  }
  throw new ProtocolError(ProtocolErrorCode.Unsupported, `fMP4: video codec ${track.codec}`);
}

function entry(
  format: VideoSampleEntry['format'],
  configBox: VideoSampleEntry['configBox'],
  config: Uint8Array,
  width: number,
  height: number,
  sarWidth: number,
  sarHeight: number,
): VideoSampleEntry {
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `fMP4: picture size ${width}x${height}`);
  }
  const square = sarWidth <= 0 || sarHeight <= 0 || sarWidth === sarHeight;
  return {
    kind: 'video',
    format,
    configBox,
    config,
    width,
    height,
    sarWidth: square ? 1 : sarWidth,
    sarHeight: square ? 1 : sarHeight,
  };
}

/** tkhd width in 16.16 fixed point: the displayed width, stretched by the sample aspect ratio. */
export function displayWidthFixed(entry: VideoSampleEntry): number {
  return Math.min(UINT32_MAX, Math.round(((entry.width * entry.sarWidth) / entry.sarHeight) * FIXED_16_16_ONE));
}

export function writeVideoSampleEntry(w: Mp4Writer, entry: VideoSampleEntry): void {
  w.box(entry.format, () => {
    w.zeros(6); // SampleEntry reserved
    w.u16(DATA_REFERENCE_INDEX);
    w.zeros(16); // pre_defined, reserved, pre_defined[3]
    w.u16(entry.width);
    w.u16(entry.height);
    w.u32(RESOLUTION_72_DPI);
    w.u32(RESOLUTION_72_DPI);
    w.zeros(4); // reserved
    w.u16(FRAME_COUNT);
    w.zeros(COMPRESSOR_NAME_BYTES); // empty compressorname: length byte 0, padding
    w.u16(DEPTH_COLOUR_NO_ALPHA);
    w.i16(PRE_DEFINED_MINUS_ONE);
    w.box(entry.configBox, () => w.bytes(entry.config));
    if (entry.sarWidth !== entry.sarHeight) {
      w.box(BoxType.Pasp, () => {
        w.u32(entry.sarWidth);
        w.u32(entry.sarHeight);
      });
    }
  });
}
