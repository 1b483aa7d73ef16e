// The RTMP TCP listener: accepts sockets up to a total and a per-address cap, wires each to an
// RtmpConnection, and sweeps for connections that do not get to publish or play within the
// setup deadline (measured from accept, so trickling bytes do not extend it) and for publishers
// that went silent. The sockets, caps and rebinding are the shared TcpAcceptor's.
import { AddressSlots } from '../address-slots.ts';
import { countRefusal, type EngineContext } from '../engine-context.ts';
import { RtmpConnection } from './rtmp-connection.ts';
import { TcpAcceptor } from '../tcp-acceptor.ts';

const SWEEP_INTERVAL_MS = 1000;

export class RtmpListener {
  /** the address asked for (port 0 stays 0 here; `port` is the one the OS gave) */
  bound: { host: string; port: number } | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly acceptor: TcpAcceptor<RtmpConnection>;
  /** open connections, by client address (rtmp.maxConnections, rtmp.maxConnectionsPerAddress) */
  readonly connectionSlots: AddressSlots;
  /** publishes requested or running, by client address (rtmp.maxPublishesPerAddress) */
  readonly publishSlots: AddressSlots;

  constructor(private readonly ctx: EngineContext) {
    this.connectionSlots = new AddressSlots(() => ({ total: ctx.config().rtmp.maxConnections, perAddress: ctx.config().rtmp.maxConnectionsPerAddress }));
    this.publishSlots = new AddressSlots(() => ({ total: Infinity, perAddress: ctx.config().rtmp.maxPublishesPerAddress }));
    this.acceptor = new TcpAcceptor({
      ctx,
      name: 'RTMP',
      section: 'rtmp',
      logPrefix: '',
      slots: this.connectionSlots,
      connect: (sink, peer, nowMs, release) => new RtmpConnection(ctx, sink, peer, nowMs, { publishes: this.publishSlots, onClose: release }),
    });
  }

  get connections(): ReadonlySet<RtmpConnection> {
    return this.acceptor.connections;
  }

  get port(): number {
    return this.acceptor.port;
  }

  start(host: string, port: number): void {
    this.acceptor.start(host, port);
    this.bound = { host, port };
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.ctx.logger.info('RTMP listening', { host, port: this.acceptor.port });
  }

  /** Listens on a new address (throws, keeping the old one, if it cannot be bound), then stops the old one. */
  rebind(host: string, port: number): void {
    this.acceptor.rebind(host, port);
    this.bound = { host, port };
    this.ctx.logger.info('RTMP listening', { host, port: this.acceptor.port, moved: true, stillConnected: this.connections.size });
  }

  /** Shutdown, first step: no new connections; those open stay until they end (or stop()). */
  stopAccepting(): void {
    this.acceptor.stopAccepting();
    this.bound = null;
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.acceptor.stop();
    this.bound = null;
  }

  private sweep(nowMs: number): void {
    const { handshakeTimeoutMs, idleTimeoutMs } = this.ctx.config().rtmp;
    for (const connection of this.connections) {
      const silentMs = nowMs - connection.lastReceiveAtMs;
      if (!connection.setUp && nowMs - connection.startedAtMs > handshakeTimeoutMs) {
        const stage = connection.connected ? 'no publish or play' : 'handshake';
        countRefusal(this.ctx.counters, 'rtmp.handshakeTimeoutMs');
        this.ctx.logger.warn(`${stage === 'handshake' ? 'handshake' : 'setup'} timeout, closing connection`, {
          conn: connection.id, peer: connection.remoteAddress, limit: 'rtmp.handshakeTimeoutMs', stage, bytesIn: connection.bytesIn,
        });
        connection.drop();
      } else if (connection.role !== 'viewer' && silentMs > idleTimeoutMs) {
        this.ctx.logger.warn('idle timeout, closing connection', { conn: connection.id, peer: connection.remoteAddress, role: connection.role });
        connection.close();
      }
    }
  }
}
