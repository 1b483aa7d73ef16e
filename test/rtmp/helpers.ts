// Test helpers shared by the RTMP tests: seeded PRNG, byte utilities, ProtocolError assertions.
import { concatBytes } from '../../src/media/bytes.ts';
import { expect } from 'bun:test';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
export { prng as seededRandom, seededBytes } from '../seeded-random.ts';



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
