// What a load-test viewer needs to know about a media message from its first two body bytes
// (FLV video/audio tag headers, E.4.2/E.4.3, and Enhanced RTMP's ExVideoTagHeader).

const ENHANCED_FLAG = 0x80;
const FrameType = { Key: 1 } as const;
const LegacyCodec = { Avc: 7, HevcLegacy: 12 } as const;
const AvcPacket = { SequenceHeader: 0, Nalu: 1 } as const;
const ExPacket = { SequenceStart: 0, CodedFrames: 1, CodedFramesX: 3 } as const;
const AudioFormat = { Aac: 10, ExHeader: 9 } as const;

/** a video message that carries a picture (not a sequence header, end of sequence or metadata) */
export function isVideoFrame(b0: number, b1: number): boolean {
  if (b0 < 0) return false;
  if (b0 & ENHANCED_FLAG) {
    const packetType = b0 & 0x0f;
    return packetType === ExPacket.CodedFrames || packetType === ExPacket.CodedFramesX;
  }
  const codec = b0 & 0x0f;
  if (codec === LegacyCodec.Avc || codec === LegacyCodec.HevcLegacy) return b1 === AvcPacket.Nalu;
  return ((b0 >> 4) & 0x07) !== 5; // 5 = video info / command frame
}

export function isVideoKeyframe(b0: number, b1: number): boolean {
  return isVideoFrame(b0, b1) && ((b0 >> 4) & 0x07) === FrameType.Key;
}

export function isAudioFrame(b0: number, b1: number): boolean {
  if (b0 < 0) return false;
  const format = b0 >> 4;
  if (format === AudioFormat.Aac) return b1 === 1;
  if (format === AudioFormat.ExHeader) return (b0 & 0x0f) === 1;
  return true;
}

/** cheap identity of a frame across servers that rewrite timestamps: its size and last 4 bytes */
export function frameKey(sizeBytes: number, tail32: number): number {
  return (sizeBytes % 0x200000) * 0x100000000 + tail32;
}

/** the last four bytes (fewer when shorter) as a big-endian uint32, as the incremental scanners fold them */
export function tail32Of(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n >= 4) return ((bytes[n - 4]! << 24) | (bytes[n - 3]! << 16) | (bytes[n - 2]! << 8) | bytes[n - 1]!) >>> 0;
  let v = 0;
  for (let k = 0; k < n; k++) v = ((v << 8) | bytes[k]!) >>> 0;
  return v;
}
