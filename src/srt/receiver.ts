// Live-mode receiver (draft-sharabayko-srt-01 §4.5 TSBPD, §4.6 too-late packet drop, §4.7 drift,
// §4.8.1 ACK/ACKACK, §4.8.2 loss detection and NAK, §4.10 RTT): a pure object driven by packets and by
// poll(nowUs); it returns the control packets to send and the payloads due for delivery.
import type { SrtControlBody, SrtControlPacket, SrtDataPacket } from './packet-types.ts';
import { DriftTracer } from './drift-tracer.ts';
import { LossSet } from './loss-set.ts';
import { RateMeter } from './rate-meter.ts';
import { RttEstimator } from './rtt.ts';
import { seqAdd, seqDiff, seqInc } from './seq.ts';
import { TimestampUnwrapper } from './timestamp-unwrap.ts';

export type ReceiverOptions = {
  initialSeq: number;
  /** Negotiated TSBPD latency of what we receive. */
  latencyUs: number;
  /** Local time at which the peer's timestamp read 0 (SrtNegotiated.peerTimeBaseUs). */
  peerTimeBaseUs: number;
  /** Local time of our own timestamp 0, for the timestamps of control packets we send. */
  localStartUs: number;
  peerSocketId: number;
  /** Packets the buffer holds ahead of delivery (our advertised flow window; default 8192). */
  bufferPackets?: number;
  /** Skip missing packets once a later one is due (default true). */
  tooLatePacketDrop?: boolean;
  /** Full ACK period (default 10 ms). */
  ackIntervalUs?: number;
  /** Light ACK after this many packets between full ACKs (default 64). */
  lightAckPackets?: number;
  /** Re-report each loss every max(RTT + 4 RTTVar, minNakIntervalUs) until it arrives (default on, 20 ms). */
  periodicNak?: boolean;
  minNakIntervalUs?: number;
  /** ACKACKs averaged per drift check, and the average offset that moves the time base (default 1000, 5 ms, as libsrt). */
  driftSamples?: number;
  driftThresholdUs?: number;
};

export type DeliveredPacket = { seq: number; messageNumber: number; timestampUs: number; payload: Uint8Array };

export type ReceiverStats = {
  packetsReceived: number;
  bytesReceived: number;
  packetsRetransmitted: number;
  packetsLost: number;
  packetsDropped: number;
  packetsBelated: number;
  packetsDuplicate: number;
  packetsDelivered: number;
  bytesDelivered: number;
  rttUs: number;
  rttVarUs: number;
  lossListSize: number;
  bufferedPackets: number;
  /** Smoothed arrival rate over the ACK periods, payload bytes per second. */
  receiveRateBytesPerSecond: number;
  /** Sum of time-base corrections for sender clock drift. */
  driftCorrectionUs: number;
};

type Slot = { payload: Uint8Array; messageNumber: number; timestampUs: number; extendedTsUs: number } | 'dropped';

/** NAK ranges per packet: keeps a NAK within one MTU (each range is at most 8 bytes). */
const MAX_NAK_RANGES = 180;
const MAX_ACK_HISTORY = 1024;
/** How often the loss list is checked for losses whose last report is older than the NAK period. */
const PERIODIC_NAK_CHECK_US = 10_000;

export class SrtReceiver {
  readonly stats: ReceiverStats;
  private readonly buffer = new Map<number, Slot>();
  private readonly loss = new LossSet();
  private readonly unwrap = new TimestampUnwrapper();
  private readonly rtt = new RttEstimator();
  private readonly ackHistory = new Map<number, { sentUs: number; ackSeq: number }>();
  private readonly capacity: number;
  private readonly ackIntervalUs: number;
  private base: number;
  private maxSeq: number;
  private ackNumber = 0;
  private lastAckUs: number;
  private lastFullAckSeq = -1;
  private lastFullAckSentUs = 0;
  private ackedByPeerSeq = -1;
  private packetsSinceAck = 0;
  private lastNakUs: number;
  private readonly rate = new RateMeter();
  private timeBaseUs: number;
  private readonly drift: DriftTracer;

