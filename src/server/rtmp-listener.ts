// The RTMP TCP listener: accepts sockets up to a total and a per-address cap, wires each to an
// RtmpConnection, and sweeps for connections that do not get to publish or play within the
// setup deadline (measured from accept, so trickling bytes do not extend it) and for publishers
// that went silent. It can move to
// another address while running (rebind): the new socket is bound first, then the old one
// stops accepting; connections it accepted stay until they end.
import type { Socket, TCPSocketListener } from 'bun';
import { AddressSlots } from './address-slots.ts';
import type { ByteSink } from './connection-writer.ts';
import { countRefusal, type EngineContext } from './engine-context.ts';
import { RtmpConnection } from './rtmp-connection.ts';

type SocketData = { connection: RtmpConnection | null };

const SWEEP_INTERVAL_MS = 1000;

export class RtmpListener {
  private listener: TCPSocketListener<SocketData> | null = null;
  /** the address asked for (port 0 stays 0 here; `port` is the one the OS gave) */
  bound: { host: string; port: number } | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  readonly connections = new Set<RtmpConnection>();
  /** open connections, by client address (rtmp.maxConnections, rtmp.maxConnectionsPerAddress) */
  readonly connectionSlots: AddressSlots;
  /** publishes requested or running, by client address (rtmp.maxPublishesPerAddress) */
  readonly publishSlots: AddressSlots;

  constructor(private readonly ctx: EngineContext) {
    this.connectionSlots = new AddressSlots(() => ({ total: ctx.config().rtmp.maxConnections, perAddress: ctx.config().rtmp.maxConnectionsPerAddress }));
    this.publishSlots = new AddressSlots(() => ({ total: Infinity, perAddress: ctx.config().rtmp.maxPublishesPerAddress }));
  }

  get port(): number {
    if (!this.listener) throw new Error('RTMP listener is not running');
    return this.listener.port;
  }

  start(host: string, port: number): void {
    this.listener = this.listen(host, port);
    this.bound = { host, port };
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.ctx.logger.info('RTMP listening', { host, port: this.listener.port });
  }

  /** Listens on a new address (throws, keeping the old one, if it cannot be bound), then stops the old one. */
  rebind(host: string, port: number): void {
    const previous = this.listener;
    this.listener = this.listen(host, port);
    this.bound = { host, port };
    previous?.stop(false);
    this.ctx.logger.info('RTMP listening', { host, port: this.listener.port, moved: true, stillConnected: this.connections.size });
  }

  private listen(host: string, port: number): TCPSocketListener<SocketData> {
    const ctx = this.ctx;
    const connections = this.connections;
    return Bun.listen<SocketData>({
      hostname: host,
      port,
      socket: {
        open: (socket) => {
          const peer = socket.remoteAddress;
          const slot = this.connectionSlots.acquire(peer);
          if (!slot.ok) {
            const perAddress = slot.limit === 'per-address';
            const limit = perAddress ? 'rtmp.maxConnectionsPerAddress' : 'rtmp.maxConnections';
            countRefusal(ctx.counters, limit);
            ctx.logger.warn(perAddress ? 'connection refused: per-address connection cap reached' : 'connection refused: connection cap reached', {
              peer, limit, max: slot.max,
            });
            socket.data = { connection: null };
            socket.terminate();
            return;
          }
          const limits = { publishes: this.publishSlots, onClose: slot.release };
          const connection = new RtmpConnection(ctx, socketSink(socket), peer, Date.now(), limits);
          socket.data = { connection };
          connections.add(connection);
        },
        data: (socket, data) => socket.data.connection?.receive(data, Date.now()),
        drain: (socket) => socket.data.connection?.drain(),
        close: (socket) => {
          const connection = socket.data?.connection;
          if (!connection) return;
          connections.delete(connection);
          connection.close();
        },
        error: (socket, error) => {
          ctx.logger.debug('socket error', { peer: socket.remoteAddress, reason: error.message });
        },
      },
    });
  }

  /** Shutdown, first step: no new connections; those open stay until they end (or stop()). */
  stopAccepting(): void {
    this.listener?.stop(false);
    this.listener = null;
    this.bound = null;
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.listener?.stop(true);
    this.listener = null;
    this.bound = null;
    for (const connection of this.connections) connection.close();
    this.connections.clear();
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
      } else if (connection.role !== 'player' && silentMs > idleTimeoutMs) {
        this.ctx.logger.warn('idle timeout, closing connection', { conn: connection.id, peer: connection.remoteAddress, role: connection.role });
        connection.close();
      }
    }
  }
}

function socketSink(socket: Socket<SocketData>): ByteSink {
  return {
    write: (bytes) => socket.write(bytes),
    end: () => socket.end(),
    abort: () => socket.terminate(),
  };
}
