import { concatBytes } from '../../src/media/bytes.ts';
// Test helper: bytes from a hex string ("17 01 ff") or ASCII FourCC pieces.
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex length: ${text}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function ascii(text: string): Uint8Array {
  return new Uint8Array([...text].map((c) => c.charCodeAt(0)));
}

export const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);
