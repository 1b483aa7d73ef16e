// MSB-first bit reader with Exp-Golomb codes (ITU-T H.264 §9.1, H.265 §9.2), NAL emulation-prevention removal (H.264 §7.4.1)
// and the SPS cropping window both codecs read the same way.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

/** Exp-Golomb codes longer than this are not valid in any syntax element we read. */
const MAX_EXP_GOLOMB_LEADING_ZEROS = 31;

export class BitReader {
  private bitOffset = 0;
  private readonly bitLength: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what = 'bitstream',
  ) {
    this.bitLength = bytes.length * 8;
  }

  get bitsLeft(): number {
    return this.bitLength - this.bitOffset;
  }

  get bitPosition(): number {
    return this.bitOffset;
  }

  /** Reads n (0..32) bits as an unsigned number. */
  readBits(n: number): number {
    if (n > this.bitsLeft) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, `${this.what}: need ${n} bits, have ${this.bitsLeft}`);
    }
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bytes[this.bitOffset >> 3]!;
      const bit = (byte >> (7 - (this.bitOffset & 7))) & 1;
      value = value * 2 + bit;
      this.bitOffset++;
    }
    return value;
  }

  readBit(): number {
    return this.readBits(1);
  }

  readFlag(): boolean {
    return this.readBits(1) === 1;
  }

  skipBits(n: number): void {
    if (n > this.bitsLeft) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, `${this.what}: cannot skip ${n} bits, have ${this.bitsLeft}`);
    }
    this.bitOffset += n;
  }

  /** A view of the next n whole bytes; the reader must be byte aligned. */
  readBytes(n: number): Uint8Array {
    if ((this.bitOffset & 7) !== 0) {
      throw new ProtocolError(ProtocolErrorCode.BadState, `${this.what}: byte read at unaligned position`);
    }
    if (n * 8 > this.bitsLeft) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, `${this.what}: need ${n} bytes, have ${this.bitsLeft >> 3}`);
    }
    const start = this.bitOffset >> 3;
    this.bitOffset += n * 8;
    return this.bytes.subarray(start, start + n);
  }

  /** ue(v): unsigned Exp-Golomb. */
  readUe(): number {
    let leadingZeros = 0;
    while (this.readBits(1) === 0) {
      leadingZeros++;
      if (leadingZeros > MAX_EXP_GOLOMB_LEADING_ZEROS) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `${this.what}: Exp-Golomb code too long`);
      }
    }
    return 2 ** leadingZeros - 1 + this.readBits(leadingZeros);
  }

  /** se(v): signed Exp-Golomb. */
  readSe(): number {
    const k = this.readUe();
    return k % 2 === 1 ? (k + 1) / 2 : 0 - k / 2;
  }
}

/**
 * Removes emulation prevention bytes (the 0x03 in 00 00 03) from a NAL unit, giving the RBSP.
 * Returns the input itself when there are none, else a copy.
 */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  const n = nal.length;
  let first = -1;
  for (let i = 2; i < n; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return nal;
  const out = new Uint8Array(n);
  out.set(nal.subarray(0, first));
  let length = first;
  let zeros = 0;
  for (let i = first + 1; i < n; i++) {
    const byte = nal[i]!;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    out[length++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, length);
}

/**
 * An SPS's cropping window (H.264 frame_cropping_flag §7.3.2.1.1, H.265 conformance_window_flag §7.3.2.2.1): a flag,
 * then left, right, top and bottom offsets as ue(v) when it is set; all 0 when not. The units are the codec's.
 */
export function readCropWindow(r: BitReader): { left: number; right: number; top: number; bottom: number } {
  if (!r.readFlag()) return { left: 0, right: 0, top: 0, bottom: 0 };
  const left = r.readUe();
  const right = r.readUe();
  const top = r.readUe();
  return { left, right, top, bottom: r.readUe() };
}
