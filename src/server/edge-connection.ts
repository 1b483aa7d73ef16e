// What an RTMP and an RTSP connection at the edge share: an id and a logger, one ConnectionWriter
// (a drop ends the connection; what it writes counts toward the engine and the stream played),
// an entry in the client registry, and the close/kick/drop lifecycle. The protocol class says who
// it is to the registry, which stream it plays, and what a close releases.
import type { LiveStream } from '../hub/live-stream.ts';
import type { LogContext, Logger } from '../shared/logger.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import type { ClientEntry } from './client-registry.ts';
import type { BatchTransport } from '../outputs/direct-table.ts';
import { ConnectionWriter, type ByteSink } from './connection-writer.ts';
import type { EngineContext } from './engine-context.ts';
import type { ClientRole } from '../shared/config-protocol.ts';

export type EdgeRole = ClientRole;

export type EdgeConnectionInit = Readonly<{
  protocol: 'rtmp' | 'rtsp';
  sink: ByteSink;
  remoteAddress: string;
  nowMs: number;
  /** more context on every log line of the connection */
  logFields?: LogContext;
  /** the listener's release of the connection's place, called once when it closes */
  onClose: () => void;
}>;

export abstract class EdgeConnection {
  readonly id: string;
  readonly startedAtMs: number;
  readonly remoteAddress: string;
  bytesIn = 0;
  readonly writer: ConnectionWriter;
  /** where the writer's bytes go, for an output to write a caught-up viewer's batches to directly */
  protected readonly transport: BatchTransport;
  readonly log: Logger;
  protected closed = false;
  private readonly client: ClientEntry;
  private readonly onClose: () => void;

  constructor(
    readonly ctx: EngineContext,
    init: EdgeConnectionInit,
  ) {
    this.id = ctx.nextConnectionId();
    this.startedAtMs = init.nowMs;
    this.remoteAddress = init.remoteAddress;
    this.onClose = init.onClose;
    this.log = ctx.logger.child({ conn: this.id, peer: init.remoteAddress, ...init.logFields });
    this.transport = init.sink.directTransport ?? init.sink;
    this.writer = new ConnectionWriter(
      init.sink,
      ctx.config().writers,
      (reason) => {
        this.log.warn('connection dropped', { reason });
        this.close();
      },
      (bytes) => {
        ctx.counters.bytesOut += bytes;
        const stream = this.playedStream();
        if (stream) stream.counters.bytesOut += bytes;
      },
      ctx.counters.writers,
    );
    // the entry's calls come later (engine API listing, kicks): the subclass is built by then
    this.client = new EdgeClientEntry(this, init.protocol);
    ctx.clients.register(this.client);
  }

  abstract get role(): EdgeRole;
  /** the app it publishes or plays in (RTMP: connected to), for the engine API and app removal */
  abstract appName(): string | null;
  abstract streamName(): string | null;
  /** the stream whose counters the writer's bytes go to (the one it plays), if any */
  protected abstract playedStream(): LiveStream | null;
  /** ends what the connection publishes, plays or waits for: the first step of a close */
  protected abstract release(): void;

  bytesOut(): number {
    return this.writer.stats.bytesWritten;
  }

  drain(): void {
    this.writer.resume();
  }

  /** Ends the connection; safe to call more than once, and from the socket's close handler. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.writer.close();
    this.ctx.clients.unregister(this.client);
    this.onClose();
  }

  /** Drops the connection now (engine API kick, app removed): no goodbye, the socket is cut. */
  kick(reason: string): void {
    if (this.closed) return;
    this.log.info('connection kicked', { reason, role: this.role });
    this.drop();
  }

  /** Cuts the socket and ends the connection (a deadline missed: nothing polite is owed). */
  drop(): void {
    if (this.closed) return;
    this.writer.abort();
    this.close();
  }

  protected fail(err: unknown): void {
    if (isProtocolError(err)) this.log.warn('protocol error, closing connection', { code: err.code, reason: err.message });
    else this.log.error('internal error, closing connection', { reason: (err as Error)?.message ?? String(err) });
    this.close();
  }
}

/**
 * A connection as the client registry sees it. A class, not an object of closures: one per
 * connection, and at thousands of viewers six closures and their scope each were a measurable
 * part of what a viewer costs in memory (bench/viewer-memory.ts).
 */
class EdgeClientEntry implements ClientEntry {
  readonly id: string;
  readonly address: string;
  readonly connectedAtMs: number;

  constructor(
    private readonly connection: EdgeConnection,
    readonly protocol: ClientEntry['protocol'],
  ) {
    this.id = connection.id;
    this.address = connection.remoteAddress;
    this.connectedAtMs = connection.startedAtMs;
  }

  role(): EdgeRole {
    return this.connection.role;
  }

  app(): string | null {
    return this.connection.appName();
  }

  stream(): string | null {
    return this.connection.streamName();
  }

  bytesIn(): number {
    return this.connection.bytesIn;
  }

  bytesOut(): number {
    return this.connection.bytesOut();
  }

  kick(reason: string): void {
    this.connection.kick(reason);
  }
}
