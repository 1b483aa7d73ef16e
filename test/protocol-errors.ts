// What pure protocol code throws on bad input, checked the same way by every parser's tests: a
// ProtocolError (with its code, where the test names one), never another error or none.
import { expect } from 'bun:test';
import { isProtocolError, type ProtocolErrorCode } from '../src/shared/protocol-error.ts';

/** `fn` throws a ProtocolError, with `code` when given. */
export function expectProtocolError(fn: () => unknown, code?: ProtocolErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (!isProtocolError(caught)) throw new Error(`expected a ProtocolError, got ${caught === undefined ? 'no error' : String(caught)}`);
  if (code !== undefined) expect(caught.code).toBe(code);
}
