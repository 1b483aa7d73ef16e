// RTCP compound packets (RFC 3550 §6.4.1 SR, §6.4.2 RR, §6.5 SDES, §6.6 BYE; §6.1 compound rules): parse, and build
// the SR/RR (with an SDES CNAME) that senders and receivers owe each other.
import { concatBytes } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export const RtcpType = { SenderReport: 200, ReceiverReport: 201, SourceDescription: 202, Bye: 203, App: 204 } as const;

export type ReportBlock = Readonly<{
  ssrc: number;
  /** fraction lost since the last report, 0..255 (/256) */
  fractionLost: number;
  /** cumulative packets lost (signed 24-bit) */
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  /** middle 32 bits of the NTP time of the last SR received */
  lastSr: number;
  /** delay since that SR in 1/65536 s */
  delaySinceLastSr: number;
}>;

export type SenderReport = Readonly<{
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: readonly ReportBlock[];
}>;
export type ReceiverReport = Readonly<{ type: 'rr'; ssrc: number; reports: readonly ReportBlock[] }>;
export type SourceDescription = Readonly<{ type: 'sdes'; chunks: ReadonlyArray<Readonly<{ ssrc: number; items: ReadonlyArray<Readonly<{ type: number; text: string }>> }>> }>;
export type Goodbye = Readonly<{ type: 'bye'; ssrcs: readonly number[]; reason?: string }>;
export type OtherRtcp = Readonly<{ type: 'other'; packetType: number; body: Uint8Array }>;
export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | OtherRtcp;

const SDES_CNAME = 1;
const REPORT_BLOCK_BYTES = 24;
const text = new TextDecoder();

function fail(code: ProtocolErrorCode, what: string): never {
  throw new ProtocolError(code, `RTCP: ${what}`);
}

function readBlocks(view: DataView, at: number, count: number, end: number): ReportBlock[] {
  if (at + count * REPORT_BLOCK_BYTES > end) fail(ProtocolErrorCode.Truncated, 'report blocks');
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++, at += REPORT_BLOCK_BYTES) {
    const lost = view.getUint32(at + 4);
    out.push({
      ssrc: view.getUint32(at),
      fractionLost: lost >>> 24,
      cumulativeLost: ((lost & 0xffffff) << 8) >> 8,
      extendedHighestSeq: view.getUint32(at + 8),
      jitter: view.getUint32(at + 12),
      lastSr: view.getUint32(at + 16),
      delaySinceLastSr: view.getUint32(at + 20),
    });
  }
  return out;
}

function parseSdes(bytes: Uint8Array, view: DataView, at: number, count: number, end: number): SourceDescription {
  const chunks: { ssrc: number; items: { type: number; text: string }[] }[] = [];
  for (let c = 0; c < count; c++) {
    if (at + 4 > end) fail(ProtocolErrorCode.Truncated, 'SDES chunk');
    const ssrc = view.getUint32(at);
    at += 4;
    const items: { type: number; text: string }[] = [];
    for (;;) {
      if (at >= end) fail(ProtocolErrorCode.Truncated, 'SDES items');
      const type = bytes[at]!;
      if (type === 0) {
        at = (at + 4) & ~3; // null item, then pad to the next 32-bit boundary
        break;
      }
      if (at + 2 > end || at + 2 + bytes[at + 1]! > end) fail(ProtocolErrorCode.Truncated, 'SDES item');
      const len = bytes[at + 1]!;
      items.push({ type, text: text.decode(bytes.subarray(at + 2, at + 2 + len)) });
      at += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return { type: 'sdes', chunks };
}

/** Every packet of a compound RTCP datagram or interleaved frame. */
export function parseRtcpCompound(bytes: Uint8Array): RtcpPacket[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RtcpPacket[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 4) fail(ProtocolErrorCode.Truncated, 'header');
    const b0 = bytes[at]!;
    if (b0 >> 6 !== 2) fail(ProtocolErrorCode.Malformed, `version ${b0 >> 6}`);
    const count = b0 & 0x1f;
    const packetType = bytes[at + 1]!;
    const size = (view.getUint16(at + 2) + 1) * 4;
    if (at + size > bytes.length) fail(ProtocolErrorCode.Truncated, `packet of ${size} bytes`);
    let end = at + size;
    if (b0 & 0x20) {
      const pad = bytes[end - 1]!;
      if (pad === 0 || pad > size - 4) fail(ProtocolErrorCode.Malformed, `padding ${pad}`);
      end -= pad;
    }
    const body = at + 4;
    switch (packetType) {
      case RtcpType.SenderReport: {
        if (body + 24 > end) fail(ProtocolErrorCode.Truncated, 'SR');
        out.push({
          type: 'sr',
          ssrc: view.getUint32(body),
          ntpSeconds: view.getUint32(body + 4),
          ntpFraction: view.getUint32(body + 8),
          rtpTimestamp: view.getUint32(body + 12),
          packetCount: view.getUint32(body + 16),
          octetCount: view.getUint32(body + 20),
          reports: readBlocks(view, body + 24, count, end),
        });
        break;
      }
      case RtcpType.ReceiverReport:
        if (body + 4 > end) fail(ProtocolErrorCode.Truncated, 'RR');
        out.push({ type: 'rr', ssrc: view.getUint32(body), reports: readBlocks(view, body + 4, count, end) });
        break;
      case RtcpType.SourceDescription:
        out.push(parseSdes(bytes, view, body, count, end));
        break;
      case RtcpType.Bye: {
        if (body + count * 4 > end) fail(ProtocolErrorCode.Truncated, 'BYE');
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(body + i * 4));
        const r = body + count * 4;
        if (r < end) {
          const len = bytes[r]!;
          if (r + 1 + len > end) fail(ProtocolErrorCode.Truncated, 'BYE reason');
          out.push({ type: 'bye', ssrcs, reason: text.decode(bytes.subarray(r + 1, r + 1 + len)) });
        } else out.push({ type: 'bye', ssrcs });
        break;
      }
      default:
        out.push({ type: 'other', packetType, body: bytes.subarray(body, end) });
    }
    at += size;
  }
  return out;
}

