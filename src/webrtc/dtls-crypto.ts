// DTLS 1.2 key schedule and record protection for TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: the TLS 1.2 PRF
// (RFC 5246 §5), extended master secret (RFC 7627 §4), key block (RFC 5246 §6.3), AES-GCM records (RFC 5288 §3
// with DTLS's epoch and sequence as the explicit nonce and in the additional data), and the DTLS-SRTP exporter
// (RFC 5764 §4.2, RFC 5705).
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { concatBytes as concat } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { ContentType, DTLS_1_2, RECORD_HEADER_BYTES, encodeRecordHeader, writeEpochSequence } from './dtls-record.ts';

const GCM_EXPLICIT_NONCE_BYTES = 8;
const GCM_TAG_BYTES = 16;

export function prf(secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = concat([new TextEncoder().encode(label), seed]);
  const out = new Uint8Array(length);
  let a: Uint8Array = labelSeed;
  let filled = 0;
  while (filled < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret).update(a).update(labelSeed).digest();
    out.set(block.subarray(0, Math.min(block.length, length - filled)), filled);
    filled += block.length;
  }
  return out;
}

export function extendedMasterSecret(preMaster: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(preMaster, 'extended master secret', sessionHash, 48);
}

export type RecordKeys = Readonly<{ clientKey: Uint8Array; serverKey: Uint8Array; clientIv: Uint8Array; serverIv: Uint8Array }>;

export function keyBlock(master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): RecordKeys {
  const block = prf(master, 'key expansion', concat([serverRandom, clientRandom]), 40);
  return { clientKey: block.subarray(0, 16), serverKey: block.subarray(16, 32), clientIv: block.subarray(32, 36), serverIv: block.subarray(36, 40) };
}

export type SrtpKeyMaterial = Readonly<{ clientKey: Uint8Array; serverKey: Uint8Array; clientSalt: Uint8Array; serverSalt: Uint8Array }>;

/** Keying material for SRTP_AES128_CM_HMAC_SHA1_80: 16-byte keys, 14-byte salts (RFC 5764 §4.2). */
export function exportSrtpKeys(master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): SrtpKeyMaterial {
  const m = prf(master, 'EXTRACTOR-dtls_srtp', concat([clientRandom, serverRandom]), 60);
  return { clientKey: m.subarray(0, 16), serverKey: m.subarray(16, 32), clientSalt: m.subarray(32, 46), serverSalt: m.subarray(46, 60) };
}

function additionalData(type: ContentType, epoch: number, sequence: number, length: number): Uint8Array {
  const aad = new Uint8Array(13);
  writeEpochSequence(aad, 0, epoch, sequence);
  aad[8] = type;
  aad[9] = DTLS_1_2 >> 8;
  aad[10] = DTLS_1_2 & 0xff;
  aad[11] = length >> 8;
  aad[12] = length & 0xff;
  return aad;
}

/** One protected record, header included. */
export function sealRecord(key: Uint8Array, iv: Uint8Array, type: ContentType, epoch: number, sequence: number, plaintext: Uint8Array): Uint8Array {
  const explicit = new Uint8Array(GCM_EXPLICIT_NONCE_BYTES);
  writeEpochSequence(explicit, 0, epoch, sequence);
  const cipher = createCipheriv('aes-128-gcm', key, concat([iv, explicit]));
  cipher.setAAD(additionalData(type, epoch, sequence, plaintext.length));
  const body = concat([explicit, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const out = new Uint8Array(RECORD_HEADER_BYTES + body.length);
  out.set(encodeRecordHeader(type, epoch, sequence, body.length));
  out.set(body, RECORD_HEADER_BYTES);
  return out;
}

/** The plaintext of a protected record; a record that does not authenticate is a ProtocolError. */
export function openRecord(key: Uint8Array, iv: Uint8Array, type: ContentType, epoch: number, sequence: number, fragment: Uint8Array): Uint8Array {
  if (fragment.length < GCM_EXPLICIT_NONCE_BYTES + GCM_TAG_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'DTLS: protected record');
  const explicit = fragment.subarray(0, GCM_EXPLICIT_NONCE_BYTES);
  const tag = fragment.subarray(fragment.length - GCM_TAG_BYTES);
  const ciphertext = fragment.subarray(GCM_EXPLICIT_NONCE_BYTES, fragment.length - GCM_TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-128-gcm', key, concat([iv, explicit]));
    decipher.setAAD(additionalData(type, epoch, sequence, ciphertext.length));
    decipher.setAuthTag(tag);
    return concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'DTLS: record does not authenticate');
  }
}
