// One established SRT connection in live mode (draft-sharabayko-srt-01 §3.2.3 keepalive, §3.2.7
// shutdown, §6.1 key refresh over KMREQ/KMRSP control packets; idle timeout as libsrt), joining receiver,
// sender and keys. Pure: the transport feeds decoded packets and nowUs, and sends what it returns.
import { ExtType, KmState } from './constants.ts';
import type { SrtNegotiated } from './handshake-common.ts';
import { decryptPayload, mergeKeys, openKeys, type SrtKeys } from './key-material.ts';
import type { SrtControlBody, SrtControlPacket, SrtPacket } from './packet-types.ts';
import { SrtReceiver, type ReceiverOptions, type ReceiverStats } from './receiver.ts';
import { SrtSender, type SenderOptions, type SenderStats } from './sender.ts';
import { SrtSenderKeys } from './sender-keys.ts';
import { isProtocolError } from '../shared/protocol-error.ts';

export type ConnectionOptions = {
  negotiated: SrtNegotiated;
  /** Needed when encrypted: opens the peer's key refreshes and seals ours. */
  passphrase?: string;
  randomBytes: (n: number) => Uint8Array;
  /** Sent when we have sent nothing for this long (default 1 s, as libsrt). */
  keepaliveIntervalUs?: number;
  /** The peer is gone after this long without a packet (default 5 s, libsrt's peer idle timeout). */
  idleTimeoutUs?: number;
  /** Listener side: what to answer when the caller repeats its conclusion (our reply was lost). */
  handshakeResponse?: readonly SrtPacket[];
  receiver?: Partial<ReceiverOptions>;
  sender?: Partial<SenderOptions>;
  refreshRatePackets?: number;
  preAnnouncePackets?: number;
};

export type CloseReason = 'shutdown' | 'peer-error' | 'idle-timeout' | 'local';
export type ConnectionOutput = { send: SrtPacket[]; deliver: Uint8Array[]; closed?: CloseReason };
export type ConnectionStats = { receive: ReceiverStats; send: SenderStats; undecryptable: number; keyRefreshesReceived: number };

export class SrtConnection {
  readonly receiver: SrtReceiver;
  readonly sender: SrtSender;
  private rxKeys: SrtKeys | undefined;
  private lastHeardUs: number;
  private lastSentUs: number;
  private closedReason: CloseReason | undefined;
  private undecryptable = 0;
  private keyRefreshesReceived = 0;
  private readonly n: SrtNegotiated;

  constructor(private readonly opts: ConnectionOptions, nowUs: number) {
    this.n = opts.negotiated;
    this.rxKeys = this.n.keys;
    this.lastHeardUs = nowUs;
    this.lastSentUs = nowUs;
    this.receiver = new SrtReceiver({
      initialSeq: this.n.initialSeq,
      latencyUs: this.n.recvLatencyMs * 1000,
      peerTimeBaseUs: this.n.peerTimeBaseUs,
      localStartUs: this.n.localStartUs,
      peerSocketId: this.n.peerSocketId,
      ...opts.receiver,
    });
    const encryptor =
      this.n.keys && opts.passphrase !== undefined
        ? new SrtSenderKeys({ passphrase: opts.passphrase, keys: this.n.keys, randomBytes: opts.randomBytes, refreshRatePackets: opts.refreshRatePackets, preAnnouncePackets: opts.preAnnouncePackets })
        : undefined;
    this.sender = new SrtSender({
      initialSeq: this.n.initialSeq,
      peerSocketId: this.n.peerSocketId,
      localStartUs: this.n.localStartUs,
      peerLatencyUs: this.n.sendLatencyMs * 1000,
      peerFlowWindow: this.n.peerFlowWindow,
      ...(encryptor ? { encryptor } : {}),
      ...opts.sender,
    });
  }

  get closed(): CloseReason | undefined {
    return this.closedReason;
  }

  get stats(): ConnectionStats {
    return { receive: this.receiver.stats, send: this.sender.stats, undecryptable: this.undecryptable, keyRefreshesReceived: this.keyRefreshesReceived };
  }

