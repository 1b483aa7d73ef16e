// PSI for the TS muxer: program_association_section and TS_program_map_section (ISO/IEC 13818-1 §2.4.4.3, §2.4.4.8),
// each in one 188-byte packet with pointer_field 0 and 0xFF stuffing (§2.4.4.1-2.4.4.2).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { crc32Mpeg2 } from './ts-crc32.ts';
import {
  AdaptationFieldControl,
  CONTINUITY_COUNTER_MODULO,
  PROGRAM_NUMBER,
  STUFFING_BYTE,
  TableId,
  TRANSPORT_STREAM_ID,
  TS_HEADER_BYTES,
  TS_PACKET_BYTES,
  TS_PAYLOAD_UNIT_START,
  TS_SYNC_BYTE,
  type TsStreamType,
} from './ts-codes.ts';

export type PmtStream = Readonly<{ streamType: TsStreamType; pid: number; descriptors?: Uint8Array }>;

/** transport_stream_id/program_number (2) + version byte (1) + section numbers (2) */
const SECTION_SYNTAX_HEADER_BYTES = 5;
const CRC_BYTES = 4;
/** section_syntax_indicator 1, '0', reserved '11' over the top 4 bits of section_length */
const SECTION_LENGTH_FLAGS = 0xb0;
/** reserved '11', version_number 0, current_next_indicator 1 */
const VERSION_BYTE = 0xc1;
/** reserved bits above a 13-bit PID */
const RESERVED_ABOVE_PID = 0xe0;
/** reserved bits above a 12-bit length */
const RESERVED_ABOVE_LENGTH = 0xf0;
const POINTER_FIELD_BYTES = 1;
const MAX_SECTION_BYTES = TS_PACKET_BYTES - TS_HEADER_BYTES - POINTER_FIELD_BYTES;

function section(tableId: TableId, idExtension: number, body: readonly number[]): Uint8Array {
  const sectionLength = SECTION_SYNTAX_HEADER_BYTES + body.length + CRC_BYTES;
  const bytes = [
    tableId,
    SECTION_LENGTH_FLAGS | (sectionLength >> 8),
    sectionLength & 0xff,
    idExtension >> 8,
    idExtension & 0xff,
    VERSION_BYTE,
    0, // section_number
    0, // last_section_number
    ...body,
  ];
  const out = new Uint8Array(bytes.length + CRC_BYTES);
  out.set(bytes);
  const crc = crc32Mpeg2(out.subarray(0, bytes.length));
  new DataView(out.buffer).setUint32(bytes.length, crc);
  if (out.length > MAX_SECTION_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, 'PSI section over one packet');
  return out;
}

/** A PAT naming one program and its PMT PID. */
export function encodePatSection(pmtPid: number): Uint8Array {
  return section(TableId.Pat, TRANSPORT_STREAM_ID, [
    PROGRAM_NUMBER >> 8,
    PROGRAM_NUMBER & 0xff,
    RESERVED_ABOVE_PID | (pmtPid >> 8),
    pmtPid & 0xff,
  ]);
}

/** A PMT for program 1 with no program descriptors. */
export function encodePmtSection(pcrPid: number, streams: readonly PmtStream[]): Uint8Array {
  const body = [RESERVED_ABOVE_PID | (pcrPid >> 8), pcrPid & 0xff, RESERVED_ABOVE_LENGTH, 0];
  for (const s of streams) {
    const descriptors = s.descriptors ?? new Uint8Array(0);
    body.push(
      s.streamType,
      RESERVED_ABOVE_PID | (s.pid >> 8),
      s.pid & 0xff,
      RESERVED_ABOVE_LENGTH | (descriptors.length >> 8),
      descriptors.length & 0xff,
      ...descriptors,
    );
  }
  return section(TableId.Pmt, PROGRAM_NUMBER, body);
}

/** Writes `psiSection` as one whole TS packet at out[offset]: header, pointer_field 0, section, 0xFF stuffing. */
export function writePsiPacket(
  out: Uint8Array,
  offset: number,
  pid: number,
  continuityCounter: number,
  psiSection: Uint8Array,
): void {
  out[offset] = TS_SYNC_BYTE;
  out[offset + 1] = TS_PAYLOAD_UNIT_START | (pid >> 8);
  out[offset + 2] = pid & 0xff;
  out[offset + 3] = AdaptationFieldControl.PayloadOnly | (continuityCounter % CONTINUITY_COUNTER_MODULO);
  out[offset + TS_HEADER_BYTES] = 0; // pointer_field
  const start = offset + TS_HEADER_BYTES + POINTER_FIELD_BYTES;
  out.set(psiSection, start);
  out.fill(STUFFING_BYTE, start + psiSection.length, offset + TS_PACKET_BYTES);
}