  constructor(private readonly opts: ReceiverOptions) {
    this.capacity = opts.bufferPackets ?? 8192;
    this.ackIntervalUs = opts.ackIntervalUs ?? 10_000;
    this.base = opts.initialSeq;
    this.timeBaseUs = opts.peerTimeBaseUs;
    this.drift = new DriftTracer(opts.driftSamples, opts.driftThresholdUs);
    this.maxSeq = seqAdd(opts.initialSeq, -1);
    this.lastAckUs = opts.localStartUs;
    this.lastNakUs = opts.localStartUs;
    this.stats = {
      packetsReceived: 0,
      bytesReceived: 0,
      packetsRetransmitted: 0,
      packetsLost: 0,
      packetsDropped: 0,
      packetsBelated: 0,
      packetsDuplicate: 0,
      packetsDelivered: 0,
      bytesDelivered: 0,
      rttUs: this.rtt.rttUs,
      rttVarUs: this.rtt.rttVarUs,
      lossListSize: 0,
      bufferedPackets: 0,
      receiveRateBytesPerSecond: 0,
      driftCorrectionUs: 0,
    };
  }

  /** Local time at which a packet with this (extended) peer timestamp is due. */
  deliveryTimeUs(extendedTimestampUs: number): number {
    return this.timeBaseUs + extendedTimestampUs + this.opts.latencyUs;
  }

  /** Files one data packet (payload already decrypted); returns control packets to send now (immediate NAK, light ACK). */
  receiveData(p: SrtDataPacket, nowUs: number): SrtControlPacket[] {
    this.stats.packetsReceived++;
    this.stats.bytesReceived += p.payload.length;
    this.rate.count(p.payload.length);
    if (p.retransmitted) this.stats.packetsRetransmitted++;
    const extendedTsUs = this.unwrap.extend(p.timestampUs);
    const ahead = seqDiff(this.base, p.seq);
    if (ahead < 0) {
      this.stats.packetsBelated++;
      return [];
    }
    if (ahead >= this.capacity) {
      // Beyond what we advertised: the sender ignored our window. Not filed, so it counts as dropped.
      this.stats.packetsDropped++;
      return [];
    }
    const send: SrtControlPacket[] = [];
    const gap = seqDiff(this.maxSeq, p.seq);
    if (gap > 0) {
      if (gap > 1) {
        const from = seqInc(this.maxSeq);
        const to = seqAdd(p.seq, -1);
        this.loss.add(from, to, nowUs);
        this.stats.packetsLost += gap - 1;
        send.push(this.control(nowUs, { type: 'nak', losses: [{ from, to }] }));
      }
      this.maxSeq = p.seq;
    } else {
      if (this.buffer.has(p.seq)) {
        this.stats.packetsDuplicate++;
        return [];
      }
      this.loss.remove(p.seq);
    }
    this.buffer.set(p.seq, { payload: p.payload, messageNumber: p.messageNumber, timestampUs: p.timestampUs, extendedTsUs });
    if (++this.packetsSinceAck >= (this.opts.lightAckPackets ?? 64)) {
      this.packetsSinceAck = 0;
      send.push(this.control(nowUs, { type: 'ack', ackNumber: 0, variant: 'light', ack: { lastAckSeq: this.ackSeq() } }));
    }
    this.refreshStats();
    return send;
  }

