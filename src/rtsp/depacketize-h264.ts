// H.264 RTP payload depacketizer (RFC 6184 §5.6 single NAL unit, §5.7.1 STAP-A, §5.8 FU-A; non-interleaved mode):
// RTP packets in, complete access units (NAL units without start codes) out.
import { readUint16BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { NalDepacketizer } from './nal-access-unit.ts';

export const H264PayloadType = { StapA: 24, StapB: 25, Mtap16: 26, Mtap24: 27, FuA: 28, FuB: 29 } as const;

const H264_SLICE = 1;
const H264_IDR = 5;
const H264_SEI = 6;
const H264_AUD = 9;

/** A NAL that can open an access unit (H.264 §7.4.1.2.3): AUD, SEI, SPS, PPS, or the first slice (first_mb_in_slice 0). */
export function h264StartsPicture(nal: Uint8Array): boolean {
  const type = nal[0]! & 0x1f;
  if (type === H264_SLICE || type === H264_IDR) return nal.length > 1 && (nal[1]! & 0x80) !== 0;
  return (type >= H264_SEI && type <= H264_AUD) || (type >= 14 && type <= 18);
}

export class H264Depacketizer extends NalDepacketizer {
  constructor() {
    super(h264StartsPicture);
  }

  protected readPayload(p: Uint8Array): void {
    if (p.length === 0) throw new ProtocolError(ProtocolErrorCode.Truncated, 'H.264 RTP: empty payload');
    if ((p[0]! & 0x80) !== 0) this.au.taint(); // forbidden_zero_bit: the sender marks a damaged NAL
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      this.au.addNal(p);
    } else if (type === H264PayloadType.StapA) {
      let at = 1;
      while (at < p.length) {
        if (at + 2 > p.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'H.264 STAP-A: NAL size');
        const size = readUint16BE(p, at);
        at += 2;
        if (size === 0 || at + size > p.length) throw new ProtocolError(ProtocolErrorCode.Malformed, `H.264 STAP-A: NAL size ${size}`);
        this.au.addNal(p.subarray(at, at + size));
        at += size;
      }
    } else if (type === H264PayloadType.FuA) {
      if (p.length < 3) throw new ProtocolError(ProtocolErrorCode.Truncated, 'H.264 FU-A');
      const fuHeader = p[1]!;
      const start = (fuHeader & 0x80) !== 0;
      const end = (fuHeader & 0x40) !== 0;
      if (start && end) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.264 FU-A: start and end in one fragment');
      if (start) this.au.fragmentStart(Uint8Array.of((p[0]! & 0xe0) | (fuHeader & 0x1f)), p.subarray(2));
      else this.au.fragmentContinue(p.subarray(2), end);
    } else {
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `H.264 RTP: NAL unit type ${type} (interleaved mode or reserved)`);
    }
  }
}
