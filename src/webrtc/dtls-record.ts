// DTLS 1.2 record layer framing (RFC 6347 §4.1): content type, version, epoch, 48-bit sequence number, length.
// Several records may share one datagram; protection (AES-GCM) is dtls-crypto.ts's.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23 } as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** DTLS 1.2 on the wire ({254, 253}); DTLS 1.0 ({254, 255}) may appear in a ClientHello's record. */
export const DTLS_1_2 = 0xfefd;
export const DTLS_1_0 = 0xfeff;
export const RECORD_HEADER_BYTES = 13;
/** RFC 6347 §4.1: 2^14 bytes of plaintext plus expansion; more is a broken or hostile peer. */
const MAX_RECORD_BYTES = 16384 + 2048;

export type DtlsRecord = Readonly<{
  type: ContentType;
  version: number;
  epoch: number;
  /** 48-bit sequence number (fits a double exactly) */
  sequence: number;
  fragment: Uint8Array;
}>;

/** RFC 7983 §7: DTLS occupies first bytes 20-63 of a multiplexed datagram. */
export function looksLikeDtls(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0]! >= 20 && bytes[0]! <= 63;
}

export function parseDtlsRecords(datagram: Uint8Array): DtlsRecord[] {
  const out: DtlsRecord[] = [];
  let at = 0;
  while (at < datagram.length) {
    if (datagram.length - at < RECORD_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'DTLS: record header');
    const type = datagram[at]!;
    if (type < ContentType.ChangeCipherSpec || type > ContentType.ApplicationData) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `DTLS: content type ${type}`);
    }
    const version = (datagram[at + 1]! << 8) | datagram[at + 2]!;
    if (version !== DTLS_1_2 && version !== DTLS_1_0) throw new ProtocolError(ProtocolErrorCode.Unsupported, `DTLS: version 0x${version.toString(16)}`);
    const epoch = (datagram[at + 3]! << 8) | datagram[at + 4]!;
    let sequence = 0;
    for (let i = 5; i < 11; i++) sequence = sequence * 256 + datagram[at + i]!;
    const length = (datagram[at + 11]! << 8) | datagram[at + 12]!;
    if (length > MAX_RECORD_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `DTLS: record of ${length} bytes`);
    const start = at + RECORD_HEADER_BYTES;
    if (start + length > datagram.length) throw new ProtocolError(ProtocolErrorCode.Truncated, `DTLS: record of ${length} bytes`);
    out.push({ type: type as ContentType, version, epoch, sequence, fragment: datagram.subarray(start, start + length) });
    at = start + length;
  }
  return out;
}

/** The 13-byte header; also the start of the AEAD additional data (RFC 5246 §6.2.3.3 with DTLS's epoch+seq). */
export function encodeRecordHeader(type: ContentType, epoch: number, sequence: number, length: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES);
  out[0] = type;
  out[1] = DTLS_1_2 >> 8;
  out[2] = DTLS_1_2 & 0xff;
  writeEpochSequence(out, 3, epoch, sequence);
  out[11] = length >> 8;
  out[12] = length & 0xff;
  return out;
}

export function writeEpochSequence(out: Uint8Array, at: number, epoch: number, sequence: number): void {
  out[at] = epoch >> 8;
  out[at + 1] = epoch & 0xff;
  let s = sequence;
  for (let i = 7; i >= 2; i--) {
    out[at + i] = s % 256;
    s = Math.floor(s / 256);
  }
}
