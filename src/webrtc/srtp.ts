// SRTP and SRTCP with AES_CM_128_HMAC_SHA1_80 (RFC 3711 §3-§4; the profile DTLS-SRTP negotiates, RFC 5764 §4.1.2):
// session key derivation (§4.3, key derivation rate 0), AES counter mode (§4.1.1), HMAC-SHA1 tags cut to 80 bits
// (§4.2), the rollover counter of the sending side (§3.3.1) and the SRTCP index (§3.4). One context per direction
// per peer: every WebRTC viewer has its own keys, so encryption is the one per-viewer step of sending media.
import { createCipheriv, createHmac } from 'node:crypto';
import { concatBytes, readUint16BE, readUint32BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

const TAG_BYTES = 10;
const SRTCP_INDEX_BYTES = 4;
const RTCP_HEADER_BYTES = 8;
const Label = { RtpKey: 0, RtpAuth: 1, RtpSalt: 2, RtcpKey: 3, RtcpAuth: 4, RtcpSalt: 5 } as const;

export type SrtpSessionKeys = Readonly<{ key: Uint8Array; salt: Uint8Array; auth: Uint8Array }>;

/** AES-CM keystream of `length` bytes from a 16-byte IV (the block counter in the last two bytes). */
function keystreamXor(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return concatBytes([cipher.update(data), cipher.final()]);
}

/** §4.3.1 with kdr 0: x = label at byte 7 of the 112-bit master salt, expanded by AES-CM from x·2^16. */
export function deriveSessionKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  if (masterKey.length !== 16 || masterSalt.length !== 14) throw new RangeError('SRTP: master key 16 and salt 14 bytes');
  const iv = new Uint8Array(16);
  iv.set(masterSalt);
  iv[7]! ^= label;
  return keystreamXor(masterKey, iv, new Uint8Array(length));
}

export function deriveSrtpKeys(masterKey: Uint8Array, masterSalt: Uint8Array): { rtp: SrtpSessionKeys; rtcp: SrtpSessionKeys } {
  const d = (label: number, length: number) => deriveSessionKey(masterKey, masterSalt, label, length);
  return {
    rtp: { key: d(Label.RtpKey, 16), auth: d(Label.RtpAuth, 20), salt: d(Label.RtpSalt, 14) },
    rtcp: { key: d(Label.RtcpKey, 16), auth: d(Label.RtcpAuth, 20), salt: d(Label.RtcpSalt, 14) },
  };
}

/** §4.1.1: IV = (salt·2^16) XOR (SSRC·2^64) XOR (index·2^16). */
export function counterIv(salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(salt);
  iv[4]! ^= ssrc >>> 24;
  iv[5]! ^= (ssrc >>> 16) & 0xff;
  iv[6]! ^= (ssrc >>> 8) & 0xff;
  iv[7]! ^= ssrc & 0xff;
  let i = index;
  for (let at = 13; at >= 8; at--) {
    iv[at]! ^= i % 256;
    i = Math.floor(i / 256);
  }
  return iv;
}

function tag(auth: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac('sha1', auth);
  for (const p of parts) mac.update(p);
  return new Uint8Array(mac.digest().subarray(0, TAG_BYTES));
}

/** Length of the RTP header with CSRCs and extension: what SRTP leaves in the clear (§3.1). */
function rtpHeaderLength(packet: Uint8Array): number {
  if (packet.length < 12) throw new ProtocolError(ProtocolErrorCode.Truncated, 'SRTP: RTP header');
  let at = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < at + 4) throw new ProtocolError(ProtocolErrorCode.Truncated, 'SRTP: RTP extension');
    at += 4 + readUint16BE(packet, at + 2) * 4;
  }
  if (at > packet.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'SRTP: RTP header');
  return at;
}

/** The sending side of one SRTP stream set: each SSRC keeps its own rollover counter. */
export class SrtpSender {
  private readonly keys: ReturnType<typeof deriveSrtpKeys>;
  private readonly rollover = new Map<number, { roc: number; lastSeq: number }>();
  private srtcpIndex = 0;

  constructor(masterKey: Uint8Array, masterSalt: Uint8Array) {
    this.keys = deriveSrtpKeys(masterKey, masterSalt);
  }

  /** One RTP packet protected; retransmitting a packet (same sequence number) gives the same bytes. */
  protectRtp(packet: Uint8Array): Uint8Array {
    const header = rtpHeaderLength(packet);
    const seq = readUint16BE(packet, 2);
    const ssrc = readUint32BE(packet, 8);
    const roc = this.rocFor(ssrc, seq);
    const index = roc * 65536 + seq;
    const body = keystreamXor(this.keys.rtp.key, counterIv(this.keys.rtp.salt, ssrc, index), packet.subarray(header));
    const out = new Uint8Array(header + body.length + TAG_BYTES);
    out.set(packet.subarray(0, header));
    out.set(body, header);
    const rocBytes = Uint8Array.of(roc >>> 24, (roc >>> 16) & 0xff, (roc >>> 8) & 0xff, roc & 0xff);
    out.set(tag(this.keys.rtp.auth, out.subarray(0, header + body.length), rocBytes), header + body.length);
    return out;
  }

