// The RTSP TCP listener (default :8554): accepts sockets up to a total and a per-address cap, wires each to an
// RtspConnection, and sweeps for connections that do not start to play or record within the setup deadline
// (from accept, so trickling requests do not extend it) and for sessions not heard from within the session timeout
// (UDP viewers are heard through requests and RTCP; publishers through their RTP).
import type { Socket, TCPSocketListener } from 'bun';
import { RtpOutputs } from '../outputs/rtp-output.ts';
import { DEFAULT_RTSP_SETTINGS, type RtspSettings } from '../shared/engine-config.ts';
import { AddressSlots } from './address-slots.ts';
import type { ByteSink } from './connection-writer.ts';
import { countRefusal, type EngineContext } from './engine-context.ts';
import { RtspConnection } from './rtsp-connection.ts';
import { DigestNonces } from './rtsp-credentials.ts';
import { RtspUdpPorts } from './rtsp-udp-ports.ts';

type SocketData = { connection: RtspConnection | null };

const SWEEP_INTERVAL_MS = 1000;

export class RtspListener {
  private listener: TCPSocketListener<SocketData> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  readonly connections = new Set<RtspConnection>();
  readonly connectionSlots: AddressSlots;
  readonly publishSlots: AddressSlots;
  readonly outputs: RtpOutputs;
  readonly udp: RtspUdpPorts;
  private readonly nonces = new DigestNonces();

  constructor(private readonly ctx: EngineContext) {
    const settings = () => this.settings();
    this.connectionSlots = new AddressSlots(() => ({ total: settings().maxConnections, perAddress: settings().maxConnectionsPerAddress }));
    this.publishSlots = new AddressSlots(() => ({ total: Infinity, perAddress: settings().maxPublishesPerAddress }));
    this.outputs = new RtpOutputs((stream) => ctx.streams.collect(stream));
    this.udp = new RtspUdpPorts(() => settings().host, () => ({ min: settings().rtpPortMin, max: settings().rtpPortMax }));
  }

  settings(): RtspSettings {
    return this.ctx.config().rtsp ?? DEFAULT_RTSP_SETTINGS;
  }

  get port(): number {
    if (!this.listener) throw new Error('RTSP listener is not running');
    return this.listener.port;
  }

  get running(): boolean {
    return this.listener !== null;
  }

  start(host: string, port: number): void {
    this.listener = this.listen(host, port);
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.ctx.logger.info('RTSP listening', { host, port: this.listener.port });
  }

  private listen(host: string, port: number): TCPSocketListener<SocketData> {
    const ctx = this.ctx;
    return Bun.listen<SocketData>({
      hostname: host,
      port,
      socket: {
        open: (socket) => {
          const peer = socket.remoteAddress;
          const slot = this.connectionSlots.acquire(peer);
          if (!slot.ok) {
            const perAddress = slot.limit === 'per-address';
            const limit = perAddress ? 'rtsp.maxConnectionsPerAddress' : 'rtsp.maxConnections';
            countRefusal(ctx.counters, limit);
            ctx.logger.warn(perAddress ? 'RTSP connection refused: per-address connection cap reached' : 'RTSP connection refused: connection cap reached', {
              peer, limit, max: slot.max,
            });
            socket.data = { connection: null };
            socket.terminate();
            return;
          }
          const connection = new RtspConnection(
            { ctx, settings: () => this.settings(), outputs: this.outputs, udp: this.udp, publishes: this.publishSlots, nonces: this.nonces, onClose: slot.release },
            socketSink(socket),
            peer,
            Date.now(),
          );
          socket.data = { connection };
          this.connections.add(connection);
        },
        data: (socket, data) => socket.data.connection?.receive(data, Date.now()),
        drain: (socket) => socket.data.connection?.drain(),
        close: (socket) => {
          const connection = socket.data?.connection;
          if (!connection) return;
          this.connections.delete(connection);
          connection.close();
        },
        error: (socket, error) => {
          ctx.logger.debug('RTSP socket error', { peer: socket.remoteAddress, reason: error.message });
        },
      },
    });
  }

  stopAccepting(): void {
    this.listener?.stop(false);
    this.listener = null;
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.listener?.stop(true);
    this.listener = null;
    for (const connection of this.connections) connection.close();
    this.connections.clear();
  }

  private sweep(nowMs: number): void {
    const { setupTimeoutMs, sessionTimeoutMs } = this.settings();
    for (const connection of this.connections) {
      if (connection.busy) continue; // admission and waiting for a publisher have their own bounds
      if (!connection.everStarted && nowMs - connection.startedAtMs > setupTimeoutMs) {
        countRefusal(this.ctx.counters, 'rtsp.setupTimeoutMs');
        this.ctx.logger.warn('RTSP setup timeout, closing connection', { conn: connection.id, peer: connection.remoteAddress, limit: 'rtsp.setupTimeoutMs' });
        connection.drop();
        continue;
      }
      // a TCP viewer is there as long as its connection is; everyone else must be heard from
      const mustBeHeard = connection.role !== 'viewer' || connection.usesUdp;
      if (connection.everStarted && mustBeHeard && nowMs - connection.lastHeardAtMs > sessionTimeoutMs) {
        this.ctx.logger.warn('RTSP session timeout, closing connection', { conn: connection.id, peer: connection.remoteAddress, role: connection.role });
        connection.drop();
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
