// RTP packetizers (no sequence numbers, SSRC or random offsets: see rtp-stamper.ts), stateless per frame so one
// packetization per stream serves every viewer: H.264 single NAL / FU-A (RFC 6184 §5.6, §5.8), H.265 single NAL / FU
// (RFC 7798 §4.4.1, §4.4.3), AAC-hbr one AU per packet or fragmented (RFC 3640 §3.2, §3.3.6), G.711 split on sample
// boundaries (RFC 3551 §4.5.14), Opus one packet per frame (RFC 7587 §4.2).
import { splitLengthPrefixed } from '../media/nal-units.ts';
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import { AudioCodec, VideoCodec, type MediaFrame, type Track } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type RtpPayloadChunk = Readonly<{ payload: Uint8Array; marker: boolean; /** RTP ticks after the frame's timestamp */ timestampDelta: number }>;

export type PacketizedFrame = Readonly<{
  /** the frame's pts in the codec clock, before the stream's random offset and 32-bit wrap */
  rtpTime: number;
  keyframe: boolean;
  chunks: readonly RtpPayloadChunk[];
}>;

/** Typical Ethernet MTU less IP/UDP/RTP headers and room for the 4-byte interleaved header. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1400;
const H264_FU_A = 28;
const H265_FU = 49;


function fragmentNal(nal: Uint8Array, codec: 'h264' | 'h265', maxPayload: number, chunks: Uint8Array[]): void {
  const headerBytes = codec === 'h264' ? 1 : 2;
  const fuOverhead = headerBytes + 1;
  if (nal.length <= maxPayload) {
    chunks.push(nal);
    return;
  }
  const room = maxPayload - fuOverhead;
  if (room <= 0) throw new RangeError(`RTP payload size ${maxPayload} too small for fragmentation`);
  const type = codec === 'h264' ? nal[0]! & 0x1f : (nal[0]! >> 1) & 0x3f;
  let at = headerBytes;
  while (at < nal.length) {
    const end = Math.min(nal.length, at + room);
    const out = new Uint8Array(fuOverhead + end - at);
    if (codec === 'h264') {
      out[0] = (nal[0]! & 0xe0) | H264_FU_A;
    } else {
      out[0] = (nal[0]! & 0x81) | (H265_FU << 1);
      out[1] = nal[1]!;
    }
    out[headerBytes] = (at === headerBytes ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
    out.set(nal.subarray(at, end), fuOverhead);
    chunks.push(out);
    at = end;
  }
}

function lengthSizeOf(track: Track): number {
  // avcC byte 4 / hvcC byte 21 low bits hold lengthSizeMinusOne
  const at = track.codec === VideoCodec.H264 ? 4 : 21;
  const b = track.config[at];
  return b === undefined ? 4 : (b & 0x03) + 1;
}

/** Packetizes frames of one track; `parameterSets` (SPS/PPS or VPS/SPS/PPS) are sent before each keyframe. */
export class RtpPacketizer {
  constructor(
    private readonly track: Track,
    readonly clockRate: number,
    private readonly parameterSets: readonly Uint8Array[] = [],
    private readonly maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
  ) {}

  packetize(frame: MediaFrame): PacketizedFrame {
    const rtpTime = Math.round((frame.pts * this.clockRate) / (this.track.timescale || MEDIA_TIMESCALE));
    const chunks = this.chunks(frame);
    return { rtpTime, keyframe: frame.keyframe, chunks };
  }

  private chunks(frame: MediaFrame): RtpPayloadChunk[] {
    const codec = this.track.codec;
    if (codec === VideoCodec.H264 || codec === VideoCodec.H265) {
      const parts: Uint8Array[] = [];
      const kind = codec === VideoCodec.H264 ? 'h264' : 'h265';
      const nals = splitLengthPrefixed(frame.data, lengthSizeOf(this.track));
      if (frame.keyframe) for (const ps of this.parameterSets) fragmentNal(ps, kind, this.maxPayloadBytes, parts);
      for (const nal of nals) fragmentNal(nal, kind, this.maxPayloadBytes, parts);
      return parts.map((payload, i) => ({ payload, marker: i === parts.length - 1, timestampDelta: 0 }));
    }
    if (codec === AudioCodec.AAC) return aacChunks(frame.data, this.maxPayloadBytes);
    if (codec === AudioCodec.G711A || codec === AudioCodec.G711U) {
      const out: RtpPayloadChunk[] = [];
      // one byte per sample: a split keeps the timestamp of each packet's first sample
      for (let at = 0; at < frame.data.length; at += this.maxPayloadBytes) {
        out.push({ payload: frame.data.subarray(at, at + this.maxPayloadBytes), marker: false, timestampDelta: at });
      }
      return out;
    }
    if (codec === AudioCodec.Opus) return [{ payload: frame.data, marker: true, timestampDelta: 0 }];
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `RTP packetizer: codec ${codec}`);
  }
}

/** AU-headers-length 16, then a 13-bit size and 3-bit index (sizelength=13, indexlength=3). */
function aacChunks(au: Uint8Array, maxPayload: number): RtpPayloadChunk[] {
  const MAX_AU = 0x1fff;
  if (au.length > MAX_AU) throw new ProtocolError(ProtocolErrorCode.TooLarge, `AAC frame of ${au.length} bytes`);
  const header = Uint8Array.of(0x00, 0x10, au.length >> 5, (au.length & 0x1f) << 3);
  const room = maxPayload - header.length;
  const out: RtpPayloadChunk[] = [];
  for (let at = 0; at < au.length || at === 0; at += room) {
    const part = au.subarray(at, Math.min(au.length, at + room));
    const payload = new Uint8Array(header.length + part.length);
    payload.set(header);
    payload.set(part, header.length);
    out.push({ payload, marker: at + room >= au.length, timestampDelta: 0 });
    if (au.length === 0) break;
  }
  return out;
}