  /**
   * An ACKACK closes an ACK's round trip: one RTT sample. Its timestamp (the peer's clock, as
   * for data) is also one drift sample for the TSBPD time base.
   */
  receiveAckAck(ackNumber: number, nowUs: number, peerTimestampUs?: number): void {
    if (peerTimestampUs !== undefined) {
      const correction = this.drift.sample(nowUs - (this.timeBaseUs + this.unwrap.extend(peerTimestampUs)));
      this.timeBaseUs += correction;
      this.stats.driftCorrectionUs += correction;
    }
    const sent = this.ackHistory.get(ackNumber);
    if (!sent) return;
    this.rtt.update(nowUs - sent.sentUs);
    if (seqDiff(this.ackedByPeerSeq, sent.ackSeq) > 0 || this.ackedByPeerSeq < 0) this.ackedByPeerSeq = sent.ackSeq;
    for (const n of this.ackHistory.keys()) {
      this.ackHistory.delete(n);
      if (n === ackNumber) break;
    }
    this.refreshStats();
  }

  /** The sender gave up on [firstSeq, lastSeq]: stop asking for them and do not wait for them. */
  receiveDropRequest(firstSeq: number, lastSeq: number): void {
    let seq = seqDiff(this.base, firstSeq) > 0 ? firstSeq : this.base;
    for (let n = 0; n < this.capacity && seqDiff(seq, lastSeq) >= 0 && seqDiff(seq, this.maxSeq) >= 0; n++, seq = seqInc(seq)) {
      if (!this.buffer.has(seq)) {
        this.buffer.set(seq, 'dropped');
        this.loss.remove(seq);
      }
    }
  }

  /** Delivers what TSBPD says is due, drops what is too late, and sends periodic ACK and NAK. */
  poll(nowUs: number): { send: SrtControlPacket[]; deliver: DeliveredPacket[] } {
    const deliver = this.deliverDue(nowUs);
    const send: SrtControlPacket[] = [];
    if (nowUs - this.lastAckUs >= this.ackIntervalUs) {
      const elapsedUs = nowUs - this.lastAckUs;
      this.lastAckUs = nowUs;
      this.rate.close(elapsedUs);
      const ack = this.fullAck(nowUs);
      if (ack) send.push(ack);
    }
    if ((this.opts.periodicNak ?? true) && !this.loss.isEmpty && nowUs - this.lastNakUs >= PERIODIC_NAK_CHECK_US) {
      this.lastNakUs = nowUs;
      const due = this.loss.takeDue(nowUs, this.nakIntervalUs(), MAX_NAK_RANGES);
      if (due.length > 0) send.push(this.control(nowUs, { type: 'nak', losses: due }));
    }
    this.refreshStats();
    return { send, deliver };
  }

  /** The stream has ended (peer shutdown): everything still buffered, in order, without waiting for TSBPD or gaps. */
  drain(): DeliveredPacket[] {
    const out: DeliveredPacket[] = [];
    for (let n = 0; this.buffer.size > 0 && n < this.capacity; n++, this.base = seqInc(this.base)) {
      const slot = this.buffer.get(this.base);
      if (slot === undefined) continue;
      this.buffer.delete(this.base);
      if (slot === 'dropped') continue;
      out.push({ seq: this.base, messageNumber: slot.messageNumber, timestampUs: slot.timestampUs, payload: slot.payload });
      this.stats.packetsDelivered++;
      this.stats.bytesDelivered += slot.payload.length;
    }
    this.loss.clear();
    this.refreshStats();
    return out;
  }

  /** The earliest time poll() has something to do, for the transport's timer. */
  nextDueUs(): number {
    let due = this.lastAckUs + this.ackIntervalUs;
    const head = this.buffer.get(this.base);
    if (head && head !== 'dropped') due = Math.min(due, this.deliveryTimeUs(head.extendedTsUs));
    if (!this.loss.isEmpty) due = Math.min(due, this.lastNakUs + PERIODIC_NAK_CHECK_US);
    return due;
  }

