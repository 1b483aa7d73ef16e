// Script data from peers: an RTMP publisher's '@setDataFrame' wrapper around onMetaData is
// removed, as the engine's own server session does, so the hub sees plain FLV script bodies.
import { readUint16BE } from '../media/bytes.ts';

const SET_DATA_FRAME = new TextEncoder().encode('@setDataFrame');
const AMF0_STRING_MARKER = 0x02;

export function stripSetDataFrame(body: Uint8Array): Uint8Array {
  const n = SET_DATA_FRAME.byteLength;
  if (body.byteLength < 3 + n || body[0] !== AMF0_STRING_MARKER || readUint16BE(body, 1) !== n) return body;
  for (let i = 0; i < n; i++) if (body[3 + i] !== SET_DATA_FRAME[i]) return body;
  return body.subarray(3 + n);
}
