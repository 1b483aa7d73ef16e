// One SRT connection Weir opens as the caller (draft-sharabayko-srt-01 §4.3.1), for a pull
// (we receive MPEG-TS) or a forward (we send it): its own UDP socket, the pure caller handshake
// with resends and a connect deadline, then an SrtConnection driven by one timer armed at its
// nextDueUs(). Reports exactly one onClosed per start(); never reconnects (the relay does).
import type { udp } from 'bun';
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { srtLinkStats } from '../server/link-stats.ts';
import { DatagramBatcher } from '../server/srt/datagram-batch.ts';
import { SendRate } from '../server/send-rate.ts';
import type { LinkStats } from '../shared/config-protocol.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import type { SrtLinkEndpoint } from '../shared/ts-link-url.ts';
import { decodePacket, RejectReason, SrtCallerHandshake, SrtConnection, type ConnectionStats, type SrtPacket } from '../srt/index.ts';

type Socket = udp.Socket<'uint8array'>;

const t0 = performance.now();
const nowUs = (): number => Math.round((performance.now() - t0) * 1000);
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** libsrt gives up connecting after 3 s (SRTO_CONNTIMEO); a relay retries with backoff anyway. */
const CONNECT_TIMEOUT_MS = 3_000;
const MIN_TIMER_MS = 1;
const MAX_TIMER_MS = 250;

export type SrtCallerLinkEvents = Readonly<{
  onConnected: () => void;
  onDeliver: (payloads: readonly Uint8Array[]) => void;
  /** once per start(): null for a close we asked for */
  onClosed: (error: string | null) => void;
  onBytesIn: (n: number) => void;
  onBytesOut: (n: number) => void;
}>;

export type SrtCallerLinkOptions = Readonly<{ connectTimeoutMs?: number; maxBufferPackets?: number }>;

/** Words for a rejection code, as the listener's operator would use them. */
export function describeRejection(code: number): string {
  if (code === RejectReason.BadSecret) return 'wrong passphrase';
  if (code === RejectReason.Unsecure) return 'encryption mismatch (one side has a passphrase, the other not)';
  if (code === RejectReason.Version) return 'peer speaks an SRT version we do not';
  if (code >= 1000 && code < 2000) return `access control ${code} (HTTP-like ${code - 1000})`;
  return `code ${code}`;
}

export class SrtCallerLink {
  private socket: Socket | null = null;
  private handshake: SrtCallerHandshake | null = null;
  private connection: SrtConnection | null = null;
  private address = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private connectDeadline: ReturnType<typeof setTimeout> | null = null;
  private ended = false;
  private bytesOut = 0;
  private readonly sendRate = new SendRate();
  private readonly batcher = new DatagramBatcher();

  constructor(
    private readonly endpoint: SrtLinkEndpoint,
    private readonly events: SrtCallerLinkEvents,
    private readonly options: SrtCallerLinkOptions = {},
  ) {}

  get stats(): ConnectionStats | null {
    return this.connection?.stats ?? null;
  }

  /** The link figures while connected (direction: which way the media goes), else null. */
  link(direction: 'in' | 'out'): LinkStats | null {
    if (!this.connection || this.ended) return null;
    return srtLinkStats(this.connection.stats, direction, this.sendRate.read(this.bytesOut, nowUs()));
  }

  get connected(): boolean {
    return this.connection !== null && !this.ended;
  }

  start(): void {
    void this.open().catch((err: unknown) => this.end((err as Error).message ?? String(err)));
  }

  /** Queues one payload (up to 1316 bytes of TS) once connected; dropped before. */
  write(payload: Uint8Array): void {
    const connection = this.connection;
    if (!connection || this.ended) return;
    connection.write(payload, nowUs());
  }

  /** Sends what is due now (after a batch of writes) and re-arms the timer. */
  flush(): void {
    this.tick();
  }

  /** Ends the connection politely (shutdown) and reports onClosed(error): null when nothing went wrong. */
  close(error: string | null = null): void {
    if (this.ended) return;
    if (this.connection) this.transmit(this.connection.close(nowUs()));
    this.end(error);
  }

