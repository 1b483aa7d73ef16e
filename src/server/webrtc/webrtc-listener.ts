// The WebRTC UDP listener: one socket for every session (RFC 7983 demultiplexing by first byte). A STUN Binding
// request is routed by the ufrag in its USERNAME and answered only when signed with that session's password; the
// 5-tuple it came from is then bound to the session, and DTLS and SRTCP from that 5-tuple alone are read. Datagrams
// from anywhere else are counted and dropped. A sweep closes sessions silent past the ICE timeout.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { LiveStream } from '../../hub/live-stream.ts';
import type { RtpOutputs } from '../../outputs/rtp-output.ts';
import { isRtcp } from '../../rtsp/rtp-packet.ts';
import { DEFAULT_WEBRTC_SETTINGS, type WebRtcSettings } from '../../shared/engine-config.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import { createDtlsCertificate, type DtlsCertificate } from '../../webrtc/certificate.ts';
import { looksLikeDtls } from '../../webrtc/dtls-record.ts';
import { bindingUsername, iceCredential } from '../../webrtc/ice-lite.ts';
import type { AnswerCandidate } from '../../webrtc/sdp-answer.ts';
import { looksLikeStun, parseStunMessage } from '../../webrtc/stun.ts';
import { AddressSlots, type SlotRefusal } from '../address-slots.ts';
import { bindListenerSocket, type ListenerSocket } from '../udp-listener-socket.ts';
import type { EngineContext } from '../engine-context.ts';
import type { WebRtcSessionInit } from './webrtc-session.ts';
import { WebRtcSessionTable, type WebRtcSessionEntry } from './webrtc-sessions.ts';
import { WhepViewer, type WhepTrack } from './webrtc-viewer.ts';
import { WhipPublisher } from './whip-publisher.ts';
import type { OpusTranscoders } from './opus-transcoder.ts';
import type { PublisherHandle } from '../../hub/live-stream.ts';
import type { RtpTrackDescription } from '../../rtsp/sdp-tracks.ts';
import type { StunMessage } from '../../webrtc/stun.ts';

/** What the listener routes a session's datagrams to: a WHEP viewer or a WHIP publisher. */
export interface WebRtcPeer extends WebRtcSessionEntry {
  readonly kind: 'whep' | 'whip';
  onStun(message: StunMessage, address: string, port: number): void;
  onDtls(datagram: Uint8Array, address: string, port: number): void;
  onSrtcp(datagram: Uint8Array): void;
  onSrtp(datagram: Uint8Array): void;
}

type Socket = ListenerSocket;

/** What every session gets from the listener: identity, credentials and the socket and table behind it. */
type CommonInit = Omit<WebRtcSessionInit, 'remoteUfrag' | 'peerFingerprint'>;

export type WebRtcListenerStats = { datagramsIn: number; malformed: number; unrouted: number; sessionsOpened: number; sessionsTimedOut: number };

export type NewWhepSession = Readonly<{
  stream: LiveStream;
  clientAddress: string;
  /** the id admission was asked under; the client registry lists the viewer by it */
  clientId: string;
  remoteUfrag: string;
  peerFingerprint: string;
  tracks: readonly WhepTrack[];
  /** the Opus track is fed by the stream's AAC-to-Opus transcoder */
  transcodeAudio?: boolean;
}>;

export type NewWhipSession = Readonly<{
  stream: LiveStream;
  handle: PublisherHandle;
  clientAddress: string;
  clientId: string;
  remoteUfrag: string;
  peerFingerprint: string;
  tracks: readonly RtpTrackDescription[];
}>;

type Opened<T> = { session: T; localUfrag: string; localPwd: string };

export class WebRtcListener {
  private socket: Socket | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  readonly certificate: DtlsCertificate = createDtlsCertificate();
  readonly sessions: WebRtcSessionTable<WebRtcPeer>;
  readonly slots: AddressSlots;
  readonly stats: WebRtcListenerStats = { datagramsIn: 0, malformed: 0, unrouted: 0, sessionsOpened: 0, sessionsTimedOut: 0 };

  /** AAC to Opus per stream when ffmpeg is present (set by the runtime); null: AAC streams play video-only */
  transcoders: OpusTranscoders | null = null;

