// HSv5 listener side (draft-sharabayko-srt-01 §4.3.1): answers inductions statelessly with a
// SYN cookie, checks the cookie of a conclusion, and hands the server a conclusion request to
// admit (accept) or refuse (reject) — the protocol says what was asked, the server decides.
import { HandshakeType, HsExtFlag, MIN_PEER_SRT_VERSION, OUR_SRT_VERSION, RejectReason, SRT_MAGIC_CODE, KmState } from './constants.ts';
import { findExtension, ourSrtFlags, rejectionPacket, type HsReqExtension, type SrtNegotiated } from './handshake-common.ts';
import { checkPassphrase } from './key-derivation.ts';
import { openKeys, type SrtKeys } from './key-material.ts';
import type { HandshakeCif, HandshakeExtension, SrtControlPacket, SrtPacket } from './packet-types.ts';
import { isValidSynCookie, synCookie } from './syn-cookie.ts';
import { isProtocolError } from '../shared/protocol-error.ts';

export type ListenerOptions = {
  /** Secret behind SYN cookies; random per process is fine. */
  cookieSecret: Uint8Array;
  /** Our receive latency (default 120). */
  latencyMs?: number;
  /** Latency we ask the caller to apply to what we send (default = latencyMs). */
  peerLatencyMs?: number;
  mtu?: number;
  flowWindow?: number;
};

export type PeerAddress = { address: string; port: number };

/** A caller's valid conclusion, waiting for the server's admission decision. */
export type ConclusionRequest = Readonly<{
  peer: PeerAddress;
  callerSocketId: number;
  streamId: string;
  encrypted: boolean;
  handshake: HandshakeCif;
  hsreq: HsReqExtension;
  peerTimestampUs: number;
  receivedAtUs: number;
}>;

export type ListenerResult = { send: SrtPacket[]; request?: ConclusionRequest };
export type AcceptResult = { send: SrtPacket[]; done?: SrtNegotiated; rejected?: number };

export class SrtListenerHandshake {
  private readonly latencyMs: number;
  private readonly peerLatencyMs: number;

  constructor(private readonly opts: ListenerOptions) {
    this.latencyMs = opts.latencyMs ?? 120;
    this.peerLatencyMs = opts.peerLatencyMs ?? this.latencyMs;
  }

  /** Handles a handshake sent to the listening port (destination socket id 0). Other packets are ignored. */
  receive(packet: SrtPacket, peer: PeerAddress, nowUs: number): ListenerResult {
    if (packet.type !== 'handshake') return { send: [] };
    const hs = packet.handshake;
    if (hs.handshakeType === HandshakeType.Induction) return { send: [this.inductionResponse(hs, peer, nowUs)] };
    if (hs.handshakeType !== HandshakeType.Conclusion) return { send: [] };
    // A wrong cookie is dropped without an answer: a spoofed source learns nothing and costs nothing.
    if (!isValidSynCookie(this.opts.cookieSecret, peer.address, peer.port, nowUs, hs.synCookie)) return { send: [] };
    const hsreq = findExtension(hs, 'hsreq');
    if (hs.version !== 5 || !hsreq || hsreq.srtVersion < MIN_PEER_SRT_VERSION) return { send: [rejectionPacket(hs, RejectReason.Version, hs.socketId, 0)] };
    return {
      send: [],
      request: {
        peer,
        callerSocketId: hs.socketId,
        streamId: findExtension(hs, 'sid')?.streamId ?? '',
        encrypted: findExtension(hs, 'kmreq') !== undefined,
        handshake: hs,
        hsreq,
        peerTimestampUs: packet.timestampUs,
        receivedAtUs: nowUs,
      },
    };
  }

