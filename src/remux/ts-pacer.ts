// Paces an MPEG-TS byte stream by its PCR (ISO/IEC 13818-1 §2.4.3.5 program_clock_reference) for
// sending over UDP: datagrams of N whole TS packets leave at the media clock instead of in the
// bursts the hub hands them over in (a whole frame, or a GOP at join). The packets between two PCRs
// are spread evenly over the PCR interval (the stream's own mux rate); they are timed only when the
// closing PCR arrives, so the clock runs startDelayUs (more than one PCR interval) behind the input.
// Pure: the caller passes nowUs and sends what poll() returns.
//
// Bounds: at most maxHoldUs of media is ever held ahead of the clock (a GOP burst at join, or a
// publisher that catches up, is sent faster until it is within that), a PCR jump past maxJumpUs
// either way re-anchors the clock (a new publisher, a wrap, a timestamp reset), packets without any
// PCR for noPcrReleaseUs are sent as they are, and maxPackets caps what is queued (oldest dropped).

const TS_PACKET_BYTES = 188;
const SYNC_BYTE = 0x47;
/** 33-bit PCR base at 90 kHz */
const PCR_WRAP = 2 ** 33;
/** how long a due datagram waits for the packets that would fill it before it leaves short */
const SHORT_WAIT_US = 50_000;

export type TsPacerOptions = Readonly<{
  packetsPerDatagram?: number;
  maxHoldUs?: number;
  maxJumpUs?: number;
  noPcrReleaseUs?: number;
  maxPackets?: number;
  /** how far behind the input the clock starts: more than one PCR interval (at most 100 ms, §2.7.2) */
  startDelayUs?: number;
}>;

export type TsPacerStats = { datagrams: number; packetsDropped: number; reanchors: number; bytesSkipped: number };

type Queued = { bytes: Uint8Array; dueUs: number | null };

/** The PCR base (90 kHz) of one TS packet, or null when it carries none. */
export function readPcr90k(packet: Uint8Array): number | null {
  const adaptation = (packet[3]! >> 4) & 0x2;
  if (adaptation === 0 || packet[4]! < 7 || (packet[5]! & 0x10) === 0) return null;
  return packet[6]! * 2 ** 25 + packet[7]! * 2 ** 17 + packet[8]! * 2 ** 9 + packet[9]! * 2 + (packet[10]! >> 7);
}

// Its field list is alike in shape to rtmp/client-session.ts's ClientSession fields: declarations only.
export class TsPacer {
  readonly stats: TsPacerStats = { datagrams: 0, packetsDropped: 0, reanchors: 0, bytesSkipped: 0 };
  private readonly perDatagram: number;
  private readonly maxHoldUs: number;
  private readonly maxJumpUs: number;
  private readonly noPcrReleaseUs: number;
  private readonly maxPackets: number;
  private readonly startDelayUs: number;
  private queue: Queued[] = [];
  /** packets at the end of the queue waiting for the PCR that closes their interval */
  private untimed = 0;
  private untimedSinceUs = 0;
  /** bytes of a packet split across pushes */
  private partial: Uint8Array | null = null;
  /** wall time (µs) of PCR 0 on the current anchor; null until the first PCR */
  private offsetUs: number | null = null;
  private lastPcrUs = 0;
  private lastDueUs = 0;

  constructor(options: TsPacerOptions = {}) {
    this.perDatagram = options.packetsPerDatagram ?? 7;
    this.maxHoldUs = options.maxHoldUs ?? 1_000_000;
    this.maxJumpUs = options.maxJumpUs ?? 2_000_000;
    this.noPcrReleaseUs = options.noPcrReleaseUs ?? 500_000;
    this.maxPackets = options.maxPackets ?? 16_384;
    this.startDelayUs = options.startDelayUs ?? 150_000;
  }

  get queuedPackets(): number {
    return this.queue.length;
  }

  /** Takes TS bytes in any split; bytes that are not on a packet boundary are skipped to the next sync byte. */
  push(bytes: Uint8Array, nowUs: number): void {
    let data = bytes;
    if (this.partial) {
      const joined = new Uint8Array(this.partial.byteLength + bytes.byteLength);
      joined.set(this.partial);
      joined.set(bytes, this.partial.byteLength);
      data = joined;
      this.partial = null;
    }
    let at = 0;
    while (at + TS_PACKET_BYTES <= data.byteLength) {
      if (data[at] !== SYNC_BYTE) {
        at++;
        this.stats.bytesSkipped++;
        continue;
      }
      this.packet(data.subarray(at, at + TS_PACKET_BYTES), nowUs);
      at += TS_PACKET_BYTES;
    }
    if (at < data.byteLength) this.partial = data.slice(at);
    while (this.queue.length > this.maxPackets) {
      const dropped = this.queue.shift()!;
      if (dropped.dueUs === null) this.untimed--;
      this.stats.packetsDropped++;
    }
  }

