// Annex B byte stream splitting (ITU-T H.264/H.265 Annex B.2) and length-prefixing (ISO/IEC 14496-15 §5.3.2/§8.3.2)
// for FLV video tag bodies built from MPEG-TS access units.

/** Views of the NAL units of an Annex B access unit (start codes and trailing_zero_8bits removed, empty ones dropped). */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  const n = data.length;
  while (i + 2 < n) {
    if (data[i + 2]! > 1) {
      i += 3;
      continue;
    }
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) pushNal(nals, data, start, i);
      i += 3;
      start = i;
      continue;
    }
    i++;
  }
  if (start >= 0) pushNal(nals, data, start, n);
  return nals;
}

function pushNal(nals: Uint8Array[], data: Uint8Array, start: number, end: number): void {
  let e = end;
  while (e > start && data[e - 1] === 0) e--; // the zero of a 4-byte start code, trailing_zero_8bits
  if (e > start) nals.push(data.subarray(start, e));
}

/** NAL units with a 4-byte big-endian length before each, in one buffer after `prefix`. */
export function lengthPrefixed(prefix: Uint8Array, nals: readonly Uint8Array[]): Uint8Array {
  let size = prefix.length;
  for (const nal of nals) size += 4 + nal.length;
  const out = new Uint8Array(size);
  out.set(prefix);
  let at = prefix.length;
  for (const nal of nals) {
    out[at] = nal.length >>> 24;
    out[at + 1] = nal.length >>> 16;
    out[at + 2] = nal.length >>> 8;
    out[at + 3] = nal.length;
    out.set(nal, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

/** SI24 composition time offset, clamped to its range. */
export function writeSi24(out: Uint8Array, at: number, value: number): void {
  const v = Math.max(-0x800000, Math.min(0x7fffff, Math.round(value))) & 0xffffff;
  out[at] = v >>> 16;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = v & 0xff;
}

