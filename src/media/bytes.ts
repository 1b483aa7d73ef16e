// Byte comparisons the codec layers share (sequence headers and parameter sets are compared to
// decide whether a track changed).

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Two lists of byte strings, element by element (e.g. the SPS and PPS sets of two headers). */
export function sameByteLists(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => sameBytes(x, b[i]!));
}

// Big-endian reads. The caller has checked the length: these read what is there.

export function readUint16BE(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function readUint24BE(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
}

/** Signed 24-bit big-endian (FLV composition time offsets). */
export function readInt24BE(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8)) >> 8;
}

export function readUint32BE(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** FLV's tag timestamp: 24 bits big-endian, then the 8 high bits after them (FLV spec E.4.1). */
export function readFlvTimestamp(bytes: Uint8Array, at: number): number {
  return ((bytes[at + 3]! << 24) | (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!) >>> 0;
}

/** The parts one after another in a new array (always a copy: the result may be kept). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
