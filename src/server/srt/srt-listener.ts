// The SRT listener: one UDP socket for every SRT caller (draft-sharabayko-srt-01 §3 packets,
// §4.3.1 listener handshake). Packets are routed by destination socket id: 0 goes to the
// stateless handshake object (SYN cookies: an induction costs no state), a conclusion that
// repeats one already answered goes to its connection, anything else to the session that owns
// the id (and only from the address it connected from). Admission happens between the caller's
// conclusion and our answer, so a refused caller gets an SRT rejection code and never a
// connection. One timer, armed at the earliest nextDueUs() of all sessions, drives them.
// An app's own SRT port (srt-app-listeners.ts) is another SrtListener that serves that app only.
import { randomBytes } from 'node:crypto';
import type { PublisherHandle } from '../../hub/live-stream.ts';
import type { SrtSettings } from '../../shared/engine-config.ts';
import type { LogContext } from '../../shared/logger.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import {
  decodePacket,
  HandshakeType,
  parseStreamId,
  RejectReason,
  SrtConnection,
  SrtListenerHandshake,
  type ConclusionRequest,
  type ParsedStreamId,
  type SrtPacket,
} from '../../srt/index.ts';
import { AddressSlots, type SlotGrant } from '../address-slots.ts';
import { bindListenerSocket, type ListenerSocket } from '../udp-listener-socket.ts';
import { refuseMalformed } from '../admission.ts';
import { countRefusal, type EngineContext } from '../engine-context.ts';
import { DatagramBatcher } from './datagram-batch.ts';
import { SrtSession, SrtViewerLimits } from './srt-session.ts';

/** SRT access-control rejection codes (libsrt access_control.h: 1000 + an HTTP-like status). */
export const SrtRejectCode = {
  BadRequest: 1400,
  Unauthorized: 1401,
  Overload: 1402,
  Forbidden: 1403,
  NotFound: 1404,
  Conflict: 1409,
} as const;

/** Timers never fire sooner than this (ms): the ACK period is 10 ms, nothing needs finer. */
const MIN_TIMER_MS = 1;
/** …nor later, so a clock step cannot leave sessions unpolled for long. */
const MAX_TIMER_MS = 1000;
/** A bound on waiting for admission: past it the caller has long given up (libsrt connects in 3 s). */
const ADMISSION_TIMEOUT_MS = 10_000;

type Socket = ListenerSocket;

const t0 = performance.now();
const nowUs = (): number => Math.round((performance.now() - t0) * 1000);

export type SrtListenerStats = { packetsIn: number; malformed: number; unrouted: number; handshakes: number; refused: number; sendFailures: number };

export class SrtListener {
  private socket: Socket | null = null;
  private readonly batcher = new DatagramBatcher();
  private readonly handshake: SrtListenerHandshake;
  /** admitted connections by our socket id */
  readonly sessions = new Map<number, SrtSession>();
  /** callers (address|port|their socket id) admitted or being asked about, for repeated conclusions */
  private readonly callers = new Map<string, SrtSession | 'pending'>();
  /** connections and conclusions waiting for admission, by client address (srt.maxConnections…) */
  readonly slots: AddressSlots;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDueUs = Infinity;
  private accepting = true;
  readonly stats: SrtListenerStats = { packetsIn: 0, malformed: 0, unrouted: 0, handshakes: 0, refused: 0, sendFailures: 0 };

