// Payload encryption (draft-sharabayko-srt-01 §6.2 encryption, §6.3 decryption): AES-CTR over the data payload,
// IV = 112-bit salt XOR (packet index << 16), with the index the packet's sequence number.
import { createCipheriv } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export function ctrIv(salt: Uint8Array, seq: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv[10] = (seq >>> 24) & 0xff;
  iv[11] = (seq >>> 16) & 0xff;
  iv[12] = (seq >>> 8) & 0xff;
  iv[13] = seq & 0xff;
  for (let i = 0; i < 14; i++) iv[i] = (iv[i] ?? 0) ^ (salt[i] ?? 0);
  return iv;
}

/** CTR is its own inverse: the same call encrypts and decrypts. */
export function aesCtr(key: Uint8Array, salt: Uint8Array, seq: number, payload: Uint8Array): Uint8Array {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: key of ${key.length} bytes`);
  const c = createCipheriv(`aes-${key.length * 8}-ctr`, key, ctrIv(salt, seq));
  return new Uint8Array(Buffer.concat([c.update(payload), c.final()]));
}
