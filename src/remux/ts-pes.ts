// PES packet header with PTS/DTS (ISO/IEC 13818-1 §2.4.3.6-2.4.3.7) and 90 kHz timestamp conversion with 33-bit wrap.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { MPEG_CLOCK_HZ, TIMESTAMP_MODULO, type PesStreamId } from './ts-codes.ts';

const PACKET_START_CODE_PREFIX = [0x00, 0x00, 0x01] as const;
/** packet_start_code_prefix (3) + stream_id (1) + PES_packet_length (2) */
const PES_FIXED_BYTES = 6;
/** the two flag bytes and PES_header_data_length that PES_packet_length counts before the optional fields */
const PES_OPTIONAL_HEADER_BYTES = 3;
const TIMESTAMP_BYTES = 5;
/** '10', PES_scrambling_control 0, priority 0, data_alignment 0, copyright 0, original 0 (as ffmpeg writes) */
const PES_FLAGS_1 = 0x80;
const PtsDtsFlags = { PtsOnly: 0x80, PtsAndDts: 0xc0 } as const;
/** the 4-bit prefix before each timestamp */
const TimestampPrefix = { PtsOnly: 0x2, PtsWithDts: 0x3, Dts: 0x1 } as const;
type TimestampPrefix = (typeof TimestampPrefix)[keyof typeof TimestampPrefix];
/** PES_packet_length 0: unbounded, allowed only for video elementary streams */
export const UNBOUNDED_PES_LENGTH = 0;
const MAX_PES_PACKET_LENGTH = 0xffff;
const TWO_POW_30 = 2 ** 30;

/** Ticks of `timescale` to the 90 kHz clock, rounded, modulo 2^33 (negative values wrap too). */
export function toMpegTicks(ticks: number, timescale: number): number {
  if (!Number.isFinite(ticks)) throw new ProtocolError(ProtocolErrorCode.Malformed, `timestamp ${ticks}`);
  // Split off whole seconds so the product stays exact for large inputs.
  const seconds = Math.floor(ticks / timescale);
  const rest = ticks - seconds * timescale;
  const mpeg = seconds * MPEG_CLOCK_HZ + Math.round((rest * MPEG_CLOCK_HZ) / timescale);
  return ((mpeg % TIMESTAMP_MODULO) + TIMESTAMP_MODULO) % TIMESTAMP_MODULO;
}

function writeTimestamp(out: Uint8Array, at: number, prefix: TimestampPrefix, ts90k: number): void {
  const high3 = Math.floor(ts90k / TWO_POW_30) & 0x07;
  const low30 = ts90k % TWO_POW_30;
  out[at] = (prefix << 4) | (high3 << 1) | 1;
  out[at + 1] = (low30 >> 22) & 0xff;
  out[at + 2] = ((low30 >> 14) & 0xfe) | 1;
  out[at + 3] = (low30 >> 7) & 0xff;
  out[at + 4] = ((low30 & 0x7f) << 1) | 1;
}

export type PesHeaderFields = Readonly<{
  streamId: PesStreamId;
  /** 90 kHz, already wrapped */
  pts90k: number;
  /** 90 kHz, already wrapped; written only when it differs from pts90k */
  dts90k: number;
  /** elementary stream bytes after the header, or undefined for an unbounded (video) PES */
  payloadBytes: number | undefined;
}>;

/** The PES header bytes: start code, stream_id, PES_packet_length, flags, PTS and (when different) DTS. */
export function encodePesHeader(fields: PesHeaderFields): Uint8Array {
  const withDts = fields.dts90k !== fields.pts90k;
  const headerDataLength = withDts ? 2 * TIMESTAMP_BYTES : TIMESTAMP_BYTES;
  const out = new Uint8Array(PES_FIXED_BYTES + PES_OPTIONAL_HEADER_BYTES + headerDataLength);
  out.set(PACKET_START_CODE_PREFIX);
  out[3] = fields.streamId;
  let length = UNBOUNDED_PES_LENGTH;
  if (fields.payloadBytes !== undefined) {
    length = PES_OPTIONAL_HEADER_BYTES + headerDataLength + fields.payloadBytes;
    if (length > MAX_PES_PACKET_LENGTH) {
      throw new ProtocolError(ProtocolErrorCode.TooLarge, `PES: ${fields.payloadBytes}-byte frame over PES_packet_length`);
    }
  }
  out[4] = length >> 8;
  out[5] = length & 0xff;
  out[6] = PES_FLAGS_1;
  out[7] = withDts ? PtsDtsFlags.PtsAndDts : PtsDtsFlags.PtsOnly;
  out[8] = headerDataLength;
  const at = PES_FIXED_BYTES + PES_OPTIONAL_HEADER_BYTES;
  if (withDts) {
    writeTimestamp(out, at, TimestampPrefix.PtsWithDts, fields.pts90k);
    writeTimestamp(out, at + TIMESTAMP_BYTES, TimestampPrefix.Dts, fields.dts90k);
  } else {
    writeTimestamp(out, at, TimestampPrefix.PtsOnly, fields.pts90k);
  }
  return out;
}
