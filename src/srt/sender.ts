// Live-mode sender (draft-sharabayko-srt-01 §4.6 too-late drop on the sender side, §4.8.1
// ACK/ACKACK, §4.8.2 retransmission on NAK, §3.2.4 available buffer as flow window): a bounded send buffer of packets not yet
// acknowledged, driven by push/poll/receive calls that carry nowUs.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { DataKeyFlag, ExtType, PacketPosition } from './constants.ts';
import { LossSet } from './loss-set.ts';
import type { AckCif, LossRange, SrtControlBody, SrtControlPacket, SrtDataPacket, SrtPacket } from './packet-types.ts';
import { RttEstimator } from './rtt.ts';
import type { EncryptedPayload } from './sender-keys.ts';
import { seqAdd, seqDiff, seqInc } from './seq.ts';

export type PayloadEncryptor = { encrypt(seq: number, payload: Uint8Array): EncryptedPayload };

export type SenderOptions = {
  initialSeq: number;
  peerSocketId: number;
  /** Local time of our timestamp 0 (SrtNegotiated.localStartUs). */
  localStartUs: number;
  /** Latency the peer applies to what we send (SrtNegotiated.sendLatencyMs in µs). */
  peerLatencyUs: number;
  /** The peer's flow window from the handshake, until its ACKs say how much room it has. */
  peerFlowWindow: number;
  maxBufferPackets?: number;
  maxBufferBytes?: number;
  /** Largest payload (default 1456: 1500 MTU less IP, UDP and SRT headers). */
  maxPayloadBytes?: number;
  /** Age after which an unacknowledged packet is given up (default max(1.25 × latency + 20 ms, 1 s), as libsrt). */
  dropThresholdUs?: number;
  encryptor?: PayloadEncryptor;
};

export type SenderStats = {
  packetsSent: number;
  bytesSent: number;
  packetsRetransmitted: number;
  bytesRetransmitted: number;
  packetsDropped: number;
  packetsAcked: number;
  nakReceived: number;
  lostReported: number;
  rttUs: number;
  rttVarUs: number;
  bufferedPackets: number;
  bufferedBytes: number;
  flowWindow: number;
};

type Entry = { seq: number; messageNumber: number; timestampUs: number; pushUs: number; payload: Uint8Array; keyFlag: DataKeyFlag; sent: boolean };

const MSGNO_SPACE = 0x0400_0000;

export class SrtSender {
  readonly stats: SenderStats;
  private queue: Entry[] = [];
  private head = 0;
  private bufferedBytes = 0;
  private nextSeq: number;
  private nextMessageNumber = 1;
  private ackedSeq: number;
  private flowWindow: number;
  private readonly rexmit = new LossSet();
  private readonly rtt = new RttEstimator();
  private readonly pendingControl: SrtControlPacket[] = [];
  private readonly maxPackets: number;
  private readonly maxBytes: number;
  private readonly dropThresholdUs: number;

  constructor(private readonly opts: SenderOptions) {
    this.nextSeq = opts.initialSeq;
    this.ackedSeq = opts.initialSeq;
    this.flowWindow = opts.peerFlowWindow;
    this.maxPackets = opts.maxBufferPackets ?? 8192;
    this.maxBytes = opts.maxBufferBytes ?? 8192 * 1456;
    this.dropThresholdUs = opts.dropThresholdUs ?? Math.max(1.25 * opts.peerLatencyUs + 20_000, 1_000_000);
    this.stats = {
      packetsSent: 0,
      bytesSent: 0,
      packetsRetransmitted: 0,
      bytesRetransmitted: 0,
      packetsDropped: 0,
      packetsAcked: 0,
      nakReceived: 0,
      lostReported: 0,
      rttUs: this.rtt.rttUs,
      rttVarUs: this.rtt.rttVarUs,
      bufferedPackets: 0,
      bufferedBytes: 0,
      flowWindow: this.flowWindow,
    };
  }

  /** Queues one payload (one MPEG-TS datagram, usually 7 × 188 bytes). Full buffer: the oldest packets go. */
  push(payload: Uint8Array, nowUs: number): void {
    const limit = this.opts.maxPayloadBytes ?? 1456;
    if (payload.length > limit) throw new ProtocolError(ProtocolErrorCode.TooLarge, `srt: payload of ${payload.length} bytes (max ${limit})`);
    while (this.live() > 0 && (this.live() >= this.maxPackets || this.bufferedBytes + payload.length > this.maxBytes)) this.dropHead(1);
    const seq = this.nextSeq;
    this.nextSeq = seqInc(seq);
    let keyFlag: DataKeyFlag = DataKeyFlag.None;
    let body = payload;
    if (this.opts.encryptor) {
      const enc = this.opts.encryptor.encrypt(seq, payload);
      keyFlag = enc.keyFlag;
      body = enc.payload;
      if (enc.announce) this.pendingControl.push(this.control(nowUs, { type: 'user', subtype: ExtType.KmReq, body: enc.announce }));
    }
    const messageNumber = this.nextMessageNumber;
    this.nextMessageNumber = (this.nextMessageNumber % (MSGNO_SPACE - 1)) + 1;
    this.queue.push({ seq, messageNumber, timestampUs: (nowUs - this.opts.localStartUs) >>> 0, pushUs: nowUs, payload: body, keyFlag, sent: false });
    this.bufferedBytes += body.length;
    this.refreshStats();
  }

