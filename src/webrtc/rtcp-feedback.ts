// What a WebRTC receiver tells its sender in RTCP (RFC 3550 §6.4.2 receiver reports; RFC 4585 §6.2.1 generic NACK,
// §6.3.1 PLI; RFC 5104 §4.3.1 FIR; draft-alvestrand-rmcat-remb REMB): read from one compound packet.
import { readUint16BE, readUint24BE, readUint32BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type RtcpFeedback =
  | Readonly<{ type: 'nack'; mediaSsrc: number; sequenceNumbers: readonly number[] }>
  | Readonly<{ type: 'pli'; mediaSsrc: number }>
  | Readonly<{ type: 'fir'; mediaSsrc: number }>
  | Readonly<{ type: 'remb'; bitrateBps: number }>
  | Readonly<{ type: 'report'; ssrc: number; fractionLost: number; cumulativeLost: number; jitter: number; lastSrNtp: number; delaySinceLastSr: number }>;

const PT = { ReceiverReport: 201, SenderReport: 200, TransportFeedback: 205, PayloadFeedback: 206 } as const;
const FMT = { Nack: 1, Pli: 1, Fir: 4, Application: 15 } as const;
/** a NACK can name 17 packets per 4 bytes; a compound packet fits one datagram */
const MAX_NACKED = 2048;

export function parseRtcpFeedback(bytes: Uint8Array): RtcpFeedback[] {
  const out: RtcpFeedback[] = [];
  let at = 0;
  let nacked = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 4) throw new ProtocolError(ProtocolErrorCode.Truncated, 'RTCP: header');
    if (bytes[at]! >> 6 !== 2) throw new ProtocolError(ProtocolErrorCode.Malformed, 'RTCP: version');
    const fmt = bytes[at]! & 0x1f;
    const pt = bytes[at + 1]!;
    const end = at + 4 + readUint16BE(bytes, at + 2) * 4;
    if (end > bytes.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'RTCP: packet length');
    const u32 = (i: number) => readUint32BE(bytes, i);
    if (pt === PT.ReceiverReport || pt === PT.SenderReport) {
      const blocksAt = at + (pt === PT.ReceiverReport ? 8 : 28);
      for (let i = 0; i < fmt && blocksAt + (i + 1) * 24 <= end; i++) {
        const b = blocksAt + i * 24;
        const lost = readUint24BE(bytes, b + 5);
        out.push({
          type: 'report',
          ssrc: u32(b),
          fractionLost: bytes[b + 4]! / 256,
          cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
          jitter: u32(b + 12),
          lastSrNtp: u32(b + 16),
          delaySinceLastSr: u32(b + 20),
        });
      }
    } else if (end - at >= 12 && (pt === PT.TransportFeedback || pt === PT.PayloadFeedback)) {
      const mediaSsrc = u32(at + 8);
      if (pt === PT.TransportFeedback && fmt === FMT.Nack) {
        const sequenceNumbers: number[] = [];
        for (let i = at + 12; i + 4 <= end && nacked < MAX_NACKED; i += 4) {
          const pid = readUint16BE(bytes, i);
          const blp = readUint16BE(bytes, i + 2);
          sequenceNumbers.push(pid);
          for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) sequenceNumbers.push((pid + bit + 1) & 0xffff);
          nacked += 17;
        }
        out.push({ type: 'nack', mediaSsrc, sequenceNumbers });
      } else if (pt === PT.PayloadFeedback && fmt === FMT.Pli) {
        out.push({ type: 'pli', mediaSsrc });
      } else if (pt === PT.PayloadFeedback && fmt === FMT.Fir && end - at >= 20) {
        out.push({ type: 'fir', mediaSsrc: u32(at + 12) });
      } else if (pt === PT.PayloadFeedback && fmt === FMT.Application && end - at >= 20 && u32(at + 12) === 0x52454d42) {
        const exp = bytes[at + 17]! >> 2;
        const mantissa = readUint24BE(bytes, at + 17) & 0x03ffff;
        out.push({ type: 'remb', bitrateBps: mantissa * 2 ** exp });
      }
    }
    at = end;
  }
  return out;
}
