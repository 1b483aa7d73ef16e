// The WebRTC UDP listener: one socket for every session (RFC 7983 demultiplexing by first byte). A STUN Binding
// request is routed by the ufrag in its USERNAME and answered only when signed with that session's password; the
// 5-tuple it came from is then bound to the session, and DTLS and SRTCP from that 5-tuple alone are read. Datagrams
// from anywhere else are counted and dropped. A sweep closes sessions silent past the ICE timeout.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { udp } from 'bun';
import type { LiveStream } from '../hub/live-stream.ts';
import type { RtpOutputs } from '../outputs/rtp-output.ts';
import { isRtcp } from '../rtsp/rtp-packet.ts';
import { DEFAULT_WEBRTC_SETTINGS, type WebRtcSettings } from '../shared/engine-config.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import { createDtlsCertificate, type DtlsCertificate } from '../webrtc/certificate.ts';
import { looksLikeDtls } from '../webrtc/dtls-record.ts';
import { bindingUsername, iceCredential } from '../webrtc/ice-lite.ts';
import type { AnswerCandidate } from '../webrtc/sdp-answer.ts';
import { looksLikeStun, parseStunMessage } from '../webrtc/stun.ts';
import { AddressSlots, type SlotRefusal } from './address-slots.ts';
import type { EngineContext } from './engine-context.ts';
import { WebRtcSessionTable } from './webrtc-sessions.ts';
import { WhepViewer, type WhepTrack } from './webrtc-viewer.ts';

type Socket = udp.Socket<'uint8array'>;

export type WebRtcListenerStats = { datagramsIn: number; malformed: number; unrouted: number; sessionsOpened: number; sessionsTimedOut: number };

export type NewWhepSession = Readonly<{
  stream: LiveStream;
  clientAddress: string;
  /** the id admission was asked under; the client registry lists the viewer by it */
  clientId: string;
  remoteUfrag: string;
  peerFingerprint: string;
  tracks: readonly WhepTrack[];
}>;

export class WebRtcListener {
  private socket: Socket | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  readonly certificate: DtlsCertificate = createDtlsCertificate();
  readonly sessions: WebRtcSessionTable;
  readonly slots: AddressSlots;
  readonly stats: WebRtcListenerStats = { datagramsIn: 0, malformed: 0, unrouted: 0, sessionsOpened: 0, sessionsTimedOut: 0 };
  private readonly releases = new Map<string, () => void>();

  constructor(
    private readonly ctx: EngineContext,
    readonly outputs: RtpOutputs,
    now: () => number = Date.now,
  ) {
    this.sessions = new WebRtcSessionTable(now, () => this.settings().iceTimeoutMs);
    this.slots = new AddressSlots(() => ({ total: this.settings().maxSessions, perAddress: this.settings().maxSessionsPerAddress }));
  }

  settings(): WebRtcSettings {
    return this.ctx.config().webrtc ?? DEFAULT_WEBRTC_SETTINGS;
  }

  get running(): boolean {
    return this.socket !== null;
  }

  get port(): number {
    if (!this.socket) throw new Error('WebRTC listener is not running');
    return this.socket.port;
  }

  async start(host: string, port: number): Promise<void> {
    this.socket = await Bun.udpSocket({
      hostname: host,
      port,
      binaryType: 'uint8array',
      socket: {
        data: (_socket, data, peerPort, address) => this.onDatagram(data, address, peerPort),
        // ICMP port unreachable from a browser that left: its session times out on its own
        error: () => {},
      },
    });
    const sweepMs = Math.max(250, Math.min(5000, this.settings().iceTimeoutMs / 4));
    this.timer = setInterval(() => {
      this.stats.sessionsTimedOut += this.sessions.sweep();
    }, sweepMs);
    this.ctx.logger.info('WebRTC listening', { host, port: this.socket.port, candidates: this.candidates().map((c) => c.address).join(',') });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sessions.closeAll('engine stopping');
    this.socket?.close();
    this.socket = null;
  }

  /** Host candidates: the configured public addresses, then the bound address or every interface's. */
  candidates(): AnswerCandidate[] {
    const { host, publicIps } = this.settings();
    const port = this.port;
    const addresses = [...publicIps];
    if (host !== '0.0.0.0' && host !== '::') {
      addresses.push(host);
    } else {
      const found: string[] = [];
      for (const list of Object.values(networkInterfaces())) {
        for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) found.push(i.address);
      }
      addresses.push(...(found.length > 0 ? found : ['127.0.0.1']));
    }
    return [...new Set(addresses)].map((address) => ({ address, port }));
  }

  /** A cap refusal, or a new session in the table (its answer is the caller's to build with these credentials). */
  open(init: NewWhepSession): SlotRefusal | { viewer: WhepViewer; localUfrag: string; localPwd: string } {
    const slot = this.slots.acquire(init.clientAddress);
    if (!slot.ok) return slot;
    const id = randomBytes(16).toString('hex');
    const localUfrag = iceCredential(randomBytes(8));
    const localPwd = iceCredential(randomBytes(24));
    const log = this.ctx.logger.child({ conn: init.clientId, peer: init.clientAddress, stream: init.stream.path, protocol: 'webrtc' });
    const viewer: WhepViewer = new WhepViewer(this.ctx, {
      id,
      clientId: init.clientId,
      clientAddress: init.clientAddress,
      stream: init.stream,
      output: this.outputs.obtain(init.stream),
      localUfrag,
      localPwd,
      remoteUfrag: init.remoteUfrag,
      peerFingerprint: init.peerFingerprint,
      certificate: this.certificate,
      tracks: init.tracks,
      send: (bytes, port, address) => this.socket?.send(bytes, port, address) ?? false,
      log,
      remove: (reason) => this.sessions.remove(viewer, reason),
      bindTuple: (address, port) => this.sessions.bindTuple(viewer, address, port),
      heard: () => this.sessions.heard(viewer),
      released: () => slot.release(),
    });
    this.sessions.add(viewer);
    this.stats.sessionsOpened++;
    return { viewer, localUfrag, localPwd };
  }

  private onDatagram(data: Uint8Array, address: string, port: number): void {
    this.stats.datagramsIn++;
    try {
      if (looksLikeStun(data)) {
        const message = parseStunMessage(data);
        const username = bindingUsername(message);
        const session = username ? this.sessions.byLocalUfrag(username.local) : undefined;
        if (!session) {
          this.stats.unrouted++;
          return;
        }
        (session as WhepViewer).onStun(message, address, port);
        return;
      }
      const session = this.sessions.byAddress(address, port) as WhepViewer | undefined;
      if (!session) {
        this.stats.unrouted++;
        return;
      }
      if (looksLikeDtls(data)) {
        try {
          session.onDtls(data, address, port);
        } catch (err) {
          if (!isProtocolError(err)) throw err;
          this.sessions.remove(session, `DTLS failed: ${err.message}`);
        }
        return;
      }
      if (data.length >= 2 && data[0]! >> 6 === 2 && isRtcp(data)) session.onSrtcp(data);
      // RTP from a WHEP viewer carries nothing we play: dropped
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.stats.malformed++;
    }
  }
}