  /** Packets to put on the wire now: control (key refresh, drop requests), retransmissions, then new data within the flow window. */
  poll(nowUs: number): SrtPacket[] {
    this.dropExpired(nowUs);
    const out: SrtPacket[] = this.pendingControl.splice(0);
    for (let seq = this.rexmit.shift(); seq !== undefined; seq = this.rexmit.shift()) {
      const entry = this.find(seq);
      if (!entry || !entry.sent) continue;
      out.push(this.dataPacket(entry, true));
      this.stats.packetsRetransmitted++;
      this.stats.bytesRetransmitted += entry.payload.length;
    }
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i] as Entry;
      if (entry.sent) continue;
      if (seqDiff(this.ackedSeq, entry.seq) >= this.flowWindow) break;
      entry.sent = true;
      out.push(this.dataPacket(entry, false));
    }
    for (const p of out) {
      if (p.type !== 'data') continue;
      this.stats.packetsSent++;
      this.stats.bytesSent += p.payload.length;
    }
    this.refreshStats();
    return out;
  }

  /** An ACK frees everything before its sequence number; a full ACK is answered with ACKACK. */
  receiveAck(ackNumber: number, variant: 'full' | 'light' | 'small', ack: AckCif, nowUs: number): SrtControlPacket[] {
    if (seqDiff(this.ackedSeq, ack.lastAckSeq) > 0 && seqDiff(ack.lastAckSeq, this.nextSeq) >= 0) {
      while (this.live() > 0 && seqDiff((this.queue[this.head] as Entry).seq, ack.lastAckSeq) > 0) {
        this.stats.packetsAcked++;
        this.removeHead();
      }
      this.ackedSeq = ack.lastAckSeq;
      this.rexmit.removeBefore(ack.lastAckSeq);
    }
    if (ack.availableBufferPackets !== undefined) this.flowWindow = Math.max(1, Math.min(this.opts.peerFlowWindow, ack.availableBufferPackets));
    if (ack.rttUs !== undefined && ack.rttVarUs !== undefined) this.rtt.set(ack.rttUs, ack.rttVarUs);
    this.refreshStats();
    return variant === 'full' ? [this.control(nowUs, { type: 'ackack', ackNumber })] : [];
  }

  /** Marks the reported losses we still hold for retransmission on the next poll. */
  receiveNak(losses: readonly LossRange[]): void {
    this.stats.nakReceived++;
    // Work in offsets from the oldest unacknowledged packet, clamped to what we hold: a hostile
    // range far from our window (where wrap-around comparisons mislead) selects nothing.
    const held = seqDiff(this.ackedSeq, this.nextSeq);
    for (const r of losses) {
      const fromOffset = Math.max(0, seqDiff(this.ackedSeq, r.from));
      const toOffset = Math.min(held - 1, seqDiff(this.ackedSeq, r.to));
      if (toOffset < fromOffset) continue;
      this.stats.lostReported += toOffset - fromOffset + 1;
      this.rexmit.add(seqAdd(this.ackedSeq, fromOffset), seqAdd(this.ackedSeq, toOffset));
    }
  }

  private dropExpired(nowUs: number): void {
    let dropped = 0;
    while (this.live() > dropped && nowUs - (this.queue[this.head + dropped] as Entry).pushUs > this.dropThresholdUs) dropped++;
    if (dropped > 0) this.dropHead(dropped, nowUs);
  }

  /** Gives up the n oldest packets; the receiver is told with a drop request so it stops waiting. */
  private dropHead(n: number, nowUs?: number): void {
    const first = this.queue[this.head] as Entry;
    let last = first;
    for (let i = 0; i < n; i++) {
      last = this.queue[this.head] as Entry;
      this.removeHead();
    }
    this.stats.packetsDropped += n;
    this.ackedSeq = seqInc(last.seq);
    this.rexmit.removeBefore(this.ackedSeq);
    if (first.sent) this.pendingControl.push(this.control(nowUs ?? first.pushUs, { type: 'dropreq', messageNumber: first.messageNumber, firstSeq: first.seq, lastSeq: last.seq }));
  }

  private find(seq: number): Entry | undefined {
    if (this.live() === 0) return undefined;
    const offset = seqDiff((this.queue[this.head] as Entry).seq, seq);
    if (offset < 0 || offset >= this.live()) return undefined;
    return this.queue[this.head + offset];
  }

  private live(): number {
    return this.queue.length - this.head;
  }

  private removeHead(): void {
    const e = this.queue[this.head] as Entry;
    this.bufferedBytes -= e.payload.length;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private dataPacket(e: Entry, retransmitted: boolean): SrtDataPacket {
    return {
      type: 'data',
      seq: e.seq,
      position: PacketPosition.Solo,
      inOrder: false,
      keyFlag: e.keyFlag,
      retransmitted,
      messageNumber: e.messageNumber,
      timestampUs: e.timestampUs,
      destSocketId: this.opts.peerSocketId,
      payload: e.payload,
    };
  }

  private refreshStats(): void {
    this.stats.rttUs = this.rtt.rttUs;
    this.stats.rttVarUs = this.rtt.rttVarUs;
    this.stats.bufferedPackets = this.live();
    this.stats.bufferedBytes = this.bufferedBytes;
    this.stats.flowWindow = this.flowWindow;
  }

  private control(nowUs: number, body: SrtControlBody): SrtControlPacket {
    return { ...body, timestampUs: (nowUs - this.opts.localStartUs) >>> 0, destSocketId: this.opts.peerSocketId } as SrtControlPacket;
  }
}