  /**
   * Admits a conclusion request: opens its key material with the passphrase (if any) and
   * answers with HSRSP/KMRSP. A key mismatch (missing, unexpected or wrong passphrase)
   * rejects instead, as libsrt does with enforced encryption.
   */
  accept(req: ConclusionRequest, params: { socketId: number; nowUs: number; passphrase?: string }): AcceptResult {
    if (params.passphrase !== undefined) checkPassphrase(params.passphrase);
    const hs = req.handshake;
    const kmreq = findExtension(hs, 'kmreq');
    let keys: SrtKeys | undefined;
    if (kmreq && params.passphrase === undefined) return this.refuse(req, RejectReason.Unsecure, KmState.NoSecret);
    if (!kmreq && params.passphrase !== undefined) return this.refuse(req, RejectReason.Unsecure);
    if (kmreq && params.passphrase !== undefined) {
      try {
        keys = openKeys(params.passphrase, kmreq.body);
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        return this.refuse(req, RejectReason.BadSecret, KmState.BadSecret);
      }
    }
    const recvLatencyMs = Math.max(this.latencyMs, req.hsreq.sendLatencyMs);
    const sendLatencyMs = Math.max(this.peerLatencyMs, req.hsreq.recvLatencyMs);
    const mtu = Math.min(hs.mtu, this.opts.mtu ?? 1500);
    const extensions: HandshakeExtension[] = [{ type: 'hsrsp', srtVersion: OUR_SRT_VERSION, flags: ourSrtFlags(keys !== undefined), recvLatencyMs, sendLatencyMs }];
    if (kmreq) extensions.push({ type: 'kmrsp', body: kmreq.body });
    const response: SrtControlPacket = {
      type: 'handshake',
      timestampUs: 0,
      destSocketId: req.callerSocketId,
      handshake: {
        ...hs,
        version: 5,
        encryptionField: keys ? hs.encryptionField : 0,
        extensionField: HsExtFlag.HsReq | (keys ? HsExtFlag.KmReq : 0),
        mtu,
        flowWindow: this.opts.flowWindow ?? 8192,
        handshakeType: HandshakeType.Conclusion,
        socketId: params.socketId,
        peerIp: req.peer.address,
        extensions,
      },
    };
    const done: SrtNegotiated = {
      localSocketId: params.socketId,
      peerSocketId: req.callerSocketId,
      initialSeq: hs.initialSeq,
      mtu,
      peerFlowWindow: hs.flowWindow,
      peerSrtVersion: req.hsreq.srtVersion,
      peerFlags: req.hsreq.flags,
      recvLatencyMs,
      sendLatencyMs,
      streamId: req.streamId,
      localStartUs: params.nowUs,
      peerTimeBaseUs: req.receivedAtUs - req.peerTimestampUs,
      peerAddress: req.peer.address,
    };
    if (keys) done.keys = keys;
    return { send: [response], done };
  }

  /** Refuses a request with a rejection code (RejectReason, or 1000 + HTTP-like / 2000+ application codes minus 1000). */
  reject(req: ConclusionRequest, reasonCode: number): SrtPacket[] {
    return [rejectionPacket(req.handshake, reasonCode, req.callerSocketId, 0)];
  }

  private refuse(req: ConclusionRequest, reason: number, kmState?: number): AcceptResult {
    const packet = rejectionPacket(req.handshake, reason, req.callerSocketId, 0);
    if (kmState !== undefined && packet.type === 'handshake') {
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(0, kmState);
      packet.handshake.extensions = [{ type: 'kmrsp', body }];
    }
    return { send: [packet], rejected: reason };
  }

  private inductionResponse(hs: HandshakeCif, peer: PeerAddress, nowUs: number): SrtPacket {
    return {
      type: 'handshake',
      timestampUs: 0,
      destSocketId: hs.socketId,
      handshake: {
        ...hs,
        version: 5,
        encryptionField: 0,
        extensionField: SRT_MAGIC_CODE,
        mtu: Math.min(hs.mtu, this.opts.mtu ?? 1500),
        flowWindow: this.opts.flowWindow ?? 8192,
        synCookie: synCookie(this.opts.cookieSecret, peer.address, peer.port, nowUs),
        peerIp: peer.address,
        extensions: [],
      },
    };
  }
}