  /** the app this listener serves alone (an app's srtPort), or undefined for the main listener */
  readonly app: string | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly settings: () => SrtSettings,
    options: { app?: string } = {},
  ) {
    this.app = options.app;
    this.handshake = new SrtListenerHandshake({ cookieSecret: new Uint8Array(randomBytes(32)), latencyMs: settings().latencyMs });
    this.slots = new AddressSlots(() => ({ total: settings().maxConnections, perAddress: settings().maxConnectionsPerAddress }));
  }

  get port(): number {
    if (!this.socket) throw new Error('SRT listener is not running');
    return this.socket.port;
  }

  async start(host: string, port: number): Promise<void> {
    this.socket = await bindListenerSocket(host, port, (data, address, peerPort) => this.onDatagram(data, address, peerPort));
    const app = this.app === undefined ? {} : { app: this.app };
    this.ctx.logger.info('SRT listening', { host, port: this.socket.port, ...app, latencyMs: this.settings().latencyMs, encrypted: this.settings().passphrase !== null });
  }

  /** Shutdown, first step: no new connections; admitted ones stay until they end. */
  stopAccepting(): void {
    this.accepting = false;
  }

  stop(reason = 'engine stopping'): void {
    this.accepting = false;
    for (const session of [...this.sessions.values()]) session.close(reason);
    this.sessions.clear();
    this.callers.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close();
    this.socket = null;
  }

  private onDatagram(data: Uint8Array, address: string, port: number): void {
    this.stats.packetsIn++;
    this.ctx.counters.bytesIn += data.byteLength;
    let packet: SrtPacket;
    try {
      packet = decodePacket(data);
    } catch (err) {
      // a malformed datagram costs only itself
      if (!isProtocolError(err)) throw err;
      this.stats.malformed++;
      return;
    }
    if (packet.destSocketId === 0) return this.onHandshake(packet, address, port);
    const session = this.sessions.get(packet.destSocketId);
    if (!session || session.peerKey !== `${address}|${port}`) {
      this.stats.unrouted++;
      return;
    }
    session.receive(packet, data.byteLength, nowUs());
  }

  private onHandshake(packet: SrtPacket, address: string, port: number): void {
    if (packet.type !== 'handshake' || !this.accepting) return;
    this.stats.handshakes++;
    const hs = packet.handshake;
    if (hs.handshakeType === HandshakeType.Conclusion) {
      // our answer was lost and the caller repeats its conclusion: the connection answers again
      const known = this.callers.get(`${address}|${port}|${hs.socketId}`);
      if (known === 'pending') return;
      if (known) return known.receive(packet, 0, nowUs());
    }
    const result = this.handshake.receive(packet, { address, port }, nowUs());
    this.sendTo(result.send, address, port);
    if (result.request) {
      // an admission that throws refuses only this caller, never ends the listener
      this.conclude(result.request).catch((err: unknown) => {
        this.ctx.logger.error('SRT connection failed', { peer: address, reason: (err as Error)?.message ?? String(err) });
      });
    }
  }

  /** A caller with a valid cookie asks to connect: caps, stream id, admission, then accept or reject. */
  private async conclude(req: ConclusionRequest): Promise<void> {
    const { address, port } = req.peer;
    const callerKey = `${address}|${port}|${req.callerSocketId}`;
    const refuse = (code: number, reason: string, details: LogContext = {}): void => {
      this.stats.refused++;
      this.ctx.logger.info('SRT connection refused', { peer: address, code, reason, ...details });
      this.sendTo(this.handshake.reject(req, code), address, port);
    };
    const slot = this.slots.acquire(address);
    if (!slot.ok) {
      const limit = slot.limit === 'per-address' ? 'srt.maxConnectionsPerAddress' : 'srt.maxConnections';
      countRefusal(this.ctx.counters, limit);
      return refuse(SrtRejectCode.Overload, 'connection cap reached', { limit, max: slot.max });
    }
    let target: ParsedStreamId;
    try {
      target = parseStreamId(req.streamId, this.app);
    } catch (err) {
      slot.release();
      if (!isProtocolError(err)) throw err;
      return refuse(SrtRejectCode.BadRequest, err.message, { streamId: req.streamId.slice(0, 100) });
    }
    if (this.app !== undefined && target.app !== this.app) {
      slot.release();
      return refuse(SrtRejectCode.NotFound, `this port serves app '${this.app}' only`, { streamId: req.streamId.slice(0, 100) });
    }
    // "app/stream" without m=: a caller with nothing to say is a viewer, as in MediaMTX and SLS
    const action = target.mode === 'publish' ? 'publish' : 'play';
    const clientId = this.ctx.nextConnectionId();
    this.callers.set(callerKey, 'pending');
    let grantKept = false;
    try {
      const request = { action, protocol: 'srt', app: target.app, stream: target.stream, query: target.query, clientAddress: address, clientId } as const;
      const malformed = refuseMalformed(request);
      if (malformed !== null) return refuse(SrtRejectCode.BadRequest, malformed);
      const decision = await withTimeout(this.ctx.admission.decide(request), ADMISSION_TIMEOUT_MS);
      if (!this.accepting) return;
      if (!decision) return refuse(SrtRejectCode.Overload, 'admission did not answer in time');
      if (!decision.allow) return refuse(SrtRejectCode.Forbidden, decision.reason, { action, stream: `${target.app}/${target.stream}` });
      grantKept = this.admit(req, target, clientId, slot, callerKey);
    } finally {
      if (!grantKept) {
        slot.release();
        if (this.callers.get(callerKey) === 'pending') this.callers.delete(callerKey);
      }
    }
  }

  /** Accepts an admitted caller (passphrase checked here); true when a session now holds the slot. */
  private admit(req: ConclusionRequest, target: ParsedStreamId, clientId: string, slot: SlotGrant, callerKey: string): boolean {
    const { address, port } = req.peer;
    const settings = this.settings();
    const passphrase = settings.passphrase ?? undefined;
    const now = nowUs();
    const accepted = this.handshake.accept(req, { socketId: this.newSocketId(), nowUs: now, ...(passphrase !== undefined ? { passphrase } : {}) });
    if (!accepted.done) {
      this.stats.refused++;
      const why = accepted.rejected === RejectReason.BadSecret ? 'wrong passphrase' : passphrase === undefined ? 'caller encrypts, no passphrase set' : 'caller does not encrypt';
      this.ctx.logger.info('SRT connection refused', { peer: address, code: accepted.rejected, reason: `encryption mismatch: ${why}` });
      this.sendTo(accepted.send, address, port);
      return false;
    }
    let handle: PublisherHandle | null = null;
    let session: SrtSession | null = null;
    let stream = null;
    if (target.mode === 'publish') {
      const ours: PublisherHandle = { id: clientId, kick: (reason) => session?.publisherKicked(ours, reason) };
      const result = this.ctx.streams.publish(target.app, target.stream, ours);
      if (!result.ok) {
        // never answered: the caller hears a rejection, not a connection that closes at once
        this.stats.refused++;
        this.ctx.logger.info('SRT connection refused', { peer: address, code: SrtRejectCode.Conflict, reason: 'stream is already being published' });
        this.sendTo(this.handshake.reject(req, SrtRejectCode.Conflict), address, port);
        return false;
      }
      handle = ours;
      stream = result.stream;
    }
    const connection = new SrtConnection(
      {
        negotiated: accepted.done,
        ...(passphrase !== undefined ? { passphrase } : {}),
        randomBytes: (n) => new Uint8Array(randomBytes(n)),
        handshakeResponse: accepted.send,
        sender: { maxBufferPackets: SrtViewerLimits.hardPackets + 64 },
      },
      now,
    );
    const socketId = accepted.done.localSocketId;
    const created: SrtSession = new SrtSession({
      ctx: this.ctx,
      id: clientId,
      connection,
      peer: { address, port },
      target,
      send: (packets) => this.sendTo(packets, address, port),
      wake: (s) => this.arm(s.nextDueUs()),
      onClosed: () => {
        if (this.sessions.get(socketId) === created) this.sessions.delete(socketId);
        if (this.callers.get(callerKey) === created) this.callers.delete(callerKey);
        slot.release();
      },
      nowUs,
    });
    session = created;
    this.sessions.set(socketId, created);
    this.callers.set(callerKey, created);
    this.sendTo(accepted.send, address, port);
    if (handle && stream) created.startPublishing(stream, handle);
    else created.startPlaying().catch((err: unknown) => created.close(`play failed: ${(err as Error)?.message ?? String(err)}`));
    this.arm(created.nextDueUs());
    return true;
  }

  private newSocketId(): number {
    for (;;) {
      const id = new DataView(randomBytes(4).buffer).getUint32(0) & 0x7fff_ffff;
      if (id !== 0 && !this.sessions.has(id)) return id;
    }
  }

  private sendTo(packets: readonly SrtPacket[], address: string, port: number): number {
    const socket = this.socket;
    if (!socket || packets.length === 0) return 0;
    const sent = this.batcher.send(packets, address, port, (batch) => socket.sendMany(batch));
    this.stats.sendFailures += sent.failed;
    return sent.bytes;
  }

  /** Makes sure the timer fires by dueUs. */
  private arm(dueUs: number): void {
    if (dueUs >= this.timerDueUs || !this.socket) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDueUs = dueUs;
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(MIN_TIMER_MS, (dueUs - nowUs()) / 1000));
    this.timer = setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    this.timer = null;
    this.timerDueUs = Infinity;
    const now = nowUs();
    let next = Infinity;
    for (const session of [...this.sessions.values()]) {
      if (session.nextDueUs() <= now) session.poll(now);
      if (!session.isClosed) next = Math.min(next, session.nextDueUs());
    }
    if (next !== Infinity) this.arm(next);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
