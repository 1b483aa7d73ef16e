// Many light WHEP viewers in one Bun process, for measuring how many WebRTC viewers the engine's core carries
// without a browser's per-connection cost capping the load. Each viewer is what a browser's receive-only peer
// connection does on the wire: it POSTs a recvonly H.264 + Opus offer (BUNDLE, rtcp-mux, its ICE credentials and
// the fingerprint of a client certificate shared by all viewers), reads the ICE-lite answer, checks connectivity
// from its own UDP socket (a Binding request with USE-CANDIDATE, ICE-CONTROLLING, MESSAGE-INTEGRITY, FINGERPRINT),
// runs the DTLS handshake as client (src/webrtc/dtls-client.ts), then receives SRTP. It keeps the session alive
// with a consent check every few seconds (RFC 7675) and sends SRTCP receiver reports (loss, and LSR/DLSR so the
// engine measures RTT), as a browser does; it sends no NACK or PLI. DELETE ends each session at the end.
//
// What it counts per viewer: datagram bytes and RTP packets, loss from sequence gaps, keyframes (the first payload
// bytes of each frame are decrypted, unauthenticated: rtp-receive-stats.ts). Every viewer authenticates and
// decrypts its first `sampleFirst` RTP packets and then one in `sampleEvery`, so a viewer fed garbage (wrong
// keys, corrupted packets) fails; decrypting all of them would make the client core the bottleneck first.
// One timer (tick) drives every viewer's retransmissions, consent checks and reports.
import { randomBytes } from 'node:crypto';
import type { udp } from 'bun';
import { encodeReceiverReport, parseRtcpCompound } from '../../src/rtsp/rtcp.ts';
import { JitterEstimator, receiverReportBlock, type LastSenderReport } from '../../src/rtsp/rtcp-report-block.ts';
import { isRtcp } from '../../src/rtsp/rtp-packet.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { createDtlsCertificate, type DtlsCertificate } from '../../src/webrtc/certificate.ts';
import { DtlsClient } from '../../src/webrtc/dtls-client.ts';
import { looksLikeDtls } from '../../src/webrtc/dtls-record.ts';
import { checkBindingSuccess, controllingBindingRequest } from '../../src/webrtc/ice-check.ts';
import { iceCredential } from '../../src/webrtc/ice-lite.ts';
import { SrtcpReceiver, SrtpReceiver, SrtpSender } from '../../src/webrtc/srtp.ts';
import { looksLikeStun, parseStunMessage } from '../../src/webrtc/stun.ts';
import { buildRecvOffer, parseWhepAnswer } from '../../src/webrtc/whep-client-sdp.ts';
import { RtpReceiveStats, SrtpPayloadPeek } from './rtp-receive-stats.ts';

export type WhepLoadOptions = Readonly<{
  /** http://host:port/app/stream/whep */
  whepUrl: string;
  /** a bearer token for admission, if the app needs one */
  token?: string;
  /** authenticate and decrypt the first this many RTP packets of every viewer (default 50) */
  sampleFirst?: number;
  /** then one packet in this many (default 100; 1 = every packet) */
  sampleEvery?: number;
  /** viewers between POST and DTLS up at once (default 16): the handshakes cost both sides ECDSA and ECDH */
  concurrency?: number;
  /** a viewer not up this long after its POST has failed (default 15 s) */
  connectTimeoutMs?: number;
  consentIntervalMs?: number;
  reportIntervalMs?: number;
  /** local address the viewers' sockets bind to (default 127.0.0.1) */
  bindHost?: string;
}>;

export type ViewerCounts = Readonly<{
  /** SRTP datagram bytes of RTP received (video and audio) */
  bytes: number;
  packets: number;
  lost: number;
  keyframes: number;
  /** RTP packets authenticated and decrypted (the sample) */
  verified: number;
  connected: boolean;
  failure: string | null;
}>;

type Socket = udp.Socket<'uint8array'>;
type Phase = 'offer' | 'ice' | 'dtls' | 'media' | 'closed';

const TICK_MS = 50;
const STUN_RETRY_MS = 250;
const DTLS_INITIAL_RTO_MS = 500;
const DTLS_MAX_RTO_MS = 4000;
/** RFC 8445 §5.1.2.1 priority of a peer-reflexive candidate (type preference 110), component 1 */
const PRFLX_PRIORITY = ((110 << 24) + (65535 << 8) + 255) >>> 0;

