// AES key wrap (RFC 3394 §2.2.1/§2.2.2, default IV A6A6A6A6A6A6A6A6) used to carry SRT stream
// encrypting keys under the passphrase-derived key (draft-sharabayko-srt-01 §6.1).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

const DEFAULT_IV = new Uint8Array([0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6]);

function ecbName(kek: Uint8Array): string {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: key-encrypting key of ${kek.length} bytes`);
  return `aes-${kek.length * 8}-ecb`;
}

function aesBlock(kek: Uint8Array, block: Uint8Array, decrypt: boolean): Uint8Array {
  const c = decrypt ? createDecipheriv(ecbName(kek), kek, null) : createCipheriv(ecbName(kek), kek, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

export function aesKeyWrap(kek: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length < 16 || plaintext.length % 8 !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: cannot wrap ${plaintext.length} bytes`);
  const n = plaintext.length / 8;
  const a = DEFAULT_IV.slice();
  const r = plaintext.slice();
  const block = new Uint8Array(16);
  for (let j = 0; j <= 5; j++) {
    for (let i = 1; i <= n; i++) {
      block.set(a, 0);
      block.set(r.subarray((i - 1) * 8, i * 8), 8);
      const b = aesBlock(kek, block, false);
      a.set(b.subarray(0, 8));
      xorCounter(a, n * j + i);
      r.set(b.subarray(8, 16), (i - 1) * 8);
    }
  }
  const out = new Uint8Array(8 + r.length);
  out.set(a, 0);
  out.set(r, 8);
  return out;
}

/** Returns the key(s), or throws ProtocolError (BadSecret in practice) when the integrity check fails. */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: cannot unwrap ${wrapped.length} bytes`);
  const n = wrapped.length / 8 - 1;
  const a = wrapped.slice(0, 8);
  const r = wrapped.slice(8);
  const block = new Uint8Array(16);
  for (let j = 5; j >= 0; j--) {
    for (let i = n; i >= 1; i--) {
      xorCounter(a, n * j + i);
      block.set(a, 0);
      block.set(r.subarray((i - 1) * 8, i * 8), 8);
      const b = aesBlock(kek, block, true);
      a.set(b.subarray(0, 8));
      r.set(b.subarray(8, 16), (i - 1) * 8);
    }
  }
  let diff = 0;
  for (let i = 0; i < 8; i++) diff |= (a[i] ?? 0) ^ (DEFAULT_IV[i] ?? 0);
  if (diff !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: key unwrap integrity check failed (wrong passphrase?)');
  return r;
}

/** A ^= t as a 64-bit big-endian integer (t < 2^32 here). */
function xorCounter(a: Uint8Array, t: number): void {
  for (let k = 7; k >= 4; k--) {
    a[k] = (a[k] ?? 0) ^ (t & 0xff);
    t >>>= 8;
  }
}