  /** Handles one packet addressed to our socket id. */
  receive(p: SrtPacket, nowUs: number): ConnectionOutput {
    if (this.closedReason) return { send: [], deliver: [] };
    this.lastHeardUs = nowUs;
    const send: SrtPacket[] = [];
    switch (p.type) {
      case 'data': {
        let payload = p.payload;
        if (p.keyFlag === 0 && this.rxKeys) {
          // Plaintext on an encrypted connection is not the peer's: never hand it on.
          this.undecryptable++;
          break;
        }
        if (p.keyFlag !== 0) {
          if (!this.rxKeys) {
            this.undecryptable++;
            break;
          }
          try {
            payload = decryptPayload(this.rxKeys, p.keyFlag, p.seq, p.payload);
          } catch (err) {
            if (!isProtocolError(err)) throw err;
            this.undecryptable++;
            break;
          }
        }
        send.push(...this.receiver.receiveData({ ...p, payload }, nowUs));
        break;
      }
      case 'ack':
        send.push(...this.sender.receiveAck(p.ackNumber, p.variant, p.ack, nowUs));
        break;
      case 'nak':
        this.sender.receiveNak(p.losses);
        break;
      case 'ackack':
        this.receiver.receiveAckAck(p.ackNumber, nowUs, p.timestampUs);
        break;
      case 'dropreq':
        this.receiver.receiveDropRequest(p.firstSeq, p.lastSeq);
        break;
      case 'shutdown':
        // The stream has ended: hand over what is buffered now rather than drop the last latency's worth.
        this.closedReason = 'shutdown';
        return this.output(send, this.receiver.drain().map((d) => d.payload), nowUs);
      case 'peer-error':
        this.closedReason = 'peer-error';
        break;
      case 'user':
        if (p.subtype === ExtType.KmReq) send.push(this.keyRefresh(p.body, nowUs));
        break;
      case 'handshake':
        send.push(...(this.opts.handshakeResponse ?? []));
        break;
      case 'keepalive':
      case 'congestion-warning':
        break;
    }
    return this.output(send, [], nowUs);
  }

  /** Queues one payload (up to 1456 bytes; 1316 = 7 TS packets is usual). */
  write(payload: Uint8Array, nowUs: number): void {
    if (!this.closedReason) this.sender.push(payload, nowUs);
  }

  poll(nowUs: number): ConnectionOutput {
    if (this.closedReason) return { send: [], deliver: [], closed: this.closedReason };
    if (nowUs - this.lastHeardUs > (this.opts.idleTimeoutUs ?? 5_000_000)) {
      this.closedReason = 'idle-timeout';
      return { send: [], deliver: [], closed: this.closedReason };
    }
    const send: SrtPacket[] = this.sender.poll(nowUs);
    const r = this.receiver.poll(nowUs);
    send.push(...r.send);
    if (send.length === 0 && nowUs - this.lastSentUs >= (this.opts.keepaliveIntervalUs ?? 1_000_000)) send.push(this.control(nowUs, { type: 'keepalive' }));
    return this.output(send, r.deliver.map((d) => d.payload), nowUs);
  }

  /** Our side ends the connection: the shutdown packet to send. */
  close(nowUs: number): SrtPacket[] {
    if (this.closedReason) return [];
    this.closedReason = 'local';
    return [this.control(nowUs, { type: 'shutdown' })];
  }

  /** The earliest time poll() has work, for the transport's timer. */
  nextDueUs(): number {
    return Math.min(this.receiver.nextDueUs(), this.lastSentUs + (this.opts.keepaliveIntervalUs ?? 1_000_000), this.lastHeardUs + (this.opts.idleTimeoutUs ?? 5_000_000) + 1);
  }

  /** The peer's key refresh: open it, answer KMRSP (an echo, or the failure state). */
  private keyRefresh(body: Uint8Array, nowUs: number): SrtControlPacket {
    if (this.opts.passphrase !== undefined) {
      try {
        this.rxKeys = mergeKeys(this.rxKeys, openKeys(this.opts.passphrase, body));
        this.keyRefreshesReceived++;
        return this.control(nowUs, { type: 'user', subtype: ExtType.KmRsp, body });
      } catch (err) {
        if (!isProtocolError(err)) throw err;
      }
    }
    const state = new Uint8Array(4);
    new DataView(state.buffer).setUint32(0, this.opts.passphrase === undefined ? KmState.NoSecret : KmState.BadSecret);
    return this.control(nowUs, { type: 'user', subtype: ExtType.KmRsp, body: state });
  }

  private output(send: SrtPacket[], deliver: Uint8Array[], nowUs: number): ConnectionOutput {
    if (send.length > 0) this.lastSentUs = nowUs;
    return this.closedReason ? { send, deliver, closed: this.closedReason } : { send, deliver };
  }

  private control(nowUs: number, body: SrtControlBody): SrtControlPacket {
    return { ...body, timestampUs: (nowUs - this.n.localStartUs) >>> 0, destSocketId: this.n.peerSocketId } as SrtControlPacket;
  }
}
