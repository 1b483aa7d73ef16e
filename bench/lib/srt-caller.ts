// A light SRT caller for the SRT benchmark: src/srt's pure caller handshake and connection on one
// Bun UDP socket, the clock read here. Publishers write 1316-byte payloads; viewers get what the
// connection delivers (after TSBPD) through onPayload. A group polls all its callers from one timer
// (ACKs, NAKs, keepalives, TSBPD delivery), so a thousand viewers cost one interval, not a thousand.
import { randomBytes } from 'node:crypto';
import type { udp } from 'bun';
import { SrtCallerHandshake } from '../../src/srt/handshake-caller.ts';
import { SrtConnection, type CloseReason } from '../../src/srt/connection.ts';
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';

const t0 = performance.now();
export const nowUs = (): number => Math.round((performance.now() - t0) * 1000);
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
let nextSocketId = 0x1000 + Math.floor(Math.random() * 0x100000);

export type CallerOptions = {
  port: number;
  host?: string;
  streamId: string;
  latencyMs: number;
  /** delivered payloads (viewers); called with performance.now() of the poll that delivered them */
  onPayload?: (payload: Uint8Array, nowMs: number) => void;
};

export class SrtCaller {
  connection: SrtConnection | undefined;
  rejected: number | undefined;
  closed: CloseReason | undefined;
  error: string | undefined;
  deliveredBytes = 0;
  datagramsIn = 0;
  private socket: udp.ConnectedSocket<'arraybuffer'> | undefined;
  private readonly handshake: SrtCallerHandshake;
  private readonly host: string;

  constructor(private readonly o: CallerOptions) {
    this.host = o.host ?? '127.0.0.1';
    this.handshake = new SrtCallerHandshake({
      socketId: nextSocketId++ & 0x7fffffff,
      initialSeq: Math.floor(Math.random() * 0x3fffffff),
      latencyMs: o.latencyMs,
      peerAddress: this.host,
      streamId: o.streamId,
      randomBytes: rnd,
    });
  }

  get connected(): boolean {
    return this.connection !== undefined && this.closed === undefined;
  }

  /** resolves once connected; rejects on a rejection, an error or after timeoutMs */
  async connect(timeoutMs = 10_000): Promise<void> {
    // A connected socket: send() then takes no address to parse per packet. Datagrams arrive as
    // ArrayBuffers: the pure decoder reads `.buffer` of what it is given, which is costly to
    // materialize on the Uint8Arrays Bun hands out (a profile of 150 viewers: 11% of the client).
    this.socket = await Bun.udpSocket({
      hostname: this.host,
      port: 0,
      binaryType: 'arraybuffer',
      connect: { hostname: this.host, port: this.o.port },
      socket: {
        data: (_s, data) => this.onDatagram(new Uint8Array(data)),
        // ICMP port unreachable once the peer is gone: the connection times out on its own
        error: () => {},
      },
    });
    this.send(this.handshake.start(nowUs()));
    const deadline = performance.now() + timeoutMs;
    while (!this.connection) {
      if (this.rejected !== undefined) throw new Error(`SRT handshake rejected (${this.rejected}) for ${this.o.streamId}`);
      if (performance.now() > deadline) throw new Error(`SRT handshake timed out (${this.handshake.phase}) for ${this.o.streamId}`);
      await Bun.sleep(5);
      if (!this.connection) this.send(this.handshake.poll(nowUs()));
    }
  }

  write(payload: Uint8Array): void {
    const c = this.connection;
    if (!c || this.closed) return;
    const now = nowUs();
    c.write(payload, now);
  }

  /** ACKs, retransmissions, keepalives and TSBPD delivery that are due */
  poll(): void {
    const c = this.connection;
    if (!c || this.closed) return;
    const out = c.poll(nowUs());
    this.send(out.send);
    if (out.deliver.length) this.deliver(out.deliver);
    if (out.closed) this.closed = out.closed;
  }

  close(): void {
    if (this.connection && !this.closed) this.send(this.connection.close(nowUs()));
    this.closed ??= 'local';
    this.socket?.close();
    this.socket = undefined;
  }

  private deliver(payloads: Uint8Array[]): void {
    const now = performance.now();
    for (const p of payloads) {
      this.deliveredBytes += p.length;
      this.o.onPayload?.(p, now);
    }
  }

  private onDatagram(data: Uint8Array): void {
    this.datagramsIn++;
    let p: SrtPacket;
    try {
      p = decodePacket(data);
    } catch (err) {
      this.error = String(err);
      return;
    }
    const now = nowUs();
    if (!this.connection) {
      const r = this.handshake.receive(p, now);
      this.send(r.send);
      if (r.rejected !== undefined) this.rejected = r.rejected;
      if (r.done) this.connection = new SrtConnection({ negotiated: r.done, randomBytes: rnd }, now);
      return;
    }
    const out = this.connection.receive(p, now);
    this.send(out.send);
    if (out.deliver.length) this.deliver(out.deliver);
    if (out.closed) this.closed = out.closed;
  }

  private send(packets: readonly SrtPacket[]): void {
    const s = this.socket;
    if (!s) return;
    for (const p of packets) s.send(encodePacket(p));
  }
}

/** polls every caller of the group every intervalMs */
export class CallerGroup {
  readonly callers = new Set<SrtCaller>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => {
      for (const c of this.callers) c.poll();
    }, intervalMs);
  }

  closeAll(): void {
    clearInterval(this.timer);
    for (const c of this.callers) c.close();
    this.callers.clear();
  }
}
