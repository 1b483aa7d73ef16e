// Key material message (draft-sharabayko-srt-01 §3.2.2): carried in KMREQ/KMRSP handshake
// extensions and in user-defined control packets for key refresh. 16-byte header, salt,
// then the RFC 3394 wrap of one or two stream encrypting keys (even first).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export const KmKeyFlag = { Even: 1, Odd: 2, Both: 3 } as const;
export type KmKeyFlag = (typeof KmKeyFlag)[keyof typeof KmKeyFlag];

/** S=0, V=1, PT=2 (keying material message). */
const KM_FIRST_BYTE = 0x12;
/** "HAI" PnP vendor id. */
const KM_SIGN = 0x2029;
const CIPHER_AES_CTR = 2;
/** SE=2: SRT stream encapsulation. */
const SE_SRT = 2;
const WRAP_ICV_BYTES = 8;

export type KmMessage = {
  keyFlag: KmKeyFlag;
  keki: number;
  /** 16 bytes. */
  salt: Uint8Array;
  /** 16, 24 or 32. */
  keyLengthBytes: number;
  /** RFC 3394 output: 8-byte integrity value + the wrapped key(s). */
  wrapped: Uint8Array;
};

export function decodeKmMessage(bytes: Uint8Array): KmMessage {
  if (bytes.length < 16) throw new ProtocolError(ProtocolErrorCode.Truncated, `srt: key material of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== KM_FIRST_BYTE || view.getUint16(1) !== KM_SIGN) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: not a key material message');
  const keyFlag = (bytes[3] ?? 0) & 3;
  if (keyFlag === 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: key material names no key');
  if (bytes[8] !== CIPHER_AES_CTR) throw new ProtocolError(ProtocolErrorCode.Unsupported, `srt: cipher ${bytes[8]} (only AES-CTR)`);
  if (bytes[9] !== 0) throw new ProtocolError(ProtocolErrorCode.Unsupported, `srt: auth ${bytes[9]}`);
  const saltLengthBytes = (bytes[14] ?? 0) * 4;
  const keyLengthBytes = (bytes[15] ?? 0) * 4;
  if (saltLengthBytes !== 16) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: salt of ${saltLengthBytes} bytes`);
  if (keyLengthBytes !== 16 && keyLengthBytes !== 24 && keyLengthBytes !== 32) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: key of ${keyLengthBytes} bytes`);
  const keys = keyFlag === KmKeyFlag.Both ? 2 : 1;
  const wrappedBytes = WRAP_ICV_BYTES + keys * keyLengthBytes;
  if (bytes.length < 32 + wrappedBytes) throw new ProtocolError(ProtocolErrorCode.Truncated, 'srt: key material shorter than its keys');
  return {
    keyFlag: keyFlag as KmKeyFlag,
    keki: view.getUint32(4),
    salt: bytes.slice(16, 32),
    keyLengthBytes,
    wrapped: bytes.slice(32, 32 + wrappedBytes),
  };
}

export function encodeKmMessage(km: KmMessage): Uint8Array {
  const out = new Uint8Array(32 + km.wrapped.length);
  const view = new DataView(out.buffer);
  out[0] = KM_FIRST_BYTE;
  view.setUint16(1, KM_SIGN);
  out[3] = km.keyFlag;
  view.setUint32(4, km.keki >>> 0);
  out[8] = CIPHER_AES_CTR;
  out[9] = 0;
  out[10] = SE_SRT;
  out[14] = 4;
  out[15] = km.keyLengthBytes / 4;
  out.set(km.salt, 16);
  out.set(km.wrapped, 32);
  return out;
}
