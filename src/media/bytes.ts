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