  private deliverDue(nowUs: number): DeliveredPacket[] {
    const out: DeliveredPacket[] = [];
    for (;;) {
      const slot = this.buffer.get(this.base);
      if (slot === 'dropped') {
        this.buffer.delete(this.base);
        this.stats.packetsDropped++;
        this.base = seqInc(this.base);
        continue;
      }
      if (slot) {
        if (this.deliveryTimeUs(slot.extendedTsUs) > nowUs) break;
        this.buffer.delete(this.base);
        out.push({ seq: this.base, messageNumber: slot.messageNumber, timestampUs: slot.timestampUs, payload: slot.payload });
        this.stats.packetsDelivered++;
        this.stats.bytesDelivered += slot.payload.length;
        this.base = seqInc(this.base);
        continue;
      }
      // The head is missing. Every missing number up to maxSeq is in the loss list, so the first
      // packet present after it follows the first loss range.
      if (!(this.opts.tooLatePacketDrop ?? true) || seqDiff(this.base, this.maxSeq) <= 0) break;
      const first = this.loss.first();
      const next = first && first.from === this.base ? seqInc(first.to) : undefined;
      const nextSlot = next === undefined ? undefined : this.buffer.get(next);
      if (next === undefined || nextSlot === undefined) break;
      if (nextSlot !== 'dropped' && this.deliveryTimeUs(nextSlot.extendedTsUs) > nowUs) break;
      this.stats.packetsDropped += this.loss.removeBefore(next);
      this.base = next;
    }
    return out;
  }

  private fullAck(nowUs: number): SrtControlPacket | undefined {
    const ackSeq = this.ackSeq();
    const confirmed = ackSeq === this.ackedByPeerSeq;
    const repeatDue = nowUs - this.lastFullAckSentUs >= this.rtt.rttUs + 4 * this.rtt.rttVarUs;
    if (confirmed || (ackSeq === this.lastFullAckSeq && !repeatDue)) return undefined;
    this.ackNumber = (this.ackNumber + 1) >>> 0 || 1;
    this.ackHistory.set(this.ackNumber, { sentUs: nowUs, ackSeq });
    if (this.ackHistory.size > MAX_ACK_HISTORY) {
      const oldest = this.ackHistory.keys().next().value;
      if (oldest !== undefined) this.ackHistory.delete(oldest);
    }
    this.lastFullAckSeq = ackSeq;
    this.lastFullAckSentUs = nowUs;
    this.packetsSinceAck = 0;
    return this.control(nowUs, {
      type: 'ack',
      ackNumber: this.ackNumber,
      variant: 'full',
      ack: {
        lastAckSeq: ackSeq,
        rttUs: Math.round(this.rtt.rttUs),
        rttVarUs: Math.round(this.rtt.rttVarUs),
        availableBufferPackets: Math.max(2, this.capacity - this.buffer.size),
        packetsPerSecond: Math.round(this.rate.packetsPerSecond),
        linkCapacityPps: Math.round(this.rate.peakPacketsPerSecond),
        receiveRateBps: Math.round(this.rate.bytesPerSecond),
      },
    });
  }

  /** The first sequence number not yet received (everything before it arrived or was given up). */
  private ackSeq(): number {
    const first = this.loss.first();
    return first ? first.from : seqInc(this.maxSeq);
  }

  private nakIntervalUs(): number {
    // libsrt's period: a retransmission asked for less than RTT + 4 RTTVar ago may still be on its way.
    return Math.max(this.rtt.rttUs + 4 * this.rtt.rttVarUs, this.opts.minNakIntervalUs ?? 20_000);
  }

  private refreshStats(): void {
    this.stats.rttUs = this.rtt.rttUs;
    this.stats.rttVarUs = this.rtt.rttVarUs;
    this.stats.lossListSize = this.loss.size;
    this.stats.bufferedPackets = this.buffer.size;
    this.stats.receiveRateBytesPerSecond = Math.round(this.rate.bytesPerSecond);
  }

  private control(nowUs: number, body: SrtControlBody): SrtControlPacket {
    return { ...body, timestampUs: (nowUs - this.opts.localStartUs) >>> 0, destSocketId: this.opts.peerSocketId } as SrtControlPacket;
  }
}
