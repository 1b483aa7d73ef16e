// The client's half of the DTLS 1.2 handshake messages for DTLS-SRTP (RFC 6347 §4.2.1 HelloVerifyRequest; RFC 5246
// §7.4 bodies; RFC 8422 §5.1-§5.4 ECDHE/ECDSA; RFC 5764 §4.1.1 use_srtp; RFC 7627 extended_master_secret):
// the ClientHello and client flight encoded, the server's flight parsed. What the server side reads and writes is
// dtls-handshake.ts; the offer here is exactly what that side accepts (one suite, one curve, one SRTP profile).
import { concatBytes } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { CIPHER_ECDHE_ECDSA_AES128_GCM_SHA256, Cursor, ExtensionType, SIG_ECDSA_SHA256, SRTP_AES128_CM_HMAC_SHA1_80 } from './dtls-handshake.ts';

export const HELLO_VERIFY_REQUEST = 3;
const NAMED_CURVE_SECP256R1 = 23;
const CURVE_TYPE_NAMED = 3;
const EXT_SIGNATURE_ALGORITHMS = 0x000d;
const CERT_TYPE_ECDSA_SIGN = 64;
/** RFC 6347 §4.2.1: a cookie is at most 255 bytes (DTLS 1.2) */
const MAX_COOKIE_BYTES = 255;

function fail(code: ProtocolErrorCode, what: string): never {
  throw new ProtocolError(code, `DTLS handshake: ${what}`);
}

const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
const ext = (type: number, data: Uint8Array): Uint8Array => concatBytes([u16(type), u16(data.length), data]);

/**
 * The ClientHello: DTLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 only, secp256r1 with uncompressed points,
 * ecdsa_secp256r1_sha256 signatures, use_srtp SRTP_AES128_CM_HMAC_SHA1_80, extended master secret and an empty
 * renegotiation_info (RFC 5746 §3.4: a server may insist on it). `cookie` is empty until a HelloVerifyRequest.
 */
export function encodeClientHello(random: Uint8Array, cookie: Uint8Array): Uint8Array {
  if (random.length !== 32) throw new RangeError('DTLS: client random must be 32 bytes');
  const extensions = concatBytes([
    ext(ExtensionType.SupportedGroups, concatBytes([u16(2), u16(NAMED_CURVE_SECP256R1)])),
    ext(ExtensionType.EcPointFormats, Uint8Array.of(1, 0)),
    ext(EXT_SIGNATURE_ALGORITHMS, concatBytes([u16(2), u16(SIG_ECDSA_SHA256)])),
    ext(ExtensionType.UseSrtp, concatBytes([u16(2), u16(SRTP_AES128_CM_HMAC_SHA1_80), Uint8Array.of(0)])),
    ext(ExtensionType.ExtendedMasterSecret, new Uint8Array(0)),
    ext(ExtensionType.RenegotiationInfo, Uint8Array.of(0)),
  ]);
  return concatBytes([
    Uint8Array.of(0xfe, 0xfd),
    random,
    Uint8Array.of(0), // no session to resume
    Uint8Array.of(cookie.length),
    cookie,
    u16(2),
    u16(CIPHER_ECDHE_ECDSA_AES128_GCM_SHA256),
    Uint8Array.of(1, 0), // null compression
    u16(extensions.length),
    extensions,
  ]);
}

/** HelloVerifyRequest: the cookie to echo in a second ClientHello. */
export function parseHelloVerifyRequest(body: Uint8Array): Uint8Array {
  const r = new Cursor(body, 'HelloVerifyRequest');
  r.u16(); // server_version: RFC 6347 §4.2.1 says not to rely on it
  const cookie = r.take(r.u8());
  r.end();
  if (cookie.length > MAX_COOKIE_BYTES) fail(ProtocolErrorCode.Malformed, 'cookie');
  return cookie;
}

export type ServerHello = Readonly<{ random: Uint8Array }>;

