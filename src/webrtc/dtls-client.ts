// The client side of a DTLS 1.2 handshake for DTLS-SRTP (RFC 6347, RFC 5764), as a WebRTC offerer with
// a=setup:active runs it: the one suite, curve and SRTP profile our server (dtls-server.ts) negotiates, extended
// master secret required, the server's certificate checked against the fingerprint of its SDP answer and its
// ServerKeyExchange signature verified, our certificate sent when asked (its fingerprint is in our offer).
// Pure: datagrams in, datagrams out. The client drives retransmission (RFC 6347 §4.2.4), but its timer is the
// caller's: `retransmit()` re-sends the current flight (with fresh record sequence numbers) when the caller's timer
// fires while `awaitingReply`; a repeated server flight makes `handle` re-send ours at once.
import { createECDH, createHash, sign, verify, X509Certificate, type ECDH, type KeyObject } from 'node:crypto';
import { concatBytes } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode, isProtocolError } from '../shared/protocol-error.ts';
import { fingerprintOf } from './certificate.ts';
import {
  exportSrtpKeys, extendedMasterSecret, keyBlock, openRecord, prf, sealRecord, type RecordKeys,
} from './dtls-crypto.ts';
import {
  HELLO_VERIFY_REQUEST, checkCertificateRequest, encodeCertificateVerify, encodeClientHello, encodeClientKeyExchange,
  parseHelloVerifyRequest, parseServerHello, parseServerKeyExchange,
} from './dtls-client-messages.ts';
import {
  HANDSHAKE_HEADER_BYTES, HandshakeReassembler, HandshakeType, encodeCertificateBody, encodeHandshake, parseCertificateBody,
  type HandshakeMessage,
} from './dtls-handshake.ts';
import { ContentType, RECORD_HEADER_BYTES, encodeRecordHeader, parseDtlsRecords, type DtlsRecord } from './dtls-record.ts';
import type { DtlsOutput } from './dtls-server.ts';

// Alike in shape to DtlsServerInit (our certificate, the peer's fingerprint, randomness); kept apart
// because the client alone fragments to an MTU and the two sides' options grow independently.
export type DtlsClientInit = Readonly<{
  certificateDer: Uint8Array;
  privateKey: KeyObject;
  /** the server's sha-256 fingerprint from its SDP answer (hex pairs with colons, either case) */
  peerFingerprint: string;
  /** random bytes (node:crypto's randomBytes in use; tests pass a fixed source) */
  random: (size: number) => Uint8Array;
  /** largest datagram we send (default 1200: fits any path WebRTC runs over); handshake messages are fragmented to it */
  mtu?: number;
}>;

type State = 'idle' | 'hello' | 'server-flight' | 'finishing' | 'connected' | 'closed';
/** A record of the current flight, kept unencoded so each retransmission gets new record sequence numbers. */
type FlightRecord = Readonly<{ type: ContentType; epoch: 0 | 1; body: Uint8Array }>;

const ALERT_WARNING = 1;
const ALERT_FATAL = 2;
const ALERT_CLOSE_NOTIFY = 0;
const ALERT_HANDSHAKE_FAILURE = 40;
const GCM_OVERHEAD = 8 + 16;
const MIN_MTU = 256;

function fail(code: ProtocolErrorCode, what: string): never {
  throw new ProtocolError(code, `DTLS: ${what}`);
}

export class DtlsClient {
  private state: State = 'idle';
  private readonly reassembler = new HandshakeReassembler();
  private transcript: Uint8Array[] = [];
  private readonly clientRandom: Uint8Array;
  private serverRandom: Uint8Array | null = null;
  private cookie: Uint8Array = new Uint8Array(0);
  private serverCertificate: X509Certificate | null = null;
  private serverPoint: Uint8Array | null = null;
  private certificateRequested = false;
  private master: Uint8Array | null = null;
  private keys: RecordKeys | null = null;
  private readEpoch = 0;
  private readonly writeSeq = [0, 0];
  private messageSeq = 0;
  private flight: FlightRecord[] = [];
  private readonly mtu: number;

