// The RTSP TCP listener (default :8554): the shared TcpAcceptor takes sockets up to a total and a per-address cap
// and wires each to an RtspConnection; this sweeps for connections that do not start to play or record within the setup deadline
// (from accept, so trickling requests do not extend it) and for sessions not heard from within the session timeout
// (UDP viewers are heard through requests and RTCP; publishers through their RTP).
import { RtpOutputs } from '../../outputs/rtp-output.ts';
import { DEFAULT_RTSP_SETTINGS, type RtspSettings } from '../../shared/engine-config.ts';
import { AddressSlots } from '../address-slots.ts';
import { countRefusal, type EngineContext } from '../engine-context.ts';
import { RtspConnection } from './rtsp-connection.ts';
import { DigestNonces } from './rtsp-credentials.ts';
import { RtspUdpPorts } from './rtsp-udp-ports.ts';
import { TcpAcceptor } from '../tcp-acceptor.ts';

const SWEEP_INTERVAL_MS = 1000;

export class RtspListener {
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly acceptor: TcpAcceptor<RtspConnection>;
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
    this.acceptor = new TcpAcceptor({
      ctx,
      name: 'RTSP',
      section: 'rtsp',
      logPrefix: 'RTSP ',
      slots: this.connectionSlots,
      connect: (sink, peer, nowMs, release) =>
        new RtspConnection(
          { ctx, settings, outputs: this.outputs, udp: this.udp, publishes: this.publishSlots, nonces: this.nonces, onClose: release },
          sink,
          peer,
          nowMs,
        ),
    });
  }

  get connections(): ReadonlySet<RtspConnection> {
    return this.acceptor.connections;
  }

  settings(): RtspSettings {
    return this.ctx.config().rtsp ?? DEFAULT_RTSP_SETTINGS;
  }

  get port(): number {
    return this.acceptor.port;
  }

  get running(): boolean {
    return this.acceptor.running;
  }

  start(host: string, port: number): void {
    this.acceptor.start(host, port);
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.ctx.logger.info('RTSP listening', { host, port: this.acceptor.port });
  }

  stopAccepting(): void {
    this.acceptor.stopAccepting();
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.acceptor.stop();
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