class LoadViewer {
  phase: Phase = 'offer';
  failure: string | null = null;
  location: string | null = null;
  private socket: Socket | null = null;
  private remote: { address: string; port: number } | null = null;
  private remoteUfrag = '';
  private remotePwd = '';
  private readonly localUfrag = iceCredential(randomBytes(8));
  private readonly localPwd = iceCredential(randomBytes(24));
  private readonly tieBreaker = new Uint8Array(randomBytes(8));
  private readonly localSsrc = randomBytes(4).readUInt32BE(0);
  /** our latest checks' transaction ids: an answer to an earlier retry is as good as one to the last */
  private readonly stunTransactions: Uint8Array[] = [];
  private stunSentAt = 0;
  private nominated = false;
  private dtls: DtlsClient | null = null;
  private rto = DTLS_INITIAL_RTO_MS;
  private flightSentAt = 0;
  private rtpIn: SrtpReceiver | null = null;
  private rtcpIn: SrtcpReceiver | null = null;
  private rtcpOut: SrtpSender | null = null;
  private peek: SrtpPayloadPeek | null = null;
  private readonly streams = new Map<number, RtpReceiveStats>();
  private readonly jitter = new Map<number, JitterEstimator>();
  private readonly lastSr = new Map<number, LastSenderReport>();
  private videoSsrc: number | undefined;
  private received = 0;
  verified = 0;
  private lastConsentAt = 0;
  private lastReportAt = 0;
  private startedAt = 0;
  private settle: (() => void) | null = null;

  constructor(
    private readonly o: Required<Omit<WhepLoadOptions, 'token'>> & Pick<WhepLoadOptions, 'token'>,
    private readonly certificate: DtlsCertificate,
  ) {}