  constructor(
    private readonly ctx: EngineContext,
    readonly outputs: RtpOutputs,
    now: () => number = Date.now,
  ) {
    this.sessions = new WebRtcSessionTable<WebRtcPeer>(now, () => this.settings().iceTimeoutMs);
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
    this.socket = await bindListenerSocket(host, port, (data, address, peerPort) => this.onDatagram(data, address, peerPort));
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
    this.transcoders?.stopAll();
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

  /**
   * One datagram out. A send can throw: after a client's port is gone, the kernel's ICMP port-unreachable is
   * reported on the next send (ECONNREFUSED). Sends run inside the publisher's packet delivery, so a throw
   * would close the publisher; the session is left to its ICE timeout instead, like a silent client.
   */
  private sendTo(bytes: Uint8Array, port: number, address: string): boolean {
    try {
      return this.socket?.send(bytes, port, address) ?? false;
    } catch {
      return false;
    }
  }

  /** A cap refusal, or a new WHEP viewer in the table (its answer is the caller's to build with these credentials). */
  openWhep(init: NewWhepSession): SlotRefusal | Opened<WhepViewer> {
    const transcoder = init.transcodeAudio && this.transcoders?.ffmpeg ? this.transcoders.feedFor(init.stream) : null;
    return this.open(init.clientAddress, init.stream, init.clientId, (common) =>
      new WhepViewer(this.ctx, {
        ...common,
        output: this.outputs.obtain(init.stream),
        ...(transcoder ? { transcodedAudio: transcoder } : {}),
        remoteUfrag: init.remoteUfrag, peerFingerprint: init.peerFingerprint, tracks: init.tracks }),
    );
  }

  /** A cap refusal, or a new WHIP publisher in the table (already publishing into `init.stream`). */
  openWhip(init: NewWhipSession): SlotRefusal | Opened<WhipPublisher> {
    return this.open(init.clientAddress, init.stream, init.clientId, (common) =>
      new WhipPublisher(this.ctx, { ...common, handle: init.handle, remoteUfrag: init.remoteUfrag, peerFingerprint: init.peerFingerprint, tracks: init.tracks }),
    );
  }

  private open<T extends WebRtcPeer>(clientAddress: string, stream: LiveStream, clientId: string, make: (common: CommonInit) => T): SlotRefusal | Opened<T> {
    const slot = this.slots.acquire(clientAddress);
    if (!slot.ok) return slot;
    const localUfrag = iceCredential(randomBytes(8));
    const localPwd = iceCredential(randomBytes(24));
    let session: T | undefined;
    // alike in shape to recording-export.ts's job literal (a random id, then names): a different record
    const common: CommonInit = {
      id: randomBytes(16).toString('hex'),
      clientId,
      clientAddress,
      stream,
      localUfrag,
      localPwd,
      certificate: this.certificate,
      send: (bytes, port, address) => this.sendTo(bytes, port, address),
      log: this.ctx.logger.child({ conn: clientId, peer: clientAddress, stream: stream.path, protocol: 'webrtc' }),
      remove: (reason) => {
        if (session) this.sessions.remove(session, reason);
      },
      bindTuple: (address, port) => {
        if (session) this.sessions.bindTuple(session, address, port);
      },
      heard: () => {
        if (session) this.sessions.heard(session);
      },
      released: () => slot.release(),
    };
    session = make(common);
    this.sessions.add(session);
    this.stats.sessionsOpened++;
    return { session, localUfrag, localPwd };
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
        session.onStun(message, address, port);
        return;
      }
      const session = this.sessions.byAddress(address, port);
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
      if (data.length >= 2 && data[0]! >> 6 === 2) {
        if (isRtcp(data)) session.onSrtcp(data);
        else session.onSrtp(data);
      }
    } catch (err) {
      this.stats.malformed++;
      // a bug must not take the socket (and every other session) down with it: the datagram is dropped and said
      if (!isProtocolError(err)) this.ctx.logger.error('WebRTC datagram failed', { peer: `${address}:${port}`, reason: (err as Error)?.message ?? String(err) });
    }
  }
}
