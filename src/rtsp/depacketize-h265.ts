// H.265 RTP payload depacketizer (RFC 7798 §4.4.1 single NAL unit, §4.4.2 aggregation packet, §4.4.3 fragmentation
// unit, DONL/DOND fields when sprop-max-don-diff > 0): RTP packets in, complete access units out.
import { readUint16BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { NalDepacketizer } from './nal-access-unit.ts';

export const H265PayloadType = { Ap: 48, Fu: 49, Paci: 50 } as const;

const nalType = (nal: Uint8Array) => (nal[0]! >> 1) & 0x3f;

/** A NAL that can open an access unit (H.265 §7.4.2.4.4): VPS..SEI prefix types, or a first slice segment. */
export function h265StartsPicture(nal: Uint8Array): boolean {
  const type = nalType(nal);
  if (type <= 31) return nal.length > 2 && (nal[2]! & 0x80) !== 0; // first_slice_segment_in_pic_flag
  return (type >= 32 && type <= 35) || type === 39 || (type >= 41 && type <= 44) || (type >= 48 && type <= 55);
}

export class H265Depacketizer extends NalDepacketizer {
  constructor(private readonly donlPresent = false) {
    super(h265StartsPicture);
  }

  protected readPayload(p: Uint8Array): void {
    if (p.length < 3) throw new ProtocolError(ProtocolErrorCode.Truncated, 'H.265 RTP: payload');
    if ((p[0]! & 0x80) !== 0) this.au.taint();
    const type = nalType(p);
    const don = this.donlPresent ? 2 : 0;
    if (type < H265PayloadType.Ap) {
      this.au.addNal(don === 0 ? p : concatHeader(p.subarray(0, 2), p.subarray(2 + don)));
    } else if (type === H265PayloadType.Ap) {
      let at = 2;
      let first = true;
      while (at < p.length) {
        at += this.donlPresent ? (first ? 2 : 1) : 0;
        first = false;
        if (at + 2 > p.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'H.265 AP: NAL size');
        const size = readUint16BE(p, at);
        at += 2;
        if (size < 2 || at + size > p.length) throw new ProtocolError(ProtocolErrorCode.Malformed, `H.265 AP: NAL size ${size}`);
        this.au.addNal(p.subarray(at, at + size));
        at += size;
      }
    } else if (type === H265PayloadType.Fu) {
      const fuHeader = p[2]!;
      const start = (fuHeader & 0x80) !== 0;
      const end = (fuHeader & 0x40) !== 0;
      if (start && end) throw new ProtocolError(ProtocolErrorCode.Malformed, 'H.265 FU: start and end in one fragment');
      const body = 3 + (start ? don : 0);
      if (p.length <= body) throw new ProtocolError(ProtocolErrorCode.Truncated, 'H.265 FU');
      if (start) this.au.fragmentStart(Uint8Array.of((p[0]! & 0x81) | ((fuHeader & 0x3f) << 1), p[1]!), p.subarray(body));
      else this.au.fragmentContinue(p.subarray(body), end);
    } else {
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `H.265 RTP: payload type ${type}`);
    }
  }
}

function concatHeader(header: Uint8Array, rest: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + rest.length);
  out.set(header);
  out.set(rest, header.length);
  return out;
}
