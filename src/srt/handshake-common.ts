// Pieces both HSv5 handshake sides share (draft-sharabayko-srt-01 §4.3 caller-listener
// handshake, §3.2.1.1 HSREQ/HSRSP and the TSBPD delays they carry).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { EncryptionField, REJECTION_BASE, SrtFlag } from './constants.ts';
import type { SrtKeys } from './key-material.ts';
import type { HandshakeCif, HandshakeExtension, SrtControlPacket } from './packet-types.ts';

/** What a finished handshake agreed, for the connection that follows. */
export type SrtNegotiated = {
  localSocketId: number;
  peerSocketId: number;
  /** HSv5: the caller's initial sequence number is used in both directions. */
  initialSeq: number;
  mtu: number;
  /** The peer's maximum flow window in packets. */
  peerFlowWindow: number;
  peerSrtVersion: number;
  peerFlags: number;
  /** TSBPD latency of data we receive. */
  recvLatencyMs: number;
  /** TSBPD latency the peer applies to data we send (our sender drops past it). */
  sendLatencyMs: number;
  streamId: string;
  /** Local time of our own timestamp 0 (timestamps we send are nowUs - localStartUs). */
  localStartUs: number;
  /** Local time at which the peer's timestamp read 0: the TSBPD time base. */
  peerTimeBaseUs: number;
  /** Present when the connection is encrypted; both directions use these keys in HSv5. */
  keys?: SrtKeys;
  peerAddress?: string;
};

export type HsReqExtension = Extract<HandshakeExtension, { type: 'hsreq' | 'hsrsp' }>;

/** The flags we ask for: live mode with TSBPD both ways, too-late drop, periodic NAK, R bit. */
export function ourSrtFlags(encrypted: boolean): number {
  return SrtFlag.TsbpdSnd | SrtFlag.TsbpdRcv | SrtFlag.TlPktDrop | SrtFlag.PeriodicNak | SrtFlag.RexmitFlg | (encrypted ? SrtFlag.Crypt : 0);
}

export function encryptionFieldFor(keyLengthBytes: number): number {
  if (keyLengthBytes === 16) return EncryptionField.Aes128;
  if (keyLengthBytes === 24) return EncryptionField.Aes192;
  if (keyLengthBytes === 32) return EncryptionField.Aes256;
  throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: key length ${keyLengthBytes}`);
}

export function keyLengthFor(encryptionField: number): number | undefined {
  if (encryptionField === EncryptionField.Aes128) return 16;
  if (encryptionField === EncryptionField.Aes192) return 24;
  if (encryptionField === EncryptionField.Aes256) return 32;
  return undefined;
}

type ExtensionOf<T extends HandshakeExtension['type']> = HandshakeExtension & { type: T };

export function findExtension<T extends HandshakeExtension['type']>(hs: HandshakeCif, type: T): ExtensionOf<T> | undefined {
  return hs.extensions.find((e): e is ExtensionOf<T> => e.type === type);
}

export function isRejection(handshakeType: number): boolean {
  return handshakeType >= REJECTION_BASE && handshakeType < 0xffff_0000;
}

export function rejectionPacket(hs: HandshakeCif, reasonCode: number, destSocketId: number, timestampUs: number): SrtControlPacket {
  return {
    type: 'handshake',
    timestampUs,
    destSocketId,
    handshake: { ...hs, version: 5, handshakeType: REJECTION_BASE + reasonCode, extensions: [] },
  };
}

/** A retransmit interval for unanswered handshakes, as libsrt (250 ms). */
export const HANDSHAKE_RESEND_US = 250_000;
