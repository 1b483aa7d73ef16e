// PES header reading for the TS demuxer (ISO/IEC 13818-1 §2.4.3.6-2.4.3.7): stream_id, PES_packet_length,
// PTS/DTS, and 33-bit timestamp unwrapping onto one growing 90 kHz timeline.
import { readUint16BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { TIMESTAMP_MODULO } from './ts-codes.ts';

/** packet_start_code_prefix (3) + stream_id (1) + PES_packet_length (2) */
export const PES_FIXED_BYTES = 6;
/** fixed bytes + the two flag bytes + PES_header_data_length */
export const PES_MIN_HEADER_BYTES = 9;
const PTS_DTS_MASK = 0xc0;
const PtsDtsFlags = { None: 0x00, Forbidden: 0x40, PtsOnly: 0x80, PtsAndDts: 0xc0 } as const;
const TWO_POW_30 = 2 ** 30;

export type PesHeader = Readonly<{
  streamId: number;
  /** PES_packet_length, 0 = unbounded */
  packetLength: number;
  /** bytes before the elementary stream data */
  headerBytes: number;
  /** 33-bit values as sent, or undefined when absent */
  pts: number | undefined;
  dts: number | undefined;
}>;

function readTimestamp(b: Uint8Array, at: number): number {
  return (
    ((b[at]! >> 1) & 0x07) * TWO_POW_30 + (b[at + 1]! << 22) + ((b[at + 2]! >> 1) << 15) + (b[at + 3]! << 7) + (b[at + 4]! >> 1)
  );
}

/** Reads a PES header from the first `bytes` of a PES (at least PES_MIN_HEADER_BYTES + header data). */
export function parsePesHeader(bytes: Uint8Array): PesHeader {
  if (bytes.length < PES_MIN_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'PES: header');
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 1) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'PES: no packet_start_code_prefix');
  }
  const streamId = bytes[3]!;
  const packetLength = readUint16BE(bytes, 4);
  if ((bytes[6]! & 0xc0) !== 0x80) throw new ProtocolError(ProtocolErrorCode.Malformed, 'PES: marker bits of the flags');
  const flags = bytes[7]! & PTS_DTS_MASK;
  const headerBytes = PES_MIN_HEADER_BYTES + bytes[8]!;
  if (bytes.length < headerBytes) throw new ProtocolError(ProtocolErrorCode.Truncated, 'PES: header data');
  if (packetLength !== 0 && PES_FIXED_BYTES + packetLength < headerBytes) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'PES: PES_packet_length shorter than its header');
  }
  let pts: number | undefined;
  let dts: number | undefined;
  if (flags === PtsDtsFlags.Forbidden) throw new ProtocolError(ProtocolErrorCode.Malformed, 'PES: PTS_DTS_flags 01');
  if (flags === PtsDtsFlags.PtsOnly || flags === PtsDtsFlags.PtsAndDts) {
    const need = flags === PtsDtsFlags.PtsAndDts ? 10 : 5;
    if (bytes[8]! < need) throw new ProtocolError(ProtocolErrorCode.Malformed, 'PES: header data too short for PTS/DTS');
    pts = readTimestamp(bytes, PES_MIN_HEADER_BYTES);
    dts = flags === PtsDtsFlags.PtsAndDts ? readTimestamp(bytes, PES_MIN_HEADER_BYTES + 5) : pts;
  }
  return { streamId, packetLength, headerBytes, pts, dts };
}

/** Maps 33-bit timestamps onto an unbounded timeline: each value lands within ±2^32 of the previous one. */
export class TimestampUnwrapper {
  private last: number | undefined;

  reset(): void {
    this.last = undefined;
  }

  unwrap(ticks33: number, reference = this.last): number {
    if (reference === undefined) return ticks33;
    const k = Math.round((reference - ticks33) / TIMESTAMP_MODULO);
    return ticks33 + k * TIMESTAMP_MODULO;
  }

  /** Unwraps and makes the result the next reference. */
  advance(ticks33: number): number {
    const value = this.unwrap(ticks33);
    this.last = value;
    return value;
  }
}
