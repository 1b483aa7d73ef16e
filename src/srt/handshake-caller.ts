// HSv5 caller side (draft-sharabayko-srt-01 §4.3.1): induction (version 4, UDT_DGRAM) to get
// the listener's SYN cookie, then conclusion with HSREQ, KMREQ and SID until the listener's
// conclusion with HSRSP (and KMRSP) arrives, or a rejection.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { HandshakeType, HsExtFlag, KmState, MIN_PEER_SRT_VERSION, OUR_SRT_VERSION, REJECTION_BASE, RejectReason, SRT_MAGIC_CODE, UDT_DGRAM } from './constants.ts';
import { encryptionFieldFor, findExtension, HANDSHAKE_RESEND_US, isRejection, ourSrtFlags, type SrtNegotiated } from './handshake-common.ts';
import { checkPassphrase } from './key-derivation.ts';
import { sealKeys, type SrtKeys } from './key-material.ts';
import type { HandshakeCif, HandshakeExtension, SrtPacket } from './packet-types.ts';

export type CallerOptions = {
  socketId: number;
  initialSeq: number;
  /** Our receive latency (default 120). */
  latencyMs?: number;
  /** The latency we ask the peer to apply to what we send (default = latencyMs). */
  peerLatencyMs?: number;
  streamId?: string;
  passphrase?: string;
  keyLengthBytes?: 16 | 24 | 32;
  mtu?: number;
  flowWindow?: number;
  /** The listener's address, written in the handshake's peer IP field. */
  peerAddress: string;
  randomBytes: (n: number) => Uint8Array;
};

export type CallerResult = { send: SrtPacket[]; done?: SrtNegotiated; rejected?: number };

export class SrtCallerHandshake {
  private state: 'idle' | 'induction' | 'conclusion' | 'done' | 'rejected' = 'idle';
  private localStartUs = 0;
  private lastSent: SrtPacket | undefined;
  private lastSentUs = 0;
  private keys: SrtKeys | undefined;
  private readonly latencyMs: number;
  private readonly peerLatencyMs: number;

  constructor(private readonly opts: CallerOptions) {
    this.latencyMs = opts.latencyMs ?? 120;
    this.peerLatencyMs = opts.peerLatencyMs ?? this.latencyMs;
    if (opts.passphrase !== undefined) checkPassphrase(opts.passphrase);
  }

  get phase(): string {
    return this.state;
  }

  start(nowUs: number): SrtPacket[] {
    this.localStartUs = nowUs;
    this.state = 'induction';
    return this.sendNow(this.packet({ ...this.baseCif(), version: 4, extensionField: UDT_DGRAM, handshakeType: HandshakeType.Induction, synCookie: 0 }), nowUs);
  }

  /** Resends the last handshake when the peer has been silent for 250 ms. */
  poll(nowUs: number): SrtPacket[] {
    if ((this.state !== 'induction' && this.state !== 'conclusion') || !this.lastSent) return [];
    if (nowUs - this.lastSentUs < HANDSHAKE_RESEND_US) return [];
    return this.sendNow({ ...this.lastSent, timestampUs: this.ts(nowUs) }, nowUs);
  }

  receive(packet: SrtPacket, nowUs: number): CallerResult {
    if (packet.type !== 'handshake') return { send: [] };
    const hs = packet.handshake;
    if (isRejection(hs.handshakeType)) {
      if (this.state === 'done') return { send: [] };
      this.state = 'rejected';
      return { send: [], rejected: hs.handshakeType - REJECTION_BASE };
    }
    if (this.state === 'induction' && hs.handshakeType === HandshakeType.Induction) {
      if (hs.version !== 5 || hs.extensionField !== SRT_MAGIC_CODE) return this.fail(RejectReason.Version);
      this.state = 'conclusion';
      return { send: this.sendNow(this.conclusion(hs.synCookie, nowUs), nowUs) };
    }
    if (this.state === 'conclusion' && hs.handshakeType === HandshakeType.Conclusion) return this.concluded(hs, packet.timestampUs, nowUs);
    return { send: [] };
  }