/** The ServerHello, refused unless it picked what we offered: our suite, our SRTP profile, extended master secret. */
export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new Cursor(body, 'ServerHello');
  const version = r.u16();
  if (version !== 0xfefd) fail(ProtocolErrorCode.Unsupported, `server version 0x${version.toString(16)} (DTLS 1.2 only)`);
  const random = r.take(32);
  r.take(r.u8()); // session id: we never resume
  const suite = r.u16();
  if (suite !== CIPHER_ECDHE_ECDSA_AES128_GCM_SHA256) fail(ProtocolErrorCode.Unsupported, `server chose cipher suite 0x${suite.toString(16)}`);
  if (r.u8() !== 0) fail(ProtocolErrorCode.Unsupported, 'server chose a compression method');
  const extensions = new Map<number, Uint8Array>();
  if (!r.done) {
    const length = r.u16();
    const list = new Cursor(r.take(length), 'ServerHello extensions');
    while (!list.done) {
      const type = list.u16();
      if (extensions.has(type)) fail(ProtocolErrorCode.Malformed, `extension 0x${type.toString(16)} twice`);
      extensions.set(type, list.take(list.u16()));
    }
    r.end();
  }
  const srtp = extensions.get(ExtensionType.UseSrtp);
  if (!srtp) fail(ProtocolErrorCode.Unsupported, 'server did not negotiate use_srtp');
  const s = new Cursor(srtp, 'use_srtp');
  if (s.u16() !== 2 || s.u16() !== SRTP_AES128_CM_HMAC_SHA1_80) fail(ProtocolErrorCode.Unsupported, 'server chose an SRTP profile we did not offer');
  s.take(s.u8()); // srtp_mki: ignored, as WebRTC does
  s.end();
  if (!extensions.has(ExtensionType.ExtendedMasterSecret)) fail(ProtocolErrorCode.Unsupported, 'server did not negotiate extended_master_secret');
  return { random: new Uint8Array(random) };
}

export type ServerKeyExchange = Readonly<{
  /** curve type, curve and point: the bytes the signature covers after both randoms */
  params: Uint8Array;
  publicPoint: Uint8Array;
  signature: Uint8Array;
}>;

export function parseServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const r = new Cursor(body, 'ServerKeyExchange');
  if (r.u8() !== CURVE_TYPE_NAMED) fail(ProtocolErrorCode.Unsupported, 'ServerKeyExchange curve type');
  const curve = r.u16();
  if (curve !== NAMED_CURVE_SECP256R1) fail(ProtocolErrorCode.Unsupported, `server chose curve ${curve}`);
  const publicPoint = r.take(r.u8());
  const params = body.subarray(0, r.at);
  const algorithm = r.u16();
  if (algorithm !== SIG_ECDSA_SHA256) fail(ProtocolErrorCode.Unsupported, `ServerKeyExchange signed with 0x${algorithm.toString(16)}`);
  const signature = r.take(r.u16());
  r.end();
  return { params, publicPoint, signature };
}

/** A CertificateRequest we can answer: it must accept an ECDSA certificate signing with SHA-256. */
export function checkCertificateRequest(body: Uint8Array): void {
  const r = new Cursor(body, 'CertificateRequest');
  const types = r.take(r.u8());
  const algorithmBytes = r.u16();
  if (algorithmBytes % 2 !== 0) fail(ProtocolErrorCode.Malformed, 'CertificateRequest algorithms');
  const algorithms = new Cursor(r.take(algorithmBytes), 'CertificateRequest algorithms');
  let sha256 = false;
  while (!algorithms.done) if (algorithms.u16() === SIG_ECDSA_SHA256) sha256 = true;
  r.take(r.u16()); // certificate authorities: a self-signed WebRTC certificate names none
  r.end();
  if (!types.includes(CERT_TYPE_ECDSA_SIGN) || !sha256) fail(ProtocolErrorCode.Unsupported, 'CertificateRequest does not accept ecdsa_secp256r1_sha256');
}

export function encodeClientKeyExchange(publicPoint: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(publicPoint.length), publicPoint]);
}

export function encodeCertificateVerify(signature: Uint8Array): Uint8Array {
  return concatBytes([u16(SIG_ECDSA_SHA256), u16(signature.length), signature]);
}
