// DTLS 1.2 handshake messages (RFC 6347 §4.2.2 header with message_seq and fragments; bodies from RFC 5246 §7.4,
// RFC 8422 §5 for ECDHE/ECDSA, RFC 5764 §4.1.1 use_srtp, RFC 7627 extended_master_secret): reassembly of
// fragmented messages, the ClientHello and client flight parsed, the server flight encoded.
import { concatBytes } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export const HandshakeType = {
  ClientHello: 1,
  ServerHello: 2,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateVerify: 15,
  ClientKeyExchange: 16,
  Finished: 20,
} as const;

export const HANDSHAKE_HEADER_BYTES = 12;
export const CIPHER_ECDHE_ECDSA_AES128_GCM_SHA256 = 0xc02b;
export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const ExtensionType = { EcPointFormats: 0x000b, SupportedGroups: 0x000a, UseSrtp: 0x000e, ExtendedMasterSecret: 0x0017, RenegotiationInfo: 0xff01 } as const;
const NAMED_CURVE_SECP256R1 = 23;
/** SignatureAndHashAlgorithm ecdsa_secp256r1_sha256 (sha256 = 4, ecdsa = 3) */
export const SIG_ECDSA_SHA256 = 0x0403;
/** No handshake message of this exchange comes near this; a larger declared length is an attack or garbage. */
const MAX_MESSAGE_BYTES = 16384;

export type HandshakeMessage = Readonly<{ type: number; messageSeq: number; body: Uint8Array }>;

function fail(code: ProtocolErrorCode, what: string): never {
  throw new ProtocolError(code, `DTLS handshake: ${what}`);
}

/** Reads big-endian fields from a message body and fails with a ProtocolError past its end (both sides' parsers use it). */
export class Cursor {
  at = 0;
  constructor(readonly bytes: Uint8Array, readonly what: string) {}
  u8(): number {
    if (this.at + 1 > this.bytes.length) fail(ProtocolErrorCode.Truncated, this.what);
    return this.bytes[this.at++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u24(): number {
    return (this.u8() << 16) | (this.u8() << 8) | this.u8();
  }
  take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) fail(ProtocolErrorCode.Truncated, this.what);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  get done(): boolean {
    return this.at === this.bytes.length;
  }
  end(): void {
    if (!this.done) fail(ProtocolErrorCode.Malformed, `${this.what}: ${this.bytes.length - this.at} bytes past its end`);
  }
}

/**
 * Collects handshake fragments from records and yields whole messages in message_seq order. Fragments of a
 * message already delivered (retransmissions) are reported as `repeatedSeq` so the caller can resend its flight.
 */
export class HandshakeReassembler {
  private nextSeq = 0;
  private readonly partial = new Map<number, { type: number; body: Uint8Array; have: Uint8Array; missing: number }>();
  private bufferedBytes = 0;

  get expectedSeq(): number {
    return this.nextSeq;
  }

  push(fragment: Uint8Array): { messages: HandshakeMessage[]; repeated: boolean } {
    const messages: HandshakeMessage[] = [];
    let repeated = false;
    const c = new Cursor(fragment, 'fragment header');
    while (!c.done) {
      const type = c.u8();
      const length = c.u24();
      const messageSeq = c.u16();
      const offset = c.u24();
      const fragmentLength = c.u24();
      const data = c.take(fragmentLength);
      if (length > MAX_MESSAGE_BYTES) fail(ProtocolErrorCode.TooLarge, `message of ${length} bytes`);
      if (offset + fragmentLength > length) fail(ProtocolErrorCode.Malformed, 'fragment past the message end');
      if (messageSeq < this.nextSeq) {
        repeated = true;
        continue;
      }
      if (messageSeq > this.nextSeq + 8) continue; // far ahead of anything we expect: dropped, the peer resends
      let entry = this.partial.get(messageSeq);
      if (!entry) {
        if (this.bufferedBytes + length > 4 * MAX_MESSAGE_BYTES) fail(ProtocolErrorCode.TooLarge, 'handshake buffer');
        entry = { type, body: new Uint8Array(length), have: new Uint8Array(length), missing: length };
        this.bufferedBytes += length;
        this.partial.set(messageSeq, entry);
      } else if (entry.type !== type || entry.body.length !== length) {
        fail(ProtocolErrorCode.Malformed, `fragments of message ${messageSeq} disagree`);
      }
      for (let i = 0; i < fragmentLength; i++) {
        if (!entry.have[offset + i]) {
          entry.have[offset + i] = 1;
          entry.missing--;
        }
        entry.body[offset + i] = data[i]!;
      }
    }
    for (;;) {
      const ready = this.partial.get(this.nextSeq);
      if (!ready || ready.missing > 0) break;
      this.partial.delete(this.nextSeq);
      this.bufferedBytes -= ready.body.length;
      messages.push({ type: ready.type, messageSeq: this.nextSeq, body: ready.body });
      this.nextSeq++;
    }
    return { messages, repeated };
  }
}

/** The message as the transcript hashes it: a header with one fragment covering the whole body (RFC 6347 §4.2.6). */
export function encodeHandshake(type: number, messageSeq: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_BYTES + body.length);
  out[0] = type;
  writeU24(out, 1, body.length);
  out[4] = messageSeq >> 8;
  out[5] = messageSeq & 0xff;
  writeU24(out, 6, 0);
  writeU24(out, 9, body.length);
  out.set(body, HANDSHAKE_HEADER_BYTES);
  return out;
}

