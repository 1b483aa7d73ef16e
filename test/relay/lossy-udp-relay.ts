// A lossy UDP path for the SRT tests: one loopback port that relays datagrams between a single
// client (the first address that writes to it) and a fixed server, dropping a share of them at
// random in each direction, holding each for a base delay plus random jitter (so they reorder),
// and holding at most maxInFlight at once (past it, a datagram is dropped: a bounded queue).
import type { udp } from 'bun';
import { prng } from '../seeded-random.ts';

export type LossyPathOptions = Readonly<{
  serverPort: number;
  /** share of datagrams dropped, each direction (0.05 = 5 %) */
  loss: number;
  /** delay each way, ms */
  delayMs: number;
  /** extra random delay each way, 0..jitterMs: datagrams overtake each other */
  jitterMs: number;
  seed: number;
  maxInFlight?: number;
}>;

export type LossyPathStats = { relayed: number; dropped: number; reordered: number; overflow: number };

export class LossyUdpPath {
  readonly stats: LossyPathStats = { relayed: 0, dropped: 0, reordered: 0, overflow: 0 };
  private client: { address: string; port: number } | null = null;
  private inFlight = 0;
  private readonly random: () => number;
  private readonly lastSentAt = { up: 0, down: 0 };
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  private constructor(
    private readonly socket: udp.Socket<'uint8array'>,
    private readonly options: LossyPathOptions,
  ) {
    this.random = prng(options.seed);
  }

  static async open(options: LossyPathOptions): Promise<LossyUdpPath> {
    let path: LossyUdpPath | null = null;
    const socket = await Bun.udpSocket({
      hostname: '127.0.0.1',
      port: 0,
      binaryType: 'uint8array',
      socket: {
        data: (_s, data, port, address) => path?.onDatagram(data.slice(), address, port),
        error: () => {},
      },
    });
    path = new LossyUdpPath(socket, options);
    return path;
  }

  get port(): number {
    return this.socket.port;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.socket.close();
  }

  private onDatagram(data: Uint8Array, address: string, port: number): void {
    const fromServer = port === this.options.serverPort;
    if (!fromServer) this.client ??= { address, port };
    const to = fromServer ? this.client : { address: '127.0.0.1', port: this.options.serverPort };
    if (!to || (!fromServer && (this.client!.port !== port || this.client!.address !== address))) return;
    if (this.random() < this.options.loss) {
      this.stats.dropped++;
      return;
    }
    if (this.inFlight >= (this.options.maxInFlight ?? 4096)) {
      this.stats.overflow++;
      return;
    }
    const delayMs = this.options.delayMs + this.random() * this.options.jitterMs;
    const dueAt = performance.now() + delayMs;
    const direction = fromServer ? 'down' : 'up';
    if (dueAt < this.lastSentAt[direction]) this.stats.reordered++;
    this.lastSentAt[direction] = Math.max(this.lastSentAt[direction], dueAt);
    this.inFlight++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.inFlight--;
      this.stats.relayed++;
      try {
        this.socket.send(data, to.port, to.address);
      } catch {
        // the far end has gone: the test is ending
      }
    }, delayMs);
    this.timers.add(timer);
  }
}
