// Big-endian byte writer for ISO BMFF boxes (ISO/IEC 14496-12 §4.2 Box and FullBox headers): back-patched box sizes
// and a measuring mode, so a box tree is sized first and then written into its one buffer.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { BoxType } from './mp4-box-types.ts';

export const BOX_HEADER_BYTES = 8;
/** size, type, version(8), flags(24) */
export const FULL_BOX_HEADER_BYTES = 12;
export const UINT32_MAX = 0xffffffff;
const UINT32_RANGE = 2 ** 32;

/** Writes fields at `offset`; without a buffer it only advances `offset` (measuring mode). */
export class Mp4Writer {
  offset = 0;
  private readonly out: Uint8Array | undefined;
  private readonly view: DataView | undefined;

  constructor(out?: Uint8Array) {
    this.out = out;
    this.view = out === undefined ? undefined : new DataView(out.buffer, out.byteOffset, out.byteLength);
  }

  // u8 … u64: one DataView call a field width, alike in shape; kept as named methods the box writers call.
  u8(value: number): void {
    this.view?.setUint8(this.offset, value);
    this.offset += 1;
  }

  u16(value: number): void {
    this.view?.setUint16(this.offset, value);
    this.offset += 2;
  }

  i16(value: number): void {
    this.view?.setInt16(this.offset, value);
    this.offset += 2;
  }

  u24(value: number): void {
    this.view?.setUint8(this.offset, value >>> 16);
    this.view?.setUint16(this.offset + 1, value & 0xffff);
    this.offset += 3;
  }

  u32(value: number): void {
    this.view?.setUint32(this.offset, value);
    this.offset += 4;
  }

  i32(value: number): void {
    this.view?.setInt32(this.offset, value);
    this.offset += 4;
  }

  /** An unsigned 64-bit field from a non-negative safe integer. */
  u64(value: number): void {
    this.view?.setUint32(this.offset, Math.floor(value / UINT32_RANGE));
    this.view?.setUint32(this.offset + 4, value % UINT32_RANGE);
    this.offset += 8;
  }

  /** Four ASCII characters: a box type or a brand. */
  fourCc(code: string): void {
    if (this.view !== undefined) {
      for (let i = 0; i < 4; i++) this.view.setUint8(this.offset + i, code.charCodeAt(i));
    }
    this.offset += 4;
  }

  bytes(data: Uint8Array): void {
    this.out?.set(data, this.offset);
    this.offset += data.length;
  }

  zeros(count: number): void {
    // A fresh Uint8Array is already zero; only the offset moves.
    this.offset += count;
  }

  boxHeader(sizeBytes: number, type: BoxType): void {
    this.u32(sizeBytes);
    this.fourCc(type);
  }

  fullBoxHeader(sizeBytes: number, type: BoxType, version: number, flags: number): void {
    this.boxHeader(sizeBytes, type);
    this.u8(version);
    this.u24(flags);
  }

  /** A box whose size is patched in once `body` has written its payload. */
  box(type: BoxType, body: () => void): void {
    const start = this.offset;
    this.boxHeader(0, type);
    body();
    this.patchSize(start);
  }

  fullBox(type: BoxType, version: number, flags: number, body: () => void): void {
    const start = this.offset;
    this.fullBoxHeader(0, type, version, flags);
    body();
    this.patchSize(start);
  }

  private patchSize(start: number): void {
    const size = this.offset - start;
    if (size > UINT32_MAX) throw new ProtocolError(ProtocolErrorCode.TooLarge, `MP4 box of ${size} bytes`);
    this.view?.setUint32(start, size);
  }
}

/** Runs `write` once to measure and once into a buffer of exactly that size. */
export function writeMeasured(write: (w: Mp4Writer) => void): Uint8Array {
  const measure = new Mp4Writer();
  write(measure);
  const out = new Uint8Array(measure.offset);
  const w = new Mp4Writer(out);
  write(w);
  if (w.offset !== out.length) {
    throw new ProtocolError(ProtocolErrorCode.BadState, `MP4 writer: wrote ${w.offset} of ${out.length} bytes`);
  }
  return out;
}