export type ClientHello = Readonly<{
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: readonly number[];
  extensions: ReadonlyMap<number, Uint8Array>;
  srtpProfiles: readonly number[];
}>;

export function parseClientHello(body: Uint8Array): ClientHello {
  const c = new Cursor(body, 'ClientHello');
  c.u16(); // client_version: the record and ServerHello decide (DTLS 1.2 only)
  const random = c.take(32);
  const sessionId = c.take(c.u8());
  const cookie = c.take(c.u8());
  const suitesBytes = c.u16();
  if (suitesBytes % 2 !== 0) fail(ProtocolErrorCode.Malformed, 'cipher suite list');
  const cipherSuites: number[] = [];
  for (let i = 0; i < suitesBytes / 2; i++) cipherSuites.push(c.u16());
  c.take(c.u8()); // compression methods: null is the only one anyone offers
  const extensions = new Map<number, Uint8Array>();
  if (!c.done) {
    const end = c.u16() + c.at;
    if (end !== body.length) fail(ProtocolErrorCode.Malformed, 'extensions length');
    while (!c.done) {
      const type = c.u16();
      extensions.set(type, c.take(c.u16()));
    }
  }
  const srtpProfiles: number[] = [];
  const srtp = extensions.get(ExtensionType.UseSrtp);
  if (srtp) {
    const s = new Cursor(srtp, 'use_srtp');
    const n = s.u16();
    if (n % 2 !== 0) fail(ProtocolErrorCode.Malformed, 'use_srtp profiles');
    for (let i = 0; i < n / 2; i++) srtpProfiles.push(s.u16());
  }
  return { random, sessionId, cookie, cipherSuites, extensions, srtpProfiles };
}

export function encodeServerHello(random: Uint8Array, sessionId: Uint8Array, withPointFormats: boolean): Uint8Array {
  const ext = (type: number, data: Uint8Array): Uint8Array => concatBytes([u16(type), u16(data.length), data]);
  const extensions = concatBytes([
    ext(ExtensionType.UseSrtp, Uint8Array.of(0, 2, SRTP_AES128_CM_HMAC_SHA1_80 >> 8, SRTP_AES128_CM_HMAC_SHA1_80 & 0xff, 0)),
    ext(ExtensionType.ExtendedMasterSecret, new Uint8Array(0)),
    ext(ExtensionType.RenegotiationInfo, Uint8Array.of(0)),
    ...(withPointFormats ? [ext(ExtensionType.EcPointFormats, Uint8Array.of(1, 0))] : []),
  ]);
  return concatBytes([
    Uint8Array.of(0xfe, 0xfd),
    random,
    Uint8Array.of(sessionId.length),
    sessionId,
    u16(CIPHER_ECDHE_ECDSA_AES128_GCM_SHA256),
    Uint8Array.of(0),
    u16(extensions.length),
    extensions,
  ]);
}

export function encodeCertificateBody(certificates: readonly Uint8Array[]): Uint8Array {
  const list = concatBytes(certificates.map((der) => concatBytes([u24(der.length), der])));
  return concatBytes([u24(list.length), list]);
}

export function parseCertificateBody(body: Uint8Array): Uint8Array[] {
  const c = new Cursor(body, 'Certificate');
  const end = c.u24() + 3;
  if (end !== body.length) fail(ProtocolErrorCode.Malformed, 'certificate list length');
  const out: Uint8Array[] = [];
  while (!c.done) out.push(c.take(c.u24()));
  return out;
}

/** ServerECDHParams (named curve secp256r1, our public point): the part the signature covers with both randoms. */
export function encodeEcdheParams(publicPoint: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(3, 0, NAMED_CURVE_SECP256R1, publicPoint.length), publicPoint]);
}

export function encodeServerKeyExchange(params: Uint8Array, signature: Uint8Array): Uint8Array {
  return concatBytes([params, u16(SIG_ECDSA_SHA256), u16(signature.length), signature]);
}

/** Asks for the browser's certificate: its fingerprint in the SDP offer is what authenticates it (RFC 8827 §6.5). */
export function encodeCertificateRequest(): Uint8Array {
  const ECDSA_SIGN = 64;
  return concatBytes([Uint8Array.of(1, ECDSA_SIGN), u16(2), u16(SIG_ECDSA_SHA256), u16(0)]);
}

export function parseClientKeyExchange(body: Uint8Array): Uint8Array {
  const c = new Cursor(body, 'ClientKeyExchange');
  const point = c.take(c.u8());
  if (!c.done) fail(ProtocolErrorCode.Malformed, 'ClientKeyExchange length');
  return point;
}

export function parseCertificateVerify(body: Uint8Array): { algorithm: number; signature: Uint8Array } {
  const c = new Cursor(body, 'CertificateVerify');
  const algorithm = c.u16();
  const signature = c.take(c.u16());
  if (!c.done) fail(ProtocolErrorCode.Malformed, 'CertificateVerify length');
  return { algorithm, signature };
}

function u16(v: number): Uint8Array {
  return Uint8Array.of(v >> 8, v & 0xff);
}

function u24(v: number): Uint8Array {
  return Uint8Array.of(v >> 16, (v >> 8) & 0xff, v & 0xff);
}

function writeU24(out: Uint8Array, at: number, v: number): void {
  out[at] = v >> 16;
  out[at + 1] = (v >> 8) & 0xff;
  out[at + 2] = v & 0xff;
}
