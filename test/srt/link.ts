// A scripted, deterministic link between our SrtSender and SrtReceiver for ARQ/TSBPD tests:
// every packet goes through the real codec, with a fixed one-way delay and a drop rule.
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';
import { SrtReceiver, type DeliveredPacket, type ReceiverOptions } from '../../src/srt/receiver.ts';
import { SrtSender, type SenderOptions } from '../../src/srt/sender.ts';
import { prng } from './helpers.ts';

type InFlight = { atUs: number; bytes: Uint8Array; toReceiver: boolean };

export type LinkOptions = {
  initialSeq: number;
  latencyUs?: number;
  oneWayDelayUs?: number;
  /** Where the test clock starts (µs). */
  startUs?: number;
  /** Age of the sender's timestamp clock at startUs: near 2^32 makes its timestamps wrap. */
  tsOffsetUs?: number;
  /** Return true to lose this data packet (n counts transmissions of that sequence number). */
  dropData?: (seq: number, transmission: number) => boolean;
  /** Seeded random loss of every packet, both ways (0..1), and extra uniform delay that reorders. */
  randomLoss?: number;
  jitterUs?: number;
  seed?: number;
  /** The sender's clock runs this many parts per million fast (negative: slow). */
  senderClockPpm?: number;
  sender?: Partial<SenderOptions>;
  receiver?: Partial<ReceiverOptions>;
};

export function makeLink(opts: LinkOptions) {
  const delay = opts.oneWayDelayUs ?? 5_000;
  const start = opts.startUs ?? 0;
  const latencyUs = opts.latencyUs ?? 120_000;
  const origin = start - (opts.tsOffsetUs ?? 0);
  const sender = new SrtSender({ initialSeq: opts.initialSeq, peerSocketId: 2, localStartUs: origin, peerLatencyUs: latencyUs, peerFlowWindow: 8192, ...opts.sender });
  // The receiver's time base puts the sender's timestamp 0 at its origin plus the path delay, as a handshake would.
  const receiver = new SrtReceiver({ initialSeq: opts.initialSeq, latencyUs, peerTimeBaseUs: origin + delay, localStartUs: start, peerSocketId: 1, ...opts.receiver });
  const flight: InFlight[] = [];
  const transmissions = new Map<number, number>();
  const delivered: (DeliveredPacket & { atUs: number })[] = [];
  const controlSeen: SrtPacket[] = [];
  const random = prng(opts.seed ?? 1);

  const senderNow = (now: number) => start + Math.round((now - start) * (1 + (opts.senderClockPpm ?? 0) / 1e6));

  function send(p: SrtPacket, nowUs: number, toReceiver: boolean): void {
    if (p.type === 'data') {
      const n = (transmissions.get(p.seq) ?? 0) + 1;
      transmissions.set(p.seq, n);
      if (opts.dropData?.(p.seq, n)) return;
    }
    if (opts.randomLoss && random() < opts.randomLoss) return;
    const jitter = opts.jitterUs ? Math.floor(random() * opts.jitterUs) : 0;
    flight.push({ atUs: nowUs + delay + jitter, bytes: encodePacket(p), toReceiver });
  }

  /** Advances to nowUs: lands due packets, then polls both ends. */
  function step(nowUs: number): void {
    flight.sort((a, b) => a.atUs - b.atUs);
    while (flight.length > 0 && (flight[0] as InFlight).atUs <= nowUs) {
      const f = flight.shift() as InFlight;
      const p = decodePacket(f.bytes);
      if (f.toReceiver) {
        if (p.type === 'data') for (const c of receiver.receiveData(p, f.atUs)) send(c, f.atUs, false);
        else if (p.type === 'ackack') receiver.receiveAckAck(p.ackNumber, f.atUs, p.timestampUs);
        else if (p.type === 'dropreq') receiver.receiveDropRequest(p.firstSeq, p.lastSeq);
        controlSeen.push(p);
      } else {
        controlSeen.push(p);
        if (p.type === 'ack') for (const c of sender.receiveAck(p.ackNumber, p.variant, p.ack, senderNow(f.atUs))) send(c, f.atUs, true);
        else if (p.type === 'nak') sender.receiveNak(p.losses);
      }
    }
    for (const p of sender.poll(senderNow(nowUs))) send(p, nowUs, true);
    const r = receiver.poll(nowUs);
    for (const p of r.send) send(p, nowUs, false);
    for (const d of r.deliver) delivered.push({ ...d, atUs: nowUs });
  }

  /** Pushes on the sender's own clock. */
  const push = (data: Uint8Array, nowUs: number) => sender.push(data, senderNow(nowUs));
  return { sender, receiver, step, push, delivered, controlSeen, transmissions, start };
}

export function payload(index: number): Uint8Array {
  const p = new Uint8Array(188).fill(0x47);
  new DataView(p.buffer).setUint32(4, index);
  return p;
}

export function indexOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset).getUint32(4);
}