  /** Datagrams due by nowUs, in order. */
  poll(nowUs: number): Uint8Array[] {
    if (this.untimed > 0 && nowUs - this.untimedSinceUs >= this.noPcrReleaseUs) this.time(nowUs, nowUs);
    const out: Uint8Array[] = [];
    for (;;) {
      const first = this.queue[0];
      if (!first || first.dueUs === null || first.dueUs > nowUs) break;
      const n = this.timedAtFront();
      if (n < this.perDatagram) {
        // packets that would fill it are queued but not timed yet: they will be by the next PCR or noPcrReleaseUs
        if (n < this.queue.length) break;
        // a short datagram only once the packets that would fill it are overdue in coming
        if (nowUs - first.dueUs < SHORT_WAIT_US) break;
      }
      out.push(this.take(n));
    }
    return out;
  }

  /** The earliest time poll() may have something, or Infinity. */
  nextDueUs(): number {
    const first = this.queue[0];
    let due = first?.dueUs ?? Infinity;
    if (first && first.dueUs !== null && this.timedAtFront() < this.perDatagram) due = this.timedAtFront() < this.queue.length ? Infinity : due + SHORT_WAIT_US;
    if (this.untimed > 0) due = Math.min(due, this.untimedSinceUs + this.noPcrReleaseUs);
    return due;
  }

  private timedAtFront(): number {
    let n = 0;
    while (n < this.perDatagram && n < this.queue.length && this.queue[n]!.dueUs !== null) n++;
    return n;
  }

  private take(n: number): Uint8Array {
    const datagram = new Uint8Array(n * TS_PACKET_BYTES);
    for (let i = 0; i < n; i++) datagram.set(this.queue[i]!.bytes, i * TS_PACKET_BYTES);
    this.queue.splice(0, n);
    this.stats.datagrams++;
    return datagram;
  }

  /** Everything still queued, as datagrams, for a clean end. */
  drain(nowUs: number): Uint8Array[] {
    this.time(nowUs, nowUs);
    const out: Uint8Array[] = [];
    while (this.queue.length > 0) out.push(this.take(Math.min(this.perDatagram, this.queue.length)));
    return out;
  }

  private packet(packet: Uint8Array, nowUs: number): void {
    const pcr = readPcr90k(packet);
    this.queue.push({ bytes: packet.slice(), dueUs: null });
    if (this.untimed === 0) this.untimedSinceUs = nowUs;
    this.untimed++;
    if (pcr === null) return;
    const pcrUs = this.unwrap(pcr);
    const gap = pcrUs - this.lastPcrUs;
    const anchored = this.offsetUs !== null;
    if (this.offsetUs === null || gap < 0 || gap > this.maxJumpUs) {
      // first PCR, or a discontinuity: the new timeline starts where the old one left off, or a start
      // delay from now, since the packets after this PCR are timed only when the next one arrives
      if (this.offsetUs !== null) this.stats.reanchors++;
      this.offsetUs = Math.max(nowUs + this.startDelayUs, this.lastDueUs) - pcrUs;
    }
    let dueUs = pcrUs + this.offsetUs;
    if (dueUs > nowUs + this.maxHoldUs) {
      // more media than maxHoldUs ahead of the clock: catch up rather than fall behind for good
      this.offsetUs -= dueUs - (nowUs + this.maxHoldUs);
      dueUs = nowUs + this.maxHoldUs;
    }
    // the interval just closed runs from the last PCR's time to this one's
    this.time(anchored ? Math.min(this.lastDueUs, dueUs) : dueUs, dueUs);
    this.lastPcrUs = pcrUs;
    this.lastDueUs = dueUs;
  }

  /** Spreads the untimed packets at the end of the queue over (startUs, endUs], the last one at endUs. */
  private time(startUs: number, endUs: number): void {
    const n = this.untimed;
    const first = this.queue.length - n;
    for (let i = 0; i < n; i++) this.queue[first + i]!.dueUs = Math.round(startUs + ((endUs - startUs) * (i + 1)) / n);
    this.untimed = 0;
  }

  private unwrap(pcr90k: number): number {
    // PCR is 33 bits at 90 kHz: pick the turn closest to the last one
    const lastTicks = (this.lastPcrUs * 9) / 100;
    const turn = Math.round((lastTicks - pcr90k) / PCR_WRAP);
    return ((pcr90k + turn * PCR_WRAP) * 100) / 9;
  }
}