  private async open(): Promise<void> {
    const { host, port } = this.endpoint;
    const resolved = await lookup(host, { family: 4 });
    if (this.ended) return;
    this.address = resolved.address;
    this.socket = await Bun.udpSocket({
      hostname: '0.0.0.0',
      port: 0,
      binaryType: 'uint8array',
      socket: {
        data: (_s, data, fromPort, fromAddress) => {
          if (fromPort === port && fromAddress === this.address) this.onDatagram(data);
        },
        error: () => {},
      },
    });
    if (this.ended) {
      this.socket.close();
      this.socket = null;
      return;
    }
    const socketId = (new DataView(rnd(4).buffer).getUint32(0) & 0x7fff_fffe) + 1;
    const initialSeq = new DataView(rnd(4).buffer).getUint32(0) & 0x7fff_ffff;
    this.handshake = new SrtCallerHandshake({
      socketId,
      initialSeq,
      latencyMs: this.endpoint.latencyMs,
      peerAddress: this.address,
      randomBytes: rnd,
      keyLengthBytes: this.endpoint.keyLengthBytes,
      ...(this.endpoint.streamId !== '' ? { streamId: this.endpoint.streamId } : {}),
      ...(this.endpoint.passphrase !== null ? { passphrase: this.endpoint.passphrase } : {}),
    });
    this.transmit(this.handshake.start(nowUs()));
    const timeoutMs = this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.connectDeadline = setTimeout(() => {
      if (!this.connection) this.end(`SRT listener ${host}:${port} did not answer within ${timeoutMs} ms`);
    }, timeoutMs);
    this.arm(MAX_TIMER_MS);
  }

  private onDatagram(data: Uint8Array): void {
    if (this.ended) return;
    this.events.onBytesIn(data.byteLength);
    let packet: SrtPacket;
    try {
      packet = decodePacket(data);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return; // a malformed datagram costs only itself
    }
    try {
      if (this.connection) {
        const out = this.connection.receive(packet, nowUs());
        this.transmit(out.send);
        if (out.deliver.length > 0) this.events.onDeliver(out.deliver);
        if (out.closed) return this.end(out.closed === 'shutdown' ? 'the SRT listener ended the connection' : `SRT ${out.closed}`);
        this.rearm();
        return;
      }
      if (!this.handshake) return;
      const now = nowUs();
      const result = this.handshake.receive(packet, now);
      this.transmit(result.send);
      if (result.rejected !== undefined) return this.end(`SRT listener refused the connection: ${describeRejection(result.rejected)}`);
      if (!result.done) return;
      this.connection = new SrtConnection(
        {
          negotiated: result.done,
          randomBytes: rnd,
          ...(this.endpoint.passphrase !== null ? { passphrase: this.endpoint.passphrase } : {}),
          ...(this.options.maxBufferPackets !== undefined ? { sender: { maxBufferPackets: this.options.maxBufferPackets } } : {}),
        },
        now,
      );
      if (this.connectDeadline) clearTimeout(this.connectDeadline);
      this.connectDeadline = null;
      this.events.onConnected();
      this.rearm();
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.end(`SRT protocol error: ${err.message}`);
    }
  }

  private tick(): void {
    this.timer = null;
    if (this.ended) return;
    const now = nowUs();
    if (!this.connection) {
      if (this.handshake) this.transmit(this.handshake.poll(now));
      return this.arm(MAX_TIMER_MS);
    }
    let out;
    try {
      out = this.connection.poll(now);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return this.end(`SRT protocol error: ${err.message}`);
    }
    this.transmit(out.send);
    if (out.deliver.length > 0) this.events.onDeliver(out.deliver);
    if (out.closed) return this.end(out.closed === 'idle-timeout' ? 'the SRT peer went silent (idle timeout)' : `SRT ${out.closed}`);
    this.rearm();
  }

  private rearm(): void {
    if (!this.connection || this.ended) return;
    this.arm((this.connection.nextDueUs() - nowUs()) / 1000);
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.min(MAX_TIMER_MS, Math.max(MIN_TIMER_MS, delayMs)));
  }

  private transmit(packets: readonly SrtPacket[]): void {
    const socket = this.socket;
    if (!socket || packets.length === 0) return;
    // a failed datagram is an earlier one's ICMP error (the peer is gone, the idle timeout ends
    // the link) or a full buffer (SRT retransmits): only what went is counted
    const sent = this.batcher.send(packets, this.address, this.endpoint.port, (batch) => socket.sendMany(batch));
    this.bytesOut += sent.bytes;
    if (sent.bytes > 0) this.events.onBytesOut(sent.bytes);
  }

  private end(error: string | null): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.connectDeadline) clearTimeout(this.connectDeadline);
    this.timer = null;
    this.connectDeadline = null;
    this.socket?.close();
    this.socket = null;
    this.events.onClosed(error);
  }
}