  /** Resolves once DTLS is up or the viewer failed (see `failure`). */
  async connect(): Promise<void> {
    this.startedAt = performance.now();
    try {
      this.socket = await Bun.udpSocket({
        hostname: this.o.bindHost,
        port: 0,
        binaryType: 'uint8array',
        socket: {
          data: (_s, data, port, address) => this.onDatagram(data, address, port),
          // ICMP port unreachable after the engine left: the counts stop, the report says so
          error: () => {},
        },
      });
      const offer = buildRecvOffer({ iceUfrag: this.localUfrag, icePwd: this.localPwd, fingerprint: this.certificate.fingerprint, sessionId: String(randomBytes(6).readUIntBE(0, 6)) });
      const res = await fetch(this.o.whepUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', ...(this.o.token ? { Authorization: `Bearer ${this.o.token}` } : {}) },
        body: offer,
        // the engine holds a POST for a stream that is not live yet; the tick's timeout starts after it
        signal: AbortSignal.timeout(this.o.connectTimeoutMs),
      });
      const text = await res.text();
      if (res.status !== 201) return this.fail(`POST ${res.status}: ${text.trim().slice(0, 200)}`);
      const location = res.headers.get('location');
      if (location) this.location = new URL(location, this.o.whepUrl).href;
      const answer = parseWhepAnswer(text);
      const candidate = answer.candidates.find((c) => !c.address.includes(':')) ?? answer.candidates[0];
      if (!candidate) return this.fail('the answer has no candidate');
      this.remote = candidate;
      this.remoteUfrag = answer.iceUfrag;
      this.remotePwd = answer.icePwd;
      this.videoSsrc = answer.media.find((m) => m.kind === 'video' && m.accepted)?.ssrc;
      this.dtls = new DtlsClient({ certificateDer: this.certificate.der, privateKey: this.certificate.privateKey, peerFingerprint: answer.fingerprint, random: (n) => new Uint8Array(randomBytes(n)) });
      this.phase = 'ice';
      const done = new Promise<void>((resolve) => (this.settle = resolve));
      this.sendCheck(performance.now());
      await done;
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  /** Retransmissions, consent and reports; called by the one timer of all viewers. */
  tick(now: number): void {
    if (this.phase === 'closed' || this.phase === 'offer') return;
    if (this.phase !== 'media' && now - this.startedAt > this.o.connectTimeoutMs) {
      this.fail(`not connected after ${this.o.connectTimeoutMs} ms (in ${this.phase})`);
      return;
    }
    if (this.phase === 'ice' && now - this.stunSentAt >= STUN_RETRY_MS) this.sendCheck(now);
    if (this.phase === 'dtls' && this.dtls && now - this.flightSentAt >= this.rto) {
      this.rto = Math.min(DTLS_MAX_RTO_MS, this.rto * 2);
      this.sendAll(this.dtls.retransmit());
      this.flightSentAt = now;
    }
    if (this.phase === 'media') {
      if (now - this.lastConsentAt >= this.o.consentIntervalMs) this.sendCheck(now);
      if (now - this.lastReportAt >= this.o.reportIntervalMs) this.sendReport(now);
    }
  }

  counts(): ViewerCounts {
    let bytes = 0;
    let packets = 0;
    let lost = 0;
    let keyframes = 0;
    for (const s of this.streams.values()) {
      bytes += s.bytes;
      packets += s.packets;
      lost += s.lost;
      keyframes += s.keyframes;
    }
    return { bytes, packets, lost, keyframes, verified: this.verified, connected: this.phase === 'media', failure: this.failure };
  }

  /** DELETE the session (when it has one) and close the socket. */
  async close(): Promise<void> {
    this.phase = 'closed';
    this.settle?.();
    const location = this.location;
    this.location = null;
    if (location) await fetch(location, { method: 'DELETE' }).then((r) => r.arrayBuffer()).catch(() => {});
    this.socket?.close();
    this.socket = null;
  }

  private fail(reason: string): void {
    if (this.failure === null) this.failure = reason;
    if (this.phase !== 'closed') this.phase = 'closed';
    this.settle?.();
    this.settle = null;
  }

  private send(bytes: Uint8Array): void {
    if (!this.socket || !this.remote) return;
    try {
      this.socket.send(bytes, this.remote.port, this.remote.address);
    } catch {
      // the engine's port is gone: the counts stop and the point fails on its numbers
    }
  }

  private sendAll(datagrams: readonly Uint8Array[]): void {
    for (const d of datagrams) this.send(d);
  }

  private sendCheck(now: number): void {
    const transactionId = new Uint8Array(randomBytes(12));
    this.stunTransactions.push(transactionId);
    if (this.stunTransactions.length > 8) this.stunTransactions.shift();
    this.stunSentAt = now;
    if (this.phase === 'media') this.lastConsentAt = now;
    this.send(controllingBindingRequest({
      remoteUfrag: this.remoteUfrag, remotePwd: this.remotePwd, localUfrag: this.localUfrag,
      transactionId, tieBreaker: this.tieBreaker, priority: PRFLX_PRIORITY,
      // nominate on the first check (the one pair there is); consent checks after that do not
      useCandidate: !this.nominated,
    }));
  }

  private sendReport(now: number): void {
    this.lastReportAt = now;
    if (!this.rtcpOut) return;
    const blocks = [...this.streams.values()].map((s) => receiverReportBlock({
      ssrc: s.ssrc, sequence: s.sequence, jitter: this.jitter.get(s.ssrc)?.value ?? 0, nowMs: now,
      ...(this.lastSr.has(s.ssrc) ? { lastSr: this.lastSr.get(s.ssrc)! } : {}),
    }));
    this.send(this.rtcpOut.protectRtcp(encodeReceiverReport(this.localSsrc, blocks, 'weir-load')));
  }

  private onDatagram(data: Uint8Array, address: string, port: number): void {
    if (this.phase === 'closed' || !this.remote || address !== this.remote.address || port !== this.remote.port) return;
    try {
      const first = data[0]!;
      if (first >= 128 && first < 192) {
        if (this.phase !== 'media') return;
        if (isRtcp(data)) this.onSrtcp(data);
        else this.onSrtp(data);
      } else if (looksLikeStun(data)) {
        this.onStun(data);
      } else if (looksLikeDtls(data)) {
        this.onDtls(data);
      }
    } catch (err) {
      // bad bytes fail this viewer; so does a bug, said as one, rather than the whole run from inside a socket callback
      this.fail(isProtocolError(err) ? err.message : `bug: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }

  private onStun(data: Uint8Array): void {
    const message = parseStunMessage(data);
    const at = this.stunTransactions.findIndex((t) => Buffer.compare(t, message.transactionId) === 0);
    if (at < 0) return; // an answer to a check we no longer wait for
    checkBindingSuccess(message, this.remotePwd, this.stunTransactions[at]!);
    this.stunTransactions.splice(0, at + 1);
    if (this.phase === 'ice' && this.dtls) {
      this.nominated = true;
      this.phase = 'dtls';
      this.flightSentAt = performance.now();
      this.sendAll(this.dtls.start());
    }
  }

  private onDtls(data: Uint8Array): void {
    const dtls = this.dtls;
    if (!dtls || this.phase !== 'dtls') return;
    let out;
    try {
      out = dtls.handle(data);
    } catch (err) {
      if (isProtocolError(err)) this.send(dtls.fatalAlert());
      throw err;
    }
    this.sendAll(out.datagrams);
    if (out.datagrams.length > 0) this.flightSentAt = performance.now();
    if (out.closed) return this.fail('the server closed DTLS');
    if (out.srtpKeys) {
      const k = out.srtpKeys;
      this.rtpIn = new SrtpReceiver(k.serverKey, k.serverSalt);
      this.rtcpIn = new SrtcpReceiver(k.serverKey, k.serverSalt);
      this.rtcpOut = new SrtpSender(k.clientKey, k.clientSalt);
      this.peek = new SrtpPayloadPeek(k.serverKey, k.serverSalt);
      this.phase = 'media';
      const now = performance.now();
      this.lastConsentAt = now;
      this.lastReportAt = now;
      this.settle?.();
      this.settle = null;
    }
  }

  private onSrtp(data: Uint8Array): void {
    if (data.length < 12) return;
    const ssrc = ((data[8]! << 24) | (data[9]! << 16) | (data[10]! << 8) | data[11]!) >>> 0;
    let stats = this.streams.get(ssrc);
    if (!stats) {
      stats = new RtpReceiveStats(ssrc, ssrc === this.videoSsrc);
      this.streams.set(ssrc, stats);
    }
    stats.onPacket(data, this.peek);
    this.received++;
    if (this.received <= this.o.sampleFirst || this.received % this.o.sampleEvery === 0) {
      // a packet that does not authenticate throws: the viewer fails
      this.rtpIn!.unprotectRtp(data);
      this.verified++;
      const timestamp = ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0;
      let jitter = this.jitter.get(ssrc);
      if (!jitter) {
        jitter = new JitterEstimator(ssrc === this.videoSsrc ? 90_000 : 48_000);
        this.jitter.set(ssrc, jitter);
      }
      jitter.onPacket(timestamp, performance.now());
    }
  }

  private onSrtcp(data: Uint8Array): void {
    for (const packet of parseRtcpCompound(this.rtcpIn!.unprotect(data))) {
      if (packet.type === 'sr') this.lastSr.set(packet.ssrc, { ntpSeconds: packet.ntpSeconds, ntpFraction: packet.ntpFraction, receivedAtMs: performance.now() });
    }
  }
}

/** N viewers of one stream; `open` adds viewers, `counts` reads them, `close` ends them all. */
export class WhepLoadClient {
  private readonly viewers: LoadViewer[] = [];
  private readonly certificate = createDtlsCertificate('weir-load');
  private readonly options: Required<Omit<WhepLoadOptions, 'token'>> & Pick<WhepLoadOptions, 'token'>;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: WhepLoadOptions) {
    this.options = {
      sampleFirst: 50,
      sampleEvery: 100,
      concurrency: 16,
      connectTimeoutMs: 15_000,
      consentIntervalMs: 2500,
      reportIntervalMs: 1000,
      bindHost: '127.0.0.1',
      ...options,
    };
    if (!Number.isInteger(this.options.sampleEvery) || this.options.sampleEvery < 1) throw new RangeError('sampleEvery: a whole number of at least 1');
  }

  get size(): number {
    return this.viewers.length;
  }

  /** Opens `n` more viewers, `concurrency` at a time; resolves when each is up or failed. */
  async open(n: number): Promise<void> {
    this.timer ??= setInterval(() => {
      const now = performance.now();
      for (const v of this.viewers) v.tick(now);
    }, TICK_MS);
    const fresh = Array.from({ length: n }, () => new LoadViewer(this.options, this.certificate));
    this.viewers.push(...fresh);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < fresh.length) await fresh[next++]!.connect();
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, n) }, worker));
  }

  counts(): ViewerCounts[] {
    return this.viewers.map((v) => v.counts());
  }

  async close(): Promise<void> {
    const all = this.viewers.splice(0);
    for (let i = 0; i < all.length; i += 32) await Promise.all(all.slice(i, i + 32).map((v) => v.close()));
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