  constructor(private readonly init: DtlsClientInit) {
    this.mtu = init.mtu ?? 1200;
    if (!Number.isInteger(this.mtu) || this.mtu < MIN_MTU) throw new RangeError(`DTLS: mtu must be a whole number of at least ${MIN_MTU}`);
    this.clientRandom = new Uint8Array(init.random(32));
    if (this.clientRandom.length !== 32) throw new RangeError('DTLS: random(32) returned the wrong length');
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** A flight of ours is unanswered: the caller's retransmission timer should run (RFC 6347 §4.2.4.1). */
  get awaitingReply(): boolean {
    return this.state === 'hello' || this.state === 'server-flight' || this.state === 'finishing';
  }

  /** The first flight (ClientHello). Once only. */
  start(): Uint8Array[] {
    if (this.state !== 'idle') fail(ProtocolErrorCode.BadState, 'start() twice');
    this.state = 'hello';
    return this.sendClientHello();
  }

  /** The current flight again, for the caller's retransmission timer; nothing when no flight is unanswered. */
  retransmit(): Uint8Array[] {
    return this.awaitingReply ? this.encodeFlight() : [];
  }

  /** One datagram from the server. Bad bytes, a failed check or an unsupported choice throw a ProtocolError. */
  handle(datagram: Uint8Array): DtlsOutput {
    const out: DtlsOutput = { datagrams: [], srtpKeys: null, closed: false };
    if (this.state === 'closed' || this.state === 'idle') return out;
    let resend = false;
    for (const record of parseDtlsRecords(datagram)) {
      const plaintext = this.open(record);
      if (plaintext === null) continue;
      if (record.type === ContentType.ChangeCipherSpec) {
        if (this.state !== 'finishing') {
          if (this.state === 'connected') continue; // a retransmitted final flight
          fail(ProtocolErrorCode.BadState, `ChangeCipherSpec in state ${this.state}`);
        }
        if (plaintext.length !== 1 || plaintext[0] !== 1) fail(ProtocolErrorCode.Malformed, 'ChangeCipherSpec body');
        this.readEpoch = 1;
      } else if (record.type === ContentType.Alert) {
        if (plaintext.length < 2) fail(ProtocolErrorCode.Truncated, 'alert');
        if (plaintext[0] === ALERT_FATAL || plaintext[1] === ALERT_CLOSE_NOTIFY) {
          this.state = 'closed';
          out.closed = true;
          return out;
        }
      } else if (record.type === ContentType.Handshake) {
        if (this.state === 'connected') continue; // the server resending its Finished: ours reached it already or will
        const { messages, repeated } = this.reassembler.push(plaintext);
        if (repeated) resend = true;
        for (const message of messages) this.onMessage(message, out);
      }
      // application data: no data channel is negotiated, nothing is expected here
    }
    if (resend && out.datagrams.length === 0 && this.awaitingReply) out.datagrams.push(...this.encodeFlight());
    return out;
  }

  /** A fatal handshake_failure alert to send after handle() threw, so the server stops at once; closes this side. */
  fatalAlert(): Uint8Array {
    return this.alert(ALERT_FATAL, ALERT_HANDSHAKE_FAILURE);
  }

  /** close_notify (RFC 5246 §7.2.1): the end of the association, for a clean goodbye. */
  close(): Uint8Array {
    return this.alert(ALERT_WARNING, ALERT_CLOSE_NOTIFY);
  }

  private alert(level: number, description: number): Uint8Array {
    const body = Uint8Array.of(level, description);
    // protected once we switched to epoch 1 ourselves (our Finished went out under it)
    const sealed = this.keys !== null && this.writeSeq[1]! > 0;
    this.state = 'closed';
    return sealed ? this.seal(ContentType.Alert, body) : this.plain(ContentType.Alert, body);
  }

  /** The record's plaintext, or null for one this state cannot read (a later epoch before the switch, or stale). */
  private open(record: DtlsRecord): Uint8Array | null {
    if (record.epoch === 0) return record.type === ContentType.ApplicationData ? null : record.fragment;
    if (record.epoch !== 1 || this.readEpoch !== 1 || !this.keys) return null;
    return openRecord(this.keys.serverKey, this.keys.serverIv, record.type, record.epoch, record.sequence, record.fragment);
  }

  private onMessage(message: HandshakeMessage, out: DtlsOutput): void {
    const whole = encodeHandshake(message.type, message.messageSeq, message.body);
    switch (message.type) {
      case HELLO_VERIFY_REQUEST:
        // only in answer to our first ClientHello (RFC 6347 §4.2.1); neither message enters the transcript
        if (this.state !== 'hello' || this.cookie.length > 0) fail(ProtocolErrorCode.BadState, 'HelloVerifyRequest out of turn');
        this.cookie = new Uint8Array(parseHelloVerifyRequest(message.body));
        if (this.cookie.length === 0) fail(ProtocolErrorCode.Malformed, 'HelloVerifyRequest with an empty cookie');
        this.transcript = [];
        out.datagrams.push(...this.sendClientHello());
        return;
      case HandshakeType.ServerHello:
        this.expect('hello', 'ServerHello');
        this.serverRandom = parseServerHello(message.body).random;
        this.transcript.push(whole);
        this.state = 'server-flight';
        return;
      case HandshakeType.Certificate: {
        this.expect('server-flight', 'Certificate');
        if (this.serverCertificate) fail(ProtocolErrorCode.BadState, 'second server Certificate');
        const leaf = parseCertificateBody(message.body)[0];
        if (!leaf) fail(ProtocolErrorCode.Malformed, 'the server sent no certificate');
        if (fingerprintOf(leaf) !== this.init.peerFingerprint.toUpperCase()) fail(ProtocolErrorCode.Malformed, 'server certificate does not match the SDP fingerprint');
        this.serverCertificate = guard('server certificate', () => new X509Certificate(leaf));
        this.transcript.push(whole);
        return;
      }
      case HandshakeType.ServerKeyExchange: {
        this.expect('server-flight', 'ServerKeyExchange');
        if (!this.serverCertificate || !this.serverRandom) fail(ProtocolErrorCode.BadState, 'ServerKeyExchange before Certificate');
        const kx = parseServerKeyExchange(message.body);
        const signed = concatBytes([this.clientRandom, this.serverRandom, kx.params]);
        const ok = guard('ServerKeyExchange', () => verify('sha256', signed, this.serverCertificate!.publicKey, kx.signature));
        if (!ok) fail(ProtocolErrorCode.Malformed, 'ServerKeyExchange signature does not verify');
        this.serverPoint = new Uint8Array(kx.publicPoint);
        this.transcript.push(whole);
        return;
      }
      case HandshakeType.CertificateRequest:
        this.expect('server-flight', 'CertificateRequest');
        if (!this.serverPoint) fail(ProtocolErrorCode.BadState, 'CertificateRequest before ServerKeyExchange');
        checkCertificateRequest(message.body);
        this.certificateRequested = true;
        this.transcript.push(whole);
        return;
      case HandshakeType.ServerHelloDone:
        this.expect('server-flight', 'ServerHelloDone');
        if (!this.serverPoint) fail(ProtocolErrorCode.BadState, 'ServerHelloDone before ServerKeyExchange');
        if (message.body.length !== 0) fail(ProtocolErrorCode.Malformed, 'ServerHelloDone body');
        this.transcript.push(whole);
        out.datagrams.push(...this.clientFlight());
        this.state = 'finishing';
        return;
      case HandshakeType.Finished: {
        this.expect('finishing', 'Finished');
        if (this.readEpoch !== 1) fail(ProtocolErrorCode.BadState, 'Finished before ChangeCipherSpec');
        const expected = prf(this.master!, 'server finished', this.transcriptHash(), 12);
        if (!sameBytes(expected, message.body)) fail(ProtocolErrorCode.Malformed, 'server Finished does not verify');
        this.transcript.push(whole);
        this.flight = [];
        this.state = 'connected';
        out.srtpKeys = exportSrtpKeys(this.master!, this.clientRandom, this.serverRandom!);
        return;
      }
      default:
        fail(ProtocolErrorCode.Unsupported, `handshake message type ${message.type} from the server`);
    }
  }

  private expect(state: State, what: string): void {
    if (this.state !== state) fail(ProtocolErrorCode.BadState, `${what} in state ${this.state}`);
  }

  private sendClientHello(): Uint8Array[] {
    const hello = encodeHandshake(HandshakeType.ClientHello, this.messageSeq++, encodeClientHello(this.clientRandom, this.cookie));
    this.transcript.push(hello);
    this.flight = [{ type: ContentType.Handshake, epoch: 0, body: hello }];
    return this.encodeFlight();
  }

  /** Certificate (when asked), ClientKeyExchange, CertificateVerify (when asked), ChangeCipherSpec, Finished. */
  private clientFlight(): Uint8Array[] {
    const records: FlightRecord[] = [];
    const add = (type: number, body: Uint8Array): void => {
      const message = encodeHandshake(type, this.messageSeq++, body);
      this.transcript.push(message);
      records.push({ type: ContentType.Handshake, epoch: 0, body: message });
    };
    if (this.certificateRequested) add(HandshakeType.Certificate, encodeCertificateBody([this.init.certificateDer]));
    const ecdh: ECDH = createECDH('prime256v1');
    ecdh.generateKeys();
    const preMaster = guard('ECDH', () => new Uint8Array(ecdh.computeSecret(this.serverPoint!)));
    add(HandshakeType.ClientKeyExchange, encodeClientKeyExchange(new Uint8Array(ecdh.getPublicKey())));
    // RFC 7627 §3: the session hash covers the transcript up to and including ClientKeyExchange
    this.master = extendedMasterSecret(preMaster, this.transcriptHash());
    this.keys = keyBlock(this.master, this.clientRandom, this.serverRandom!);
    if (this.certificateRequested) {
      const signature = new Uint8Array(sign('sha256', concatBytes(this.transcript), this.init.privateKey));
      add(HandshakeType.CertificateVerify, encodeCertificateVerify(signature));
    }
    records.push({ type: ContentType.ChangeCipherSpec, epoch: 0, body: Uint8Array.of(1) });
    const verifyData = prf(this.master, 'client finished', this.transcriptHash(), 12);
    const finished = encodeHandshake(HandshakeType.Finished, this.messageSeq++, verifyData);
    this.transcript.push(finished);
    records.push({ type: ContentType.Handshake, epoch: 1, body: finished });
    this.flight = records;
    return this.encodeFlight();
  }

  /** The current flight as datagrams of at most `mtu` bytes, handshake messages fragmented to fit. */
  private encodeFlight(): Uint8Array[] {
    const datagrams: Uint8Array[] = [];
    let current: Uint8Array[] = [];
    let size = 0;
    const push = (record: Uint8Array): void => {
      if (size + record.length > this.mtu && current.length > 0) {
        datagrams.push(concatBytes(current));
        current = [];
        size = 0;
      }
      current.push(record);
      size += record.length;
    };
    for (const r of this.flight) {
      const overhead = RECORD_HEADER_BYTES + (r.epoch === 1 ? GCM_OVERHEAD : 0);
      const pieces = r.type === ContentType.Handshake ? fragments(r.body, this.mtu - overhead) : [r.body];
      for (const piece of pieces) push(r.epoch === 1 ? this.seal(r.type, piece) : this.plain(r.type, piece));
    }
    if (current.length > 0) datagrams.push(concatBytes(current));
    return datagrams;
  }

  private plain(type: ContentType, body: Uint8Array): Uint8Array {
    return concatBytes([encodeRecordHeader(type, 0, this.writeSeq[0]!++, body.length), body]);
  }

  private seal(type: ContentType, body: Uint8Array): Uint8Array {
    const keys = this.keys!;
    return sealRecord(keys.clientKey, keys.clientIv, type, 1, this.writeSeq[1]!++, body);
  }

  private transcriptHash(): Uint8Array {
    const hash = createHash('sha256');
    for (const m of this.transcript) hash.update(m);
    return new Uint8Array(hash.digest());
  }
}

/** One whole handshake message (header + body) as fragments whose records fit `room` bytes (RFC 6347 §4.2.3). */
function fragments(message: Uint8Array, room: number): Uint8Array[] {
  const body = message.subarray(HANDSHAKE_HEADER_BYTES);
  const chunk = room - HANDSHAKE_HEADER_BYTES;
  if (body.length <= chunk) return [message];
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < body.length; offset += chunk) {
    const piece = body.subarray(offset, Math.min(body.length, offset + chunk));
    const fragment = new Uint8Array(HANDSHAKE_HEADER_BYTES + piece.length);
    fragment.set(message.subarray(0, 6)); // type, length, message_seq
    fragment[6] = offset >> 16;
    fragment[7] = (offset >> 8) & 0xff;
    fragment[8] = offset & 0xff;
    fragment[9] = piece.length >> 16;
    fragment[10] = (piece.length >> 8) & 0xff;
    fragment[11] = piece.length & 0xff;
    fragment.set(piece, HANDSHAKE_HEADER_BYTES);
    out.push(fragment);
  }
  return out;
}

/** node:crypto throws plain Errors on bad points, keys and certificates: a peer's bad bytes are a ProtocolError. */
function guard<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (isProtocolError(err)) throw err;
    throw new ProtocolError(ProtocolErrorCode.Malformed, `DTLS: ${what}: ${(err as Error).message}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
