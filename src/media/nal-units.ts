// AVCC/HVCC access units: NAL units each behind a 1, 2 or 4-byte big-endian length
// (ISO/IEC 14496-15 sections 5.3.2 and 8.3.2). The one splitter of the codebase: a prefix or a
// NAL cut short is an error, never silently dropped.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

/** Views (no copies) of the NAL units of a length-prefixed access unit; empty ones dropped. */
export function splitLengthPrefixed(data: Uint8Array, lengthSize = 4): Uint8Array[] {
  const nals: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + lengthSize > data.length) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, `length-prefixed NAL: length prefix cut at byte ${at}`);
    }
    let size = 0;
    for (let i = 0; i < lengthSize; i++) size = size * 256 + data[at + i]!;
    at += lengthSize;
    if (size > data.length - at) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `length-prefixed NAL of ${size} bytes, ${data.length - at} left`);
    }
    if (size > 0) nals.push(data.subarray(at, at + size));
    at += size;
  }
  return nals;
}
