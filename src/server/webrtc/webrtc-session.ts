// What a WHEP viewer and a WHIP publisher share as sessions of the one UDP port: the transport (ICE-lite, DTLS,
// SRTP: webrtc-transport.ts) built from the listener's hand-over, byte counts, the client registry entry with its
// kick, the start and stop events, and a close that runs once: the subclass leaves the hub (leave()), then the
// client is unregistered, the cap slot given back and the stop event emitted.
import type { LiveStream } from '../../hub/live-stream.ts';
import type { EngineEvent, LinkStats } from '../../shared/config-protocol.ts';
import type { Logger } from '../../shared/logger.ts';
import type { StunMessage } from '../../webrtc/stun.ts';
import type { ClientEntry } from '../client-registry.ts';
import type { EngineContext } from '../engine-context.ts';
import type { WebRtcSessionEntry } from './webrtc-sessions.ts';
import { WebRtcTransport, type WebRtcTransportInit } from './webrtc-transport.ts';

/** What the listener hands every session (webrtc-listener.ts) with the offer's ICE ufrag and DTLS fingerprint. */
// (alike in shape to stream-recorder.ts's init, a list of names and callbacks: unrelated parts)
export type WebRtcSessionInit = Omit<WebRtcTransportInit, 'onConnected' | 'onPeerClosed' | 'onSent'> & Readonly<{
  /** the session resource id (the WHEP/WHIP Location) */
  id: string;
  /** the client registry id */
  clientId: string;
  clientAddress: string;
  stream: LiveStream;
  log: Logger;
  /** the listener's table forgets the session (it then calls close) */
  remove: (reason: string) => void;
  /** gives back the session's cap slot */
  released: () => void;
}>;

export abstract class WebRtcSession implements WebRtcSessionEntry {
  protected readonly transport: WebRtcTransport;
  protected readonly connectedAtMs = Date.now();
  protected closed = false;
  protected bytesIn = 0;
  protected bytesOut = 0;
  private readonly client: ClientEntry;

  protected constructor(
    protected readonly ctx: EngineContext,
    private readonly session: WebRtcSessionInit,
    private readonly role: 'viewer' | 'publisher',
  ) {
    this.transport = new WebRtcTransport({
      ...session,
      onConnected: (address, port) => this.onConnected(address, port),
      onPeerClosed: () => session.remove(`the ${role === 'viewer' ? 'client' : 'publisher'} closed DTLS`),
      onSent: (bytes) => {
        this.bytesOut += bytes;
        ctx.counters.bytesOut += bytes;
        this.onBytesSent(bytes);
      },
    });
    const stream = session.stream;
    const link = this.linkStats;
    this.client = {
      id: session.clientId,
      protocol: 'webrtc',
      address: session.clientAddress,
      connectedAtMs: this.connectedAtMs,
      role: () => role,
      app: () => stream.app,
      stream: () => stream.name,
      bytesIn: () => this.bytesIn,
      bytesOut: () => this.bytesOut,
      kick: (reason) => session.remove(`kicked: ${reason}`),
      ...(link ? { link: () => link.call(this) } : {}),
    };
  }

  get id(): string {
    return this.session.id;
  }

  get localUfrag(): string {
    return this.session.localUfrag;
  }

  get clientAddress(): string {
    return this.session.clientAddress;
  }

  onStun(message: StunMessage, address: string, port: number): void {
    this.transport.onStun(message, address, port);
  }

  onDtls(datagram: Uint8Array, address: string, port: number): void {
    this.transport.onDtls(datagram, address, port);
  }

  /** Called by the session table, once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.closed = true;
    this.leave();
    this.ctx.clients.unregister(this.client);
    this.session.released();
    const { app, name } = this.session.stream;
    this.ctx.events.emit({ type: this.role === 'viewer' ? 'play-stop' : 'publish-stop', app, stream: name, clientId: this.session.clientId, atMs: Date.now() });
    this.logClosed(reason);
  }

  /** Lists the session in the client registry and says it started; the subclass calls it once it is set up. */
  protected register(start: EngineEvent): void {
    this.ctx.clients.register(this.client);
    this.ctx.events.emit(start);
  }

  /** DTLS is up. */
  protected abstract onConnected(address: string, port: number): void;

  /** Leaves the hub (outputs, or the publish), first thing on close. */
  protected abstract leave(): void;

  protected abstract logClosed(reason: string): void;

  /** Bytes the socket took, beyond the session's and the engine's counts. */
  protected onBytesSent(_bytes: number): void {}

  /** The link figures the client registry shows; absent: none. */
  protected linkStats?(): LinkStats;
}
