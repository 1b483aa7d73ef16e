// Where a MPEG-TS forward sends the stream's one shared TS mux (src/outputs/mpegts-encoder.ts):
// an SRT listener Weir calls, or a UDP address (unicast or multicast). Each target owns its socket
// and bounds what it holds; the forward (ts-forward.ts) owns joining the stream and retrying.
import type { udp } from 'bun';
import { lookup } from 'node:dns/promises';
import { TsPacer } from '../remux/ts-pacer.ts';
import type { LinkStats } from '../shared/config-protocol.ts';
import type { SrtLinkEndpoint, UdpLinkEndpoint } from '../shared/ts-link-url.ts';
import { TS_PACKET_BYTES } from '../shared/ts-link-url.ts';
import { SrtCallerLink } from './srt-caller-link.ts';

export type TsTargetEvents = Readonly<{
  onReady: () => void;
  /** once: null for a close we asked for */
  onClosed: (error: string | null) => void;
  onBytesOut: (n: number) => void;
  onBytesIn: (n: number) => void;
}>;

export interface TsLinkTarget {
  start(): void;
  /** TS bytes from the shared output; false: the target is behind and dropped them */
  send(bytes: Uint8Array, randomAccess: boolean, control: boolean): boolean;
  close(): void;
  /** media dropped because the target was behind (TS packets' worth) */
  readonly dropped: number;
  /** the transport's link figures while connected (SRT); absent for UDP */
  linkStats?(): LinkStats | null;
}

const t0 = performance.now();
const nowUs = (): number => Math.round((performance.now() - t0) * 1000);

/** SRT payloads of 7 TS packets, as every SRT peer expects. */
const SRT_PAYLOAD_BYTES = 7 * TS_PACKET_BYTES;
/** Send buffer bounds in SRT packets (as an SRT viewer's): skip to a keyframe past soft, cut past hard. */
const SRT_SOFT_PACKETS = 512;
const SRT_HARD_PACKETS = 2048;

export class SrtTsTarget implements TsLinkTarget {
  dropped = 0;
  private readonly link: SrtCallerLink;
  private skipping = false;

  constructor(endpoint: SrtLinkEndpoint, events: TsTargetEvents) {
    this.link = new SrtCallerLink(
      endpoint,
      {
        onConnected: () => events.onReady(),
        onDeliver: () => {},
        onClosed: (error) => events.onClosed(error),
        onBytesIn: (n) => events.onBytesIn(n),
        onBytesOut: (n) => events.onBytesOut(n),
      },
      { maxBufferPackets: SRT_HARD_PACKETS + 64 },
    );
  }

  start(): void {
    this.link.start();
  }

  send(bytes: Uint8Array, randomAccess: boolean, control: boolean): boolean {
    const buffered = this.link.stats?.send.bufferedPackets ?? 0;
    const chunks = Math.ceil(bytes.byteLength / SRT_PAYLOAD_BYTES);
    if (buffered + chunks > SRT_HARD_PACKETS) {
      this.link.close('the SRT listener is not keeping up (send buffer full)');
      return false;
    }
    if (!control) {
      if (this.skipping && !randomAccess) return this.drop(bytes);
      this.skipping = buffered + chunks > SRT_SOFT_PACKETS;
      if (this.skipping) return this.drop(bytes);
    }
    for (let at = 0; at < bytes.byteLength; at += SRT_PAYLOAD_BYTES) this.link.write(bytes.subarray(at, Math.min(at + SRT_PAYLOAD_BYTES, bytes.byteLength)));
    this.link.flush();
    return true;
  }

  close(): void {
    this.link.close();
  }

  linkStats(): LinkStats | null {
    return this.link.link('out');
  }

  private drop(bytes: Uint8Array): boolean {
    this.dropped += Math.ceil(bytes.byteLength / TS_PACKET_BYTES);
    return false;
  }
}

type Socket = udp.Socket<'uint8array'>;

/** MPEG-TS datagrams to a UDP address, paced by PCR (TsPacer); a bounded queue, no feedback. */
export class UdpTsTarget implements TsLinkTarget {
  private socket: Socket | null = null;
  private address = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDueUs = Infinity;
  private closed = false;
  private readonly pacer: TsPacer;

  constructor(private readonly endpoint: UdpLinkEndpoint, private readonly events: TsTargetEvents) {
    this.pacer = new TsPacer({ packetsPerDatagram: endpoint.packetBytes / TS_PACKET_BYTES });
  }

  get dropped(): number {
    return this.pacer.stats.packetsDropped;
  }

  start(): void {
    void this.open().catch((err: unknown) => this.end(`cannot send to udp://${this.endpoint.host}:${this.endpoint.port}: ${(err as Error).message ?? String(err)}`));
  }

  send(bytes: Uint8Array): boolean {
    if (!this.socket || this.closed) return false;
    const now = nowUs();
    this.pacer.push(bytes, now);
    this.flush(now);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.flushAll();
    this.end(null);
  }

  private async open(): Promise<void> {
    const { host, multicast, ttl, interfaceAddress } = this.endpoint;
    this.address = (await lookup(host, { family: 4 })).address;
    const socket = await Bun.udpSocket({ hostname: multicast && interfaceAddress ? interfaceAddress : '0.0.0.0', port: 0, binaryType: 'uint8array', socket: { error: () => {} } });
    if (this.closed) {
      socket.close();
      return;
    }
    this.socket = socket;
    if (multicast) {
      if (interfaceAddress) socket.setMulticastInterface(interfaceAddress);
      if (ttl !== null) socket.setMulticastTTL(ttl);
    } else if (ttl !== null) socket.setTTL(ttl);
    this.events.onReady();
  }

  private flush(now: number): void {
    this.write(this.pacer.poll(now));
    this.arm(this.pacer.nextDueUs(), now);
  }

  private flushAll(): void {
    this.write(this.pacer.drain(nowUs()));
  }

  private write(datagrams: readonly Uint8Array[]): void {
    const socket = this.socket;
    if (!socket) return;
    for (const datagram of datagrams) {
      try {
        socket.send(datagram, this.endpoint.port, this.address);
        this.events.onBytesOut(datagram.byteLength);
      } catch {
        // ICMP unreachable from an earlier datagram: UDP has no receiver to wait for; keep sending
      }
    }
  }

  private arm(dueUs: number, now: number): void {
    if (dueUs === Infinity || dueUs >= this.timerDueUs || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDueUs = dueUs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDueUs = Infinity;
      if (!this.closed) this.flush(nowUs());
    }, Math.max(1, (dueUs - now) / 1000));
  }

  private end(error: string | null): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close();
    this.socket = null;
    this.events.onClosed(error);
  }
}
