// Test helpers shared by the RTMP tests: seeded PRNG, byte utilities, ProtocolError assertions.
import { concatBytes } from '../../src/media/bytes.ts';
import { expect } from 'bun:test';
import { ProtocolError } from '../../src/shared/protocol-error.ts';

/** mulberry32: small deterministic PRNG; returns a float in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededBytes(seed: number): (n: number) => Uint8Array {
  const rand = seededRandom(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

export const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));


export function expectProtocolError(fn: () => unknown, code?: string): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    if (code !== undefined) expect((err as ProtocolError).code).toBe(code as ProtocolError['code']);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

export const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);
