// Splits one PES into 188-byte transport packets (ISO/IEC 13818-1 §2.4.3.2-2.4.3.5): payload_unit_start on the first,
// adaptation field with random_access_indicator and PCR there, adaptation-field stuffing to fill the last.
import {
  AdaptationFieldControl,
  AdaptationFlag,
  CONTINUITY_COUNTER_MODULO,
  PCR_BYTES,
  STUFFING_BYTE,
  TS_HEADER_BYTES,
  TS_PACKET_BYTES,
  TS_PAYLOAD_BYTES,
  TS_PAYLOAD_UNIT_START,
  TS_SYNC_BYTE,
} from './ts-codes.ts';

export type PacketizeOptions = Readonly<{
  pid: number;
  /** continuity_counter of the first packet */
  continuityCounter: number;
  randomAccess: boolean;
  /** program_clock_reference_base (90 kHz, wrapped) for the first packet; extension 0 */
  pcr90k?: number | undefined;
}>;

export type Packetized = { bytes: Uint8Array; nextContinuityCounter: number };

/** adaptation_field_length (1) + flags (1) */
const ADAPTATION_FIELD_MIN_WITH_FLAGS = 2;
/** PCR reserved bits between base and extension */
const PCR_RESERVED_BITS = 0x7e;
const TWO_POW_25 = 2 ** 25;

function writePcr(out: Uint8Array, at: number, pcr90k: number): void {
  const low25 = pcr90k % TWO_POW_25;
  out[at] = Math.floor(pcr90k / TWO_POW_25) & 0xff;
  out[at + 1] = (low25 >> 17) & 0xff;
  out[at + 2] = (low25 >> 9) & 0xff;
  out[at + 3] = (low25 >> 1) & 0xff;
  out[at + 4] = ((low25 & 1) << 7) | PCR_RESERVED_BITS; // extension high bit 0
  out[at + 5] = 0; // program_clock_reference_extension low bits
}

/**
 * Packs the concatenation of `pieces` (`payloadBytes` long in total: PES header then elementary stream) into whole
 * TS packets, one allocation for the result.
 */
export function packetizePes(pieces: readonly Uint8Array[], payloadBytes: number, options: PacketizeOptions): Packetized {
  const hasPcr = options.pcr90k !== undefined;
  const firstFlags = (options.randomAccess ? AdaptationFlag.RandomAccess : 0) | (hasPcr ? AdaptationFlag.Pcr : 0);
  const firstAdaptationBytes = firstFlags === 0 ? 0 : ADAPTATION_FIELD_MIN_WITH_FLAGS + (hasPcr ? PCR_BYTES : 0);
  const firstCapacity = TS_PAYLOAD_BYTES - firstAdaptationBytes;
  const packets = payloadBytes <= firstCapacity ? 1 : 1 + Math.ceil((payloadBytes - firstCapacity) / TS_PAYLOAD_BYTES);
  const out = new Uint8Array(packets * TS_PACKET_BYTES);

  let cc = options.continuityCounter % CONTINUITY_COUNTER_MODULO;
  let pieceIndex = 0;
  let pieceOffset = 0;
  let written = 0;
  for (let p = 0; p < packets; p++) {
    const at = p * TS_PACKET_BYTES;
    const first = p === 0;
    const minAdaptation = first ? firstAdaptationBytes : 0;
    const take = Math.min(payloadBytes - written, TS_PAYLOAD_BYTES - minAdaptation);
    const adaptationBytes = TS_PAYLOAD_BYTES - take;
    out[at] = TS_SYNC_BYTE;
    out[at + 1] = (first ? TS_PAYLOAD_UNIT_START : 0) | (options.pid >> 8);
    out[at + 2] = options.pid & 0xff;
    out[at + 3] =
      (adaptationBytes > 0 ? AdaptationFieldControl.AdaptationAndPayload : AdaptationFieldControl.PayloadOnly) | cc;
    cc = (cc + 1) % CONTINUITY_COUNTER_MODULO;

    let cursor = at + TS_HEADER_BYTES;
    if (adaptationBytes > 0) {
      out[cursor] = adaptationBytes - 1; // adaptation_field_length; 0 is one byte of stuffing
      if (adaptationBytes >= ADAPTATION_FIELD_MIN_WITH_FLAGS) {
        out[cursor + 1] = first ? firstFlags : 0;
        let fieldAt = cursor + ADAPTATION_FIELD_MIN_WITH_FLAGS;
        if (first && options.pcr90k !== undefined) {
          writePcr(out, fieldAt, options.pcr90k);
          fieldAt += PCR_BYTES;
        }
        out.fill(STUFFING_BYTE, fieldAt, cursor + adaptationBytes);
      }
      cursor += adaptationBytes;
    }

    let left = take;
    while (left > 0) {
      const piece = pieces[pieceIndex]!;
      const n = Math.min(left, piece.length - pieceOffset);
      out.set(piece.subarray(pieceOffset, pieceOffset + n), cursor);
      cursor += n;
      left -= n;
      pieceOffset += n;
      if (pieceOffset === piece.length) {
        pieceIndex++;
        pieceOffset = 0;
      }
    }
    written += take;
  }
  return { bytes: out, nextContinuityCounter: cc };
}