  private concluded(hs: HandshakeCif, peerTimestampUs: number, nowUs: number): CallerResult {
    const hsrsp = findExtension(hs, 'hsrsp');
    if (hs.version !== 5 || !hsrsp || hsrsp.srtVersion < MIN_PEER_SRT_VERSION) return this.fail(RejectReason.Version);
    if (this.keys) {
      const kmrsp = findExtension(hs, 'kmrsp');
      if (!kmrsp) return this.fail(RejectReason.Unsecure);
      if (kmrsp.body.length === 4) {
        const state = new DataView(kmrsp.body.buffer, kmrsp.body.byteOffset, 4).getUint32(0);
        return this.fail(state === KmState.BadSecret ? RejectReason.BadSecret : RejectReason.Unsecure);
      }
    }
    this.state = 'done';
    const done: SrtNegotiated = {
      localSocketId: this.opts.socketId,
      peerSocketId: hs.socketId,
      initialSeq: this.opts.initialSeq,
      mtu: Math.min(hs.mtu, this.opts.mtu ?? 1500),
      peerFlowWindow: hs.flowWindow,
      peerSrtVersion: hsrsp.srtVersion,
      peerFlags: hsrsp.flags,
      recvLatencyMs: Math.max(this.latencyMs, hsrsp.sendLatencyMs),
      sendLatencyMs: Math.max(this.peerLatencyMs, hsrsp.recvLatencyMs),
      streamId: this.opts.streamId ?? '',
      localStartUs: this.localStartUs,
      peerTimeBaseUs: nowUs - peerTimestampUs,
      peerAddress: this.opts.peerAddress,
    };
    if (this.keys) done.keys = this.keys;
    return { send: [], done };
  }

  private fail(reason: number): CallerResult {
    this.state = 'rejected';
    return { send: [], rejected: reason };
  }

  private conclusion(cookie: number, nowUs: number): SrtPacket {
    const extensions: HandshakeExtension[] = [
      { type: 'hsreq', srtVersion: OUR_SRT_VERSION, flags: ourSrtFlags(this.opts.passphrase !== undefined), recvLatencyMs: this.latencyMs, sendLatencyMs: this.peerLatencyMs },
    ];
    let extensionField: number = HsExtFlag.HsReq;
    let encryptionField = 0;
    if (this.opts.passphrase !== undefined) {
      const keyLengthBytes = this.opts.keyLengthBytes ?? 16;
      this.keys = { salt: this.opts.randomBytes(16), keyLengthBytes, even: this.opts.randomBytes(keyLengthBytes) };
      extensions.push({ type: 'kmreq', body: sealKeys(this.opts.passphrase, this.keys) });
      extensionField |= HsExtFlag.KmReq;
      encryptionField = encryptionFieldFor(keyLengthBytes);
    }
    if (this.opts.streamId) {
      extensions.push({ type: 'sid', streamId: this.opts.streamId });
      extensionField |= HsExtFlag.Config;
    }
    return { ...this.packet({ ...this.baseCif(), version: 5, encryptionField, extensionField, handshakeType: HandshakeType.Conclusion, synCookie: cookie, extensions }), timestampUs: this.ts(nowUs) };
  }

  private baseCif(): HandshakeCif {
    return {
      version: 5,
      encryptionField: 0,
      extensionField: 0,
      initialSeq: this.opts.initialSeq,
      mtu: this.opts.mtu ?? 1500,
      flowWindow: this.opts.flowWindow ?? 8192,
      handshakeType: HandshakeType.Induction,
      socketId: this.opts.socketId,
      synCookie: 0,
      peerIp: this.opts.peerAddress,
      extensions: [],
    };
  }

  private packet(handshake: HandshakeCif): SrtPacket {
    return { type: 'handshake', timestampUs: 0, destSocketId: 0, handshake };
  }

  private ts(nowUs: number): number {
    return (nowUs - this.localStartUs) >>> 0;
  }

  private sendNow(p: SrtPacket, nowUs: number): SrtPacket[] {
    if (this.state === 'rejected') throw new ProtocolError(ProtocolErrorCode.BadState, 'srt: handshake already rejected');
    this.lastSent = p;
    this.lastSentUs = nowUs;
    return [p];
  }
}
