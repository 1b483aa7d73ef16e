// Shared test helpers for the SRT tests: hex conversion and the tests' seeded PRNG.
export { prng, seededBytes } from '../seeded-random.ts';
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, '');
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}