function writeBlocks(view: DataView, at: number, blocks: readonly ReportBlock[]): void {
  for (const b of blocks) {
    view.setUint32(at, b.ssrc >>> 0);
    view.setUint32(at + 4, (((b.fractionLost & 0xff) << 24) | (b.cumulativeLost & 0xffffff)) >>> 0);
    view.setUint32(at + 8, b.extendedHighestSeq >>> 0);
    view.setUint32(at + 12, b.jitter >>> 0);
    view.setUint32(at + 16, b.lastSr >>> 0);
    view.setUint32(at + 20, b.delaySinceLastSr >>> 0);
    at += REPORT_BLOCK_BYTES;
  }
}

function header(view: DataView, at: number, count: number, type: number, size: number): void {
  view.setUint8(at, 0x80 | count);
  view.setUint8(at + 1, type);
  view.setUint16(at + 2, size / 4 - 1);
}

function sdesCname(ssrc: number, cname: string): Uint8Array {
  const name = new TextEncoder().encode(cname).subarray(0, 255);
  const size = (4 + 4 + 2 + name.length + 1 + 3) & ~3;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  header(view, 0, 1, RtcpType.SourceDescription, size);
  view.setUint32(4, ssrc >>> 0);
  out[8] = SDES_CNAME;
  out[9] = name.length;
  out.set(name, 10);
  return out;
}


/** A compound RR + SDES CNAME (RFC 3550 §6.1: every compound packet starts with a report and carries a CNAME). */
export function encodeReceiverReport(ssrc: number, reports: readonly ReportBlock[], cname: string): Uint8Array {
  if (reports.length > 31) throw new RangeError('RTCP: more than 31 report blocks');
  const size = 8 + reports.length * REPORT_BLOCK_BYTES;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  header(view, 0, reports.length, RtcpType.ReceiverReport, size);
  view.setUint32(4, ssrc >>> 0);
  writeBlocks(view, 8, reports);
  return concatBytes([out, sdesCname(ssrc, cname)]);
}

/** A compound SR + SDES CNAME; the caller supplies the NTP wallclock (no clock is read here). */
export function encodeSenderReport(sr: Omit<SenderReport, 'type'>, cname: string): Uint8Array {
  if (sr.reports.length > 31) throw new RangeError('RTCP: more than 31 report blocks');
  const size = 28 + sr.reports.length * REPORT_BLOCK_BYTES;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  header(view, 0, sr.reports.length, RtcpType.SenderReport, size);
  view.setUint32(4, sr.ssrc >>> 0);
  view.setUint32(8, sr.ntpSeconds >>> 0);
  view.setUint32(12, sr.ntpFraction >>> 0);
  view.setUint32(16, sr.rtpTimestamp >>> 0);
  view.setUint32(20, sr.packetCount >>> 0);
  view.setUint32(24, sr.octetCount >>> 0);
  writeBlocks(view, 28, sr.reports);
  return concatBytes([out, sdesCname(sr.ssrc, cname)]);
}

/** Milliseconds since the Unix epoch to the NTP timestamp (RFC 3550 §4: seconds since 1900). */
export function unixMsToNtp(unixMs: number): { ntpSeconds: number; ntpFraction: number } {
  const NTP_UNIX_OFFSET_SEC = 2_208_988_800;
  const sec = Math.floor(unixMs / 1000);
  const frac = Math.floor(((unixMs - sec * 1000) / 1000) * 0x1_0000_0000);
  return { ntpSeconds: (sec + NTP_UNIX_OFFSET_SEC) >>> 0, ntpFraction: frac >>> 0 };
}
