// A self-signed ECDSA P-256 X.509 certificate (RFC 5280 §4.1) for DTLS-SRTP: WebRTC peers authenticate each other
// by the certificate's SHA-256 fingerprint in the SDP (RFC 8122 §5), so the names and dates inside do not matter.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { concatBytes } from '../media/bytes.ts';

export type DtlsCertificate = Readonly<{
  der: Uint8Array;
  privateKey: KeyObject;
  /** `sha-256` fingerprint as SDP's a=fingerprint writes it: upper-case hex pairs joined by colons */
  fingerprint: string;
}>;

const OID_ECDSA_WITH_SHA256 = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
const OID_COMMON_NAME = Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03);

function der(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const length = n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >> 8, n & 0xff);
  return concatBytes([Uint8Array.of(tag), length, body]);
}

const sequence = (...parts: Uint8Array[]): Uint8Array => der(0x30, concatBytes(parts));

function name(commonName: string): Uint8Array {
  return sequence(der(0x31, sequence(OID_COMMON_NAME, der(0x0c, new TextEncoder().encode(commonName)))));
}

export function fingerprintOf(certificateDer: Uint8Array): string {
  return [...createHash('sha256').update(certificateDer).digest()].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/**
 * A fresh key and certificate. Validity is fixed (2024 to 2049, UTCTime's last year): pure code reads no clock,
 * and browsers check only the fingerprint of a DTLS-SRTP certificate.
 */
export function createDtlsCertificate(commonName = 'weir'): DtlsCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomBytes(8);
  serial[0] = serial[0]! & 0x7f; // a positive INTEGER
  const algorithm = sequence(OID_ECDSA_WITH_SHA256);
  const validity = sequence(der(0x17, new TextEncoder().encode('240101000000Z')), der(0x17, new TextEncoder().encode('491231235959Z')));
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const tbs = sequence(
    der(0xa0, der(0x02, Uint8Array.of(2))),
    der(0x02, serial),
    algorithm,
    name(commonName),
    validity,
    name(commonName),
    spki,
  );
  const signature = new Uint8Array(sign('sha256', tbs, privateKey));
  const certificate = sequence(tbs, algorithm, der(0x03, concatBytes([Uint8Array.of(0), signature])));
  return { der: certificate, privateKey, fingerprint: fingerprintOf(certificate) };
}
