// Reads a whole FLV file (FLV v10 Annex E) into its tags, for the load tool's publisher.

import { readFileSync } from 'node:fs';

export type FlvFileTag = { type: number; timestampMs: number; body: Uint8Array };

export function readFlvFile(path: string): FlvFileTag[] {
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes.length < 13 || bytes[0] !== 0x46 || bytes[1] !== 0x4c || bytes[2] !== 0x56) {
    throw new Error(`${path}: not an FLV file`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = view.getUint32(5) + 4;
  const tags: FlvFileTag[] = [];
  while (pos + 11 <= bytes.length) {
    const type = bytes[pos]! & 0x1f;
    const size = (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    const timestampMs = ((bytes[pos + 7]! << 24) | (bytes[pos + 4]! << 16) | (bytes[pos + 5]! << 8) | bytes[pos + 6]!) >>> 0;
    const bodyStart = pos + 11;
    if (bodyStart + size > bytes.length) break; // truncated last tag
    tags.push({ type, timestampMs, body: bytes.subarray(bodyStart, bodyStart + size) });
    pos = bodyStart + size + 4;
  }
  return tags;
}
