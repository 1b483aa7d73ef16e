// Stream encrypting keys and their exchange (draft-sharabayko-srt-01 §6.1): wrap keys into a
// KM message under the passphrase, open a peer's KM message, and pick the key a data packet's
// KK flag names (§3.1: 01 even, 10 odd).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { aesKeyUnwrap, aesKeyWrap } from './aes-key-wrap.ts';
import { DataKeyFlag } from './constants.ts';
import { deriveKek } from './key-derivation.ts';
import { decodeKmMessage, encodeKmMessage, KmKeyFlag } from './km-message.ts';
import { aesCtr } from './payload-cipher.ts';

export type SrtKeys = Readonly<{ salt: Uint8Array; keyLengthBytes: number; even?: Uint8Array; odd?: Uint8Array }>;

/** Encodes a KM message carrying the keys present in `keys` (even first when both). */
export function sealKeys(passphrase: string, keys: SrtKeys): Uint8Array {
  const parts = [keys.even, keys.odd].filter((k): k is Uint8Array => k !== undefined);
  const first = parts[0];
  if (first === undefined) throw new ProtocolError(ProtocolErrorCode.BadState, 'srt: no key to announce');
  const plain = new Uint8Array(parts.length * keys.keyLengthBytes);
  parts.forEach((k, i) => plain.set(k, i * keys.keyLengthBytes));
  const keyFlag = keys.even && keys.odd ? KmKeyFlag.Both : keys.even ? KmKeyFlag.Even : KmKeyFlag.Odd;
  const kek = deriveKek(passphrase, keys.salt, keys.keyLengthBytes);
  return encodeKmMessage({ keyFlag, keki: 0, salt: keys.salt, keyLengthBytes: keys.keyLengthBytes, wrapped: aesKeyWrap(kek, plain) });
}

/** Opens a peer's KM message; a wrong passphrase throws ProtocolError (the integrity check). */
export function openKeys(passphrase: string, kmBytes: Uint8Array): SrtKeys {
  const km = decodeKmMessage(kmBytes);
  const plain = aesKeyUnwrap(deriveKek(passphrase, km.salt, km.keyLengthBytes), km.wrapped);
  const len = km.keyLengthBytes;
  if (km.keyFlag === KmKeyFlag.Both) return { salt: km.salt, keyLengthBytes: len, even: plain.slice(0, len), odd: plain.slice(len, 2 * len) };
  if (km.keyFlag === KmKeyFlag.Even) return { salt: km.salt, keyLengthBytes: len, even: plain.slice(0, len) };
  return { salt: km.salt, keyLengthBytes: len, odd: plain.slice(0, len) };
}

/** Merges a refresh announcement into the keys in use: keys the message carries replace ours. */
export function mergeKeys(current: SrtKeys | undefined, incoming: SrtKeys): SrtKeys {
  return {
    salt: incoming.salt,
    keyLengthBytes: incoming.keyLengthBytes,
    even: incoming.even ?? (incoming.odd ? current?.even : undefined),
    odd: incoming.odd ?? (incoming.even ? current?.odd : undefined),
  };
}

/** Decrypts a data payload with the key its KK flag names. */
export function decryptPayload(keys: SrtKeys, keyFlag: DataKeyFlag, seq: number, payload: Uint8Array): Uint8Array {
  if (keyFlag === DataKeyFlag.None) return payload;
  const key = keyFlag === DataKeyFlag.Even ? keys.even : keys.odd;
  if (!key) throw new ProtocolError(ProtocolErrorCode.BadState, `srt: data packet uses the ${keyFlag === DataKeyFlag.Even ? 'even' : 'odd'} key we do not have`);
  return aesCtr(key, keys.salt, seq, payload);
}
