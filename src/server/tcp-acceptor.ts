// The TCP half every stream listener shares (RTMP, RTSP): binds (a failure names the listener,
// address and port), takes a slot per connection under the total and per-address caps (a refused
// socket is counted, logged and cut before any byte is read), hands the socket to the protocol's
// connection as a ByteSink, and routes data, drain and close to it. It can move to another address
// while running (rebind): the new socket is bound first, then the old one stops accepting;
// connections it accepted stay until they end. Sweeps and timeouts stay with each listener.
import type { Socket, TCPSocketListener } from 'bun';
import { bindOrExplain } from '../shared/listen-error.ts';
import type { AddressSlots } from './address-slots.ts';
import type { ByteSink } from './connection-writer.ts';
import { countRefusal, type EngineContext } from './engine-context.ts';

/** What the acceptor drives on a protocol's connection. */
export type AcceptedConnection = {
  receive(data: Uint8Array, nowMs: number): void;
  drain(): void;
  close(): void;
};

export type TcpAcceptorOptions<C extends AcceptedConnection> = Readonly<{
  ctx: EngineContext;
  /** names the listener in listen errors: 'RTMP', 'RTSP' */
  name: string;
  /** the settings section whose caps refuse a socket: 'rtmp', 'rtsp' (counted as `<section>.maxConnections…`) */
  section: string;
  /** put before every log message: '' for RTMP (its messages predate the others), 'RTSP ' */
  logPrefix: string;
  /** open connections by client address (`<section>.maxConnections`, `.maxConnectionsPerAddress`) */
  slots: AddressSlots;
  /** builds the protocol's connection for an accepted socket; `release` frees its slot when it closes */
  connect(sink: ByteSink, peer: string, nowMs: number, release: () => void): C;
}>;

type SocketData<C> = { connection: C | null };

export class TcpAcceptor<C extends AcceptedConnection> {
  private listener: TCPSocketListener<SocketData<C>> | null = null;
  readonly connections = new Set<C>();

  constructor(private readonly options: TcpAcceptorOptions<C>) {}

  get running(): boolean {
    return this.listener !== null;
  }

  /** The port the OS gave; throws when not listening. */
  get port(): number {
    if (!this.listener) throw new Error(`${this.options.name} listener is not running`);
    return this.listener.port;
  }

  /** First bind; a failure is a ListenError naming the listener, the address and the port. */
  start(host: string, port: number): void {
    this.listener = bindOrExplain(this.options.name, host, port, () => this.listen(host, port));
  }

  /** Listens on a new address (throws, keeping the old one, if it cannot be bound), then stops the old one. */
  rebind(host: string, port: number): void {
    const previous = this.listener;
    this.listener = this.listen(host, port);
    previous?.stop(false);
  }

  /** No new connections; those open stay until they end (or stop()). */
  stopAccepting(): void {
    this.listener?.stop(false);
    this.listener = null;
  }

  /** Stops listening and closes every connection. */
  stop(): void {
    this.listener?.stop(true);
    this.listener = null;
    for (const connection of this.connections) connection.close();
    this.connections.clear();
  }

  private listen(host: string, port: number): TCPSocketListener<SocketData<C>> {
    const { ctx, section, logPrefix, slots } = this.options;
    const connections = this.connections;
    return Bun.listen<SocketData<C>>({
      hostname: host,
      port,
      socket: {
        open: (socket) => {
          const peer = socket.remoteAddress;
          const slot = slots.acquire(peer);
          if (!slot.ok) {
            const perAddress = slot.limit === 'per-address';
            const limit = perAddress ? `${section}.maxConnectionsPerAddress` : `${section}.maxConnections`;
            countRefusal(ctx.counters, limit);
            const reason = perAddress ? 'connection refused: per-address connection cap reached' : 'connection refused: connection cap reached';
            ctx.logger.warn(`${logPrefix}${reason}`, { peer, limit, max: slot.max });
            socket.data = { connection: null };
            socket.terminate();
            return;
          }
          const connection = this.options.connect(new SocketSink(socket), peer, Date.now(), slot.release);
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
          ctx.logger.debug(`${logPrefix}socket error`, { peer: socket.remoteAddress, reason: error.message });
        },
      },
    });
  }
}

/** A class, not three closures: one per connection, and a viewer's memory is counted per KiB. */
class SocketSink<C> implements ByteSink {
  constructor(private readonly socket: Socket<SocketData<C>>) {}

  get directTransport(): Socket<SocketData<C>> {
    return this.socket;
  }

  write(bytes: Uint8Array): number {
    return this.socket.write(bytes);
  }

  end(): void {
    this.socket.end();
  }

  abort(): void {
    this.socket.terminate();
  }
}