  /** One RTCP compound packet protected, encrypted (E flag set) with the next SRTCP index. */
  protectRtcp(packet: Uint8Array): Uint8Array {
    if (packet.length < RTCP_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'SRTCP: RTCP header');
    const ssrc = readUint32BE(packet, 4);
    const index = this.srtcpIndex;
    this.srtcpIndex = (this.srtcpIndex + 1) & 0x7fffffff;
    const body = keystreamXor(this.keys.rtcp.key, counterIv(this.keys.rtcp.salt, ssrc, index), packet.subarray(RTCP_HEADER_BYTES));
    const trailer = Uint8Array.of(0x80 | (index >>> 24), (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff);
    const signed = concatBytes([packet.subarray(0, RTCP_HEADER_BYTES), body, trailer]);
    return concatBytes([signed, tag(this.keys.rtcp.auth, signed)]);
  }

  /** §3.3.1 on the sending side: the counter steps when the sequence number wraps (packets go out in order). */
  private rocFor(ssrc: number, seq: number): number {
    let state = this.rollover.get(ssrc);
    if (!state) {
      state = { roc: 0, lastSeq: seq };
      this.rollover.set(ssrc, state);
      return 0;
    }
    // a resend of an older packet keeps the counter it was sent under
    if (seq < state.lastSeq && state.lastSeq - seq > 0x8000) {
      state.roc = (state.roc + 1) >>> 0;
      state.lastSeq = seq;
    } else if (seq > state.lastSeq && seq - state.lastSeq > 0x8000) {
      return (state.roc - 1) >>> 0;
    } else if (seq > state.lastSeq) {
      state.lastSeq = seq;
    }
    return state.roc;
  }
}

/** The receiving side for SRTCP (what a WebRTC player sends back: receiver reports, NACK, PLI). */
export class SrtcpReceiver {
  private readonly keys: SrtpSessionKeys;

  constructor(masterKey: Uint8Array, masterSalt: Uint8Array) {
    this.keys = deriveSrtpKeys(masterKey, masterSalt).rtcp;
  }

  /** The plain compound packet; a packet that does not authenticate is a ProtocolError. Replays are not tracked. */
  unprotect(packet: Uint8Array): Uint8Array {
    if (packet.length < RTCP_HEADER_BYTES + SRTCP_INDEX_BYTES + TAG_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'SRTCP: packet');
    const signedEnd = packet.length - TAG_BYTES;
    const expected = tag(this.keys.auth, packet.subarray(0, signedEnd));
    let diff = 0;
    for (let i = 0; i < TAG_BYTES; i++) diff |= expected[i]! ^ packet[signedEnd + i]!;
    if (diff !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'SRTCP: packet does not authenticate');
    const trailerAt = signedEnd - SRTCP_INDEX_BYTES;
    const encrypted = (packet[trailerAt]! & 0x80) !== 0;
    const index = readUint32BE(packet, trailerAt) & 0x7fffffff;
    const head = packet.subarray(0, RTCP_HEADER_BYTES);
    const body = packet.subarray(RTCP_HEADER_BYTES, trailerAt);
    if (!encrypted) return concatBytes([head, body]);
    const ssrc = readUint32BE(packet, 4);
    return concatBytes([head, keystreamXor(this.keys.key, counterIv(this.keys.salt, ssrc, index), body)]);
  }
}

/** The receiving side for SRTP (what a WHIP publisher sends): tag check, then decryption under the guessed index. */
export class SrtpReceiver {
  private readonly keys: SrtpSessionKeys;
  /** per SSRC: rollover counter and highest sequence number authenticated so far (s_l) */
  private readonly state = new Map<number, { roc: number; highest: number }>();

  constructor(masterKey: Uint8Array, masterSalt: Uint8Array) {
    this.keys = deriveSrtpKeys(masterKey, masterSalt).rtp;
  }

  /** The plain RTP packet; a packet that does not authenticate is a ProtocolError. Replays are not tracked. */
  unprotectRtp(packet: Uint8Array): Uint8Array {
    if (packet.length < 12 + TAG_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'SRTP: packet');
    const signedEnd = packet.length - TAG_BYTES;
    const header = rtpHeaderLength(packet.subarray(0, signedEnd));
    const seq = readUint16BE(packet, 2);
    const ssrc = readUint32BE(packet, 8);
    const known = this.state.get(ssrc);
    const roc = known ? guessRoc(known.roc, known.highest, seq) : 0;
    const rocBytes = Uint8Array.of(roc >>> 24, (roc >>> 16) & 0xff, (roc >>> 8) & 0xff, roc & 0xff);
    const expected = tag(this.keys.auth, packet.subarray(0, signedEnd), rocBytes);
    let diff = 0;
    for (let i = 0; i < TAG_BYTES; i++) diff |= expected[i]! ^ packet[signedEnd + i]!;
    if (diff !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'SRTP: packet does not authenticate');
    if (!known) this.state.set(ssrc, { roc, highest: seq });
    else if (roc === ((known.roc + 1) >>> 0)) this.state.set(ssrc, { roc, highest: seq });
    else if (roc === known.roc && seq > known.highest) known.highest = seq;
    const body = keystreamXor(this.keys.key, counterIv(this.keys.salt, ssrc, roc * 65536 + seq), packet.subarray(header, signedEnd));
    return concatBytes([packet.subarray(0, header), body]);
  }
}

/** RFC 3711 §3.3.1 / Appendix A: the index a received sequence number most likely belongs to. */
function guessRoc(roc: number, highest: number, seq: number): number {
  if (highest < 0x8000) return seq - highest > 0x8000 ? (roc - 1) >>> 0 : roc;
  return highest - 0x8000 > seq ? (roc + 1) >>> 0 : roc;
}
