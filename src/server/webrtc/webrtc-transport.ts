// The transport half every WebRTC session of the one UDP port shares, WHEP viewer or WHIP publisher: ICE-lite
// checks answered under the session's credentials (binding the 5-tuple they came from to the session), the DTLS
// handshake (a fatal alert on failure), and, once it completes, the SRTP/SRTCP contexts of both directions and
// the nominated address every later datagram goes to.
import { randomBytes } from 'node:crypto';
import { isProtocolError } from '../../shared/protocol-error.ts';
import type { DtlsCertificate } from '../../webrtc/certificate.ts';
import { DtlsServer } from '../../webrtc/dtls-server.ts';
import { answerBinding } from '../../webrtc/ice-lite.ts';
import { SrtcpReceiver, SrtpReceiver, SrtpSender } from '../../webrtc/srtp.ts';
import type { StunMessage } from '../../webrtc/stun.ts';

export type WebRtcTransportInit = Readonly<{
  localUfrag: string;
  localPwd: string;
  remoteUfrag: string;
  peerFingerprint: string;
  certificate: DtlsCertificate;
  send: (bytes: Uint8Array, port: number, address: string) => boolean;
  /** a 5-tuple passed a check: route its datagrams to this session */
  bindTuple: (address: string, port: number) => void;
  /** anything authenticated arrived: the session is alive (consent, RFC 7675) */
  heard: () => void;
  /** DTLS is up: media may flow */
  onConnected: (address: string, port: number) => void;
  /** the peer ended DTLS (close_notify or a fatal alert) */
  onPeerClosed: () => void;
  /** bytes actually handed to the socket */
  onSent: (bytes: number) => void;
}>;

export type SrtpContexts = Readonly<{ sender: SrtpSender; rtcpIn: SrtcpReceiver; rtpIn: SrtpReceiver }>;

export class WebRtcTransport {
  sendFailures = 0;
  private readonly dtls: DtlsServer;
  private remote: { address: string; port: number } | null = null;
  srtp: SrtpContexts | null = null;
  closed = false;

  constructor(private readonly init: WebRtcTransportInit) {
    this.dtls = new DtlsServer({
      certificateDer: init.certificate.der,
      privateKey: init.certificate.privateKey,
      peerFingerprint: init.peerFingerprint,
      random: (n) => new Uint8Array(randomBytes(n)),
    });
  }

  onStun(message: StunMessage, address: string, port: number): void {
    const family = address.includes(':') ? 'IPv6' : 'IPv4';
    const { localUfrag, localPwd, remoteUfrag } = this.init;
    const answer = answerBinding(message, { localUfrag, localPwd, remoteUfrag }, { family, address, port });
    this.init.bindTuple(address, port);
    this.init.heard();
    // the controlling agent nominates with USE-CANDIDATE; until then the first working pair carries DTLS
    if (answer.useCandidate || !this.remote) this.remote = { address, port };
    this.sendTo(answer.response, address, port);
  }

  /** A ProtocolError here ends the session (the listener removes it); the peer is sent a fatal alert first. */
  onDtls(datagram: Uint8Array, address: string, port: number): void {
    this.init.heard();
    let out;
    try {
      out = this.dtls.handle(datagram);
    } catch (err) {
      if (isProtocolError(err)) this.sendTo(this.dtls.fatalAlert(), address, port);
      throw err;
    }
    for (const d of out.datagrams) this.sendTo(d, address, port);
    if (out.closed) {
      this.init.onPeerClosed();
      return;
    }
    if (out.srtpKeys && !this.srtp) {
      const k = out.srtpKeys;
      this.srtp = { sender: new SrtpSender(k.serverKey, k.serverSalt), rtcpIn: new SrtcpReceiver(k.clientKey, k.clientSalt), rtpIn: new SrtpReceiver(k.clientKey, k.clientSalt) };
      this.remote = { address, port };
      this.init.onConnected(address, port);
    }
  }

  /** Protected RTP to the peer; false when not connected yet or the socket refused it. */
  sendRtp(packet: Uint8Array): boolean {
    if (!this.srtp || !this.remote) return false;
    return this.sendTo(this.srtp.sender.protectRtp(packet), this.remote.address, this.remote.port);
  }

  sendRtcp(packet: Uint8Array): boolean {
    if (!this.srtp || !this.remote) return false;
    return this.sendTo(this.srtp.sender.protectRtcp(packet), this.remote.address, this.remote.port);
  }

  private sendTo(bytes: Uint8Array, address: string, port: number): boolean {
    if (this.closed) return false;
    if (!this.init.send(bytes, port, address)) {
      this.sendFailures++;
      return false;
    }
    this.init.onSent(bytes.length);
    return true;
  }
}
