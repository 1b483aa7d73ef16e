// Key-encrypting key derivation (draft-sharabayko-srt-01 §6.1): PBKDF2 with HMAC-SHA1,
// 2048 iterations, salted with the last 64 bits of the key material's 128-bit salt.
import { pbkdf2Sync } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export const PBKDF2_ITERATIONS = 2048;
/** libsrt refuses passphrases outside 10..79 characters. */
export const MIN_PASSPHRASE_LENGTH = 10;
export const MAX_PASSPHRASE_LENGTH = 79;

export function deriveKek(passphrase: string, kmSalt: Uint8Array, keyLengthBytes: number): Uint8Array {
  if (kmSalt.length !== 16) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: salt of ${kmSalt.length} bytes`);
  return new Uint8Array(pbkdf2Sync(passphrase, kmSalt.subarray(8, 16), PBKDF2_ITERATIONS, keyLengthBytes, 'sha1'));
}

/** libsrt's rule, so a passphrase that works here also works with every libsrt peer. */
export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH || passphrase.length > MAX_PASSPHRASE_LENGTH) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: a passphrase has ${MIN_PASSPHRASE_LENGTH} to ${MAX_PASSPHRASE_LENGTH} characters, not ${passphrase.length}`);
  }
}
