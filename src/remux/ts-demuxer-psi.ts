// PSI for the TS demuxer: program_association_section and TS_program_map_section (ISO/IEC 13818-1 §2.4.4.3,
// §2.4.4.8), reassembled across packets (§2.4.4.1 pointer_field) and checked with CRC-32/MPEG-2 (Annex A).
import { readUint16BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { crc32Mpeg2 } from './ts-crc32.ts';
import { TableId } from './ts-codes.ts';

/** section_length is 12 bits but PAT/PMT sections may not exceed 1021 bytes after it (§2.4.4.3, §2.4.4.8). */
const MAX_SECTION_LENGTH = 1021;
const SECTION_HEADER_BYTES = 3;
const CRC_BYTES = 4;
const STUFFING_BYTE = 0xff;

/** descriptors: the ES_info bytes (a view into the section) */
export type PmtEntry = Readonly<{ streamType: number; pid: number; descriptors: Uint8Array }>;
export type PsiSection =
  | { kind: 'pat'; pmtPids: number[] }
  | { kind: 'pmt'; programNumber: number; version: number; streams: PmtEntry[] }
  | { kind: 'other'; tableId: number };

/** Reassembles the sections of one PSI PID from TS packet payloads. */
export class PsiAssembler {
  private buffer: Uint8Array | null = null;
  private filled = 0;

  reset(): void {
    this.buffer = null;
    this.filled = 0;
  }

  /** Feeds one packet payload; returns the whole sections that ended in it. */
  push(payload: Uint8Array, unitStart: boolean): PsiSection[] {
    const out: PsiSection[] = [];
    let at = 0;
    if (unitStart) {
      if (payload.length < 1) throw new ProtocolError(ProtocolErrorCode.Truncated, 'PSI: no pointer_field');
      const pointer = payload[0]!;
      at = 1;
      if (at + pointer > payload.length) throw new ProtocolError(ProtocolErrorCode.Malformed, 'PSI: pointer_field past packet');
      // The bytes before the pointer finish the previous section.
      if (this.buffer) this.take(payload.subarray(at, at + pointer), out);
      this.reset();
      at += pointer;
      while (at < payload.length && payload[at] !== STUFFING_BYTE) {
        if (at + SECTION_HEADER_BYTES > payload.length) {
          throw new ProtocolError(ProtocolErrorCode.Truncated, 'PSI: section header cut by the packet end');
        }
        const sectionLength = readUint16BE(payload, at + 1) & 0x0fff;
        if (sectionLength > MAX_SECTION_LENGTH) {
          throw new ProtocolError(ProtocolErrorCode.TooLarge, `PSI: section_length ${sectionLength}`);
        }
        this.buffer = new Uint8Array(SECTION_HEADER_BYTES + sectionLength);
        this.filled = 0;
        const used = this.take(payload.subarray(at), out);
        at += used;
        if (this.buffer) break; // continues in the next packet
      }
    } else if (this.buffer) {
      this.take(payload, out);
    }
    return out;
  }

  /** Copies into the section being built; parses it when whole. Returns the bytes used. */
  private take(bytes: Uint8Array, out: PsiSection[]): number {
    const buffer = this.buffer!;
    const used = Math.min(bytes.length, buffer.length - this.filled);
    buffer.set(bytes.subarray(0, used), this.filled);
    this.filled += used;
    if (this.filled === buffer.length) {
      this.reset();
      out.push(parseSection(buffer));
    }
    return used;
  }
}

export function parseSection(section: Uint8Array): PsiSection {
  if (section.length < SECTION_HEADER_BYTES + 5 + CRC_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.Truncated, `PSI: ${section.length}-byte section`);
  }
  if (crc32Mpeg2(section) !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'PSI: CRC mismatch');
  const tableId = section[0]!;
  const end = section.length - CRC_BYTES;
  if (tableId === TableId.Pat) {
    const pmtPids: number[] = [];
    for (let at = 8; at + 4 <= end; at += 4) {
      const programNumber = readUint16BE(section, at);
      if (programNumber === 0) continue; // network_PID
      pmtPids.push(readUint16BE(section, at + 2) & 0x1fff);
    }
    return { kind: 'pat', pmtPids };
  }
  if (tableId === TableId.Pmt) {
    const programNumber = readUint16BE(section, 3);
    const version = (section[5]! >> 1) & 0x1f;
    if (end < 12) throw new ProtocolError(ProtocolErrorCode.Truncated, 'PMT: header');
    const programInfoLength = readUint16BE(section, 10) & 0x0fff;
    let at = 12 + programInfoLength;
    if (at > end) throw new ProtocolError(ProtocolErrorCode.Malformed, 'PMT: program_info_length past section');
    const streams: PmtEntry[] = [];
    while (at + 5 <= end) {
      const streamType = section[at]!;
      const pid = readUint16BE(section, at + 1) & 0x1fff;
      const esInfoLength = readUint16BE(section, at + 3) & 0x0fff;
      const descriptorsAt = at + 5;
      at = descriptorsAt + esInfoLength;
      if (at > end) throw new ProtocolError(ProtocolErrorCode.Malformed, 'PMT: ES_info_length past section');
      streams.push({ streamType, pid, descriptors: section.subarray(descriptorsAt, at) });
    }
    return { kind: 'pmt', programNumber, version, streams };
  }
  return { kind: 'other', tableId };
}
