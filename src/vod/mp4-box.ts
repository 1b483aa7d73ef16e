// ISO BMFF box walking for the VOD reader (ISO/IEC 14496-12 §4.2): box headers (32-bit size, 64-bit
// largesize, size 0 = to the end), children of a container, and bounds-checked big-endian reads.
// Pure: every read past the bytes or a box that runs past its parent is a ProtocolError.
import { readUint16BE, readUint32BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type Box = Readonly<{ type: string; start: number; payload: number; end: number }>;

export const BOX_HEADER_BYTES = 8;
/** size + type + largesize */
export const LARGE_BOX_HEADER_BYTES = 16;

export function mp4Fail(message: string, code: ProtocolErrorCode = ProtocolErrorCode.Malformed): never {
  throw new ProtocolError(code, `MP4: ${message}`);
}

/** `bytes` bytes at `at` lie inside `b`, or the box is truncated. */
function inBounds(b: Uint8Array, at: number, bytes: number): void {
  if (at < 0 || at + bytes > b.length) mp4Fail('truncated box', ProtocolErrorCode.Truncated);
}
export const u8 = (b: Uint8Array, at: number): number => {
  inBounds(b, at, 1);
  return b[at]!;
};
export const u16 = (b: Uint8Array, at: number): number => {
  inBounds(b, at, 2);
  return readUint16BE(b, at);
};
export const u32 = (b: Uint8Array, at: number): number => {
  inBounds(b, at, 4);
  return readUint32BE(b, at);
};
export const i32 = (b: Uint8Array, at: number): number => u32(b, at) | 0;
export function u64(b: Uint8Array, at: number): number {
  const value = u32(b, at) * 2 ** 32 + u32(b, at + 4);
  if (!Number.isSafeInteger(value)) mp4Fail(`64-bit value at ${at} is too large`, ProtocolErrorCode.TooLarge);
  return value;
}
export const fourCc = (b: Uint8Array, at: number): string =>
  String.fromCharCode(u8(b, at), u8(b, at + 1), u8(b, at + 2), u8(b, at + 3));

/**
 * One box header at `at` of a span that ends at `end` (the file size for top-level boxes): the
 * header needs 8 bytes of `b` (16 with a largesize). `b` may be only the first bytes of the box.
 */
export function readBoxHeader(b: Uint8Array, at: number, end: number): Box {
  if (end - at < BOX_HEADER_BYTES) mp4Fail(`box header truncated at ${at}`, ProtocolErrorCode.Truncated);
  let size = u32(b, at);
  const type = fourCc(b, at + 4);
  let header = BOX_HEADER_BYTES;
  if (size === 1) {
    if (end - at < LARGE_BOX_HEADER_BYTES) mp4Fail(`box ${type}: largesize truncated`, ProtocolErrorCode.Truncated);
    size = u64(b, at + 8);
    header = LARGE_BOX_HEADER_BYTES;
  } else if (size === 0) {
    size = end - at;
  }
  if (size < header) mp4Fail(`box ${type} at ${at}: size ${size} is smaller than its header`);
  if (at + size > end) mp4Fail(`box ${type} at ${at}: size ${size} runs past ${end}`, ProtocolErrorCode.Truncated);
  return { type, start: at, payload: at + header, end: at + size };
}

/** Boxes directly inside [start, end) of `b`. */
export function childBoxes(b: Uint8Array, start: number, end: number): Box[] {
  const out: Box[] = [];
  for (let at = start; at < end; ) {
    const box = readBoxHeader(b, at, end);
    out.push(box);
    at = box.end;
  }
  return out;
}

export const childOf = (b: Uint8Array, parent: Box, type: string): Box | undefined =>
  childBoxes(b, parent.payload, parent.end).find((x) => x.type === type);

export const childrenOf = (b: Uint8Array, parent: Box, type: string): Box[] =>
  childBoxes(b, parent.payload, parent.end).filter((x) => x.type === type);

/** The box at a path of child types under `parent`, or undefined. */
export function pathOf(b: Uint8Array, parent: Box, ...types: string[]): Box | undefined {
  let box: Box | undefined = parent;
  for (const type of types) {
    if (!box) return undefined;
    box = childOf(b, box, type);
  }
  return box;
}

/** A box that must be there. */
export function requireBox(b: Uint8Array, parent: Box, ...types: string[]): Box {
  const box = pathOf(b, parent, ...types);
  if (!box) mp4Fail(`${parent.type} without ${types.join('/')}`);
  return box;
}
