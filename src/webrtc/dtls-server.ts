// The server side of a DTLS 1.2 handshake for DTLS-SRTP (RFC 6347, RFC 5764): one cipher suite
// (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), one SRTP profile (SRTP_AES128_CM_HMAC_SHA1_80), extended master
// secret required, the client's certificate required and checked against the fingerprint its SDP offer declared.
// Datagrams in, datagrams out; the client drives retransmission (a repeated flight from it makes us resend ours),
// so this side needs no timer. No HelloVerifyRequest: the 5-tuple already passed an ICE check under the
// session's password before any DTLS from it is read, which is the return-routability a cookie would prove.
import { constantTimeEqualBytes } from '../shared/constant-time.ts';
import { createECDH, createHash, sign, verify, X509Certificate, type ECDH, type KeyObject } from 'node:crypto';
import { concatBytes } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode, isProtocolError } from '../shared/protocol-error.ts';
import { fingerprintOf } from './certificate.ts';
import {
  exportSrtpKeys, extendedMasterSecret, keyBlock, openRecord, prf, sealRecord, type RecordKeys, type SrtpKeyMaterial,
} from './dtls-crypto.ts';
import {
  CIPHER_ECDHE_ECDSA_AES128_GCM_SHA256, ExtensionType, HandshakeReassembler, HandshakeType, SIG_ECDSA_SHA256, SRTP_AES128_CM_HMAC_SHA1_80,
  encodeCertificateBody, encodeCertificateRequest, encodeEcdheParams, encodeHandshake, encodeServerHello, encodeServerKeyExchange,
  parseCertificateBody, parseCertificateVerify, parseClientHello, parseClientKeyExchange, type HandshakeMessage,
} from './dtls-handshake.ts';
import { ContentType, encodeRecordHeader, parseDtlsRecords, type DtlsRecord } from './dtls-record.ts';

export type DtlsServerInit = Readonly<{
  certificateDer: Uint8Array;
  privateKey: KeyObject;
  /** the client's sha-256 fingerprint from its SDP (upper-case hex with colons) */
  peerFingerprint: string;
  /** random bytes (node:crypto's randomBytes by default; tests pass a fixed source) */
  random: (size: number) => Uint8Array;
}>;

export type DtlsOutput = {
  datagrams: Uint8Array[];
  /** set once, by the datagram that completed the handshake */
  srtpKeys: SrtpKeyMaterial | null;
  /** the peer sent an alert that ends the association (close_notify or fatal) */
  closed: boolean;
};

type State = 'hello' | 'client-flight' | 'connected' | 'closed';
const ALERT_FATAL = 2;
const ALERT_CLOSE_NOTIFY = 0;

function fail(code: ProtocolErrorCode, what: string): never {
  throw new ProtocolError(code, `DTLS: ${what}`);
}

export class DtlsServer {
  private state: State = 'hello';
  private readonly reassembler = new HandshakeReassembler();
  private readonly transcript: Uint8Array[] = [];
  private clientRandom: Uint8Array = new Uint8Array(0);
  private serverRandom: Uint8Array = new Uint8Array(0);
  private ecdh: ECDH | null = null;
  private peerCertificate: X509Certificate | null = null;
  private master: Uint8Array | null = null;
  private keys: RecordKeys | null = null;
  private readEpoch = 0;
  private writeSeq = [0, 0];
  private lastFlight: Uint8Array[] = [];
  private messageSeq = 0;

  constructor(private readonly init: DtlsServerInit) {}

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** One datagram from the peer. Bad bytes, a failed check or an unsupported offer throw a ProtocolError. */
  handle(datagram: Uint8Array): DtlsOutput {
    const out: DtlsOutput = { datagrams: [], srtpKeys: null, closed: false };
    if (this.state === 'closed') return out;
    let resend = false;
    for (const record of parseDtlsRecords(datagram)) {
      const plaintext = this.open(record);
      if (plaintext === null) continue;
      if (record.type === ContentType.ChangeCipherSpec) {
        if (!this.keys) fail(ProtocolErrorCode.BadState, 'ChangeCipherSpec before ClientKeyExchange');
        this.readEpoch = 1;
      } else if (record.type === ContentType.Alert) {
        if (plaintext.length >= 2 && (plaintext[0] === ALERT_FATAL || plaintext[1] === ALERT_CLOSE_NOTIFY)) {
          this.state = 'closed';
          out.closed = true;
          return out;
        }
      } else if (record.type === ContentType.Handshake) {
        const { messages, repeated } = this.reassembler.push(plaintext);
        if (repeated) resend = true;
        for (const message of messages) this.onMessage(message, out);
      }
      // application data: WebRTC data channels are not offered, nothing is expected here
    }
    if (resend && out.datagrams.length === 0 && this.lastFlight.length > 0) out.datagrams.push(...this.lastFlight);
    return out;
  }

  /** The record's plaintext, or null for one this state cannot read yet (a later epoch: the peer resends it). */
  private open(record: DtlsRecord): Uint8Array | null {
    if (record.epoch === 0) {
      // after the switch, epoch 0 carries only retransmissions of the client's first flights
      return record.type === ContentType.ApplicationData ? null : record.fragment;
    }
    if (record.epoch !== 1 || this.readEpoch !== 1 || !this.keys) return null;
    return openRecord(this.keys.clientKey, this.keys.clientIv, record.type, record.epoch, record.sequence, record.fragment);
  }

  private onMessage(message: HandshakeMessage, out: DtlsOutput): void {
    const whole = encodeHandshake(message.type, message.messageSeq, message.body);
    switch (message.type) {
      case HandshakeType.ClientHello:
        if (this.state !== 'hello') fail(ProtocolErrorCode.BadState, 'second ClientHello (renegotiation is not supported)');
        this.transcript.push(whole);
        out.datagrams.push(this.serverFlight(message.body));
        this.state = 'client-flight';
        return;
      case HandshakeType.Certificate: {
        this.expect('client-flight', 'Certificate');
        const chain = parseCertificateBody(message.body);
        const leaf = chain[0];
        if (!leaf) fail(ProtocolErrorCode.Malformed, 'the client sent no certificate');
        if (fingerprintOf(leaf) !== this.init.peerFingerprint.toUpperCase()) fail(ProtocolErrorCode.Malformed, 'client certificate does not match the SDP fingerprint');
        this.peerCertificate = crypto('client certificate', () => new X509Certificate(leaf));
        this.transcript.push(whole);
        return;
      }
      case HandshakeType.ClientKeyExchange: {
        this.expect('client-flight', 'ClientKeyExchange');
        if (!this.peerCertificate) fail(ProtocolErrorCode.BadState, 'ClientKeyExchange without a client certificate');
        const point = parseClientKeyExchange(message.body);
        const preMaster = crypto('ECDH', () => new Uint8Array(this.ecdh!.computeSecret(point)));
        this.transcript.push(whole);
        const sessionHash = this.transcriptHash();
        this.master = extendedMasterSecret(preMaster, sessionHash);
        this.keys = keyBlock(this.master, this.clientRandom, this.serverRandom);
        return;
      }
      case HandshakeType.CertificateVerify: {
        this.expect('client-flight', 'CertificateVerify');
        if (!this.peerCertificate || !this.keys) fail(ProtocolErrorCode.BadState, 'CertificateVerify before ClientKeyExchange');
        const { algorithm, signature } = parseCertificateVerify(message.body);
        if (algorithm !== SIG_ECDSA_SHA256) fail(ProtocolErrorCode.Unsupported, `CertificateVerify algorithm 0x${algorithm.toString(16)}`);
        const signed = concatBytes(this.transcript);
        const ok = crypto('CertificateVerify', () => verify('sha256', signed, this.peerCertificate!.publicKey, signature));
        if (!ok) fail(ProtocolErrorCode.Malformed, 'CertificateVerify signature does not verify');
        this.transcript.push(whole);
        return;
      }
      case HandshakeType.Finished: {
        this.expect('client-flight', 'Finished');
        if (this.readEpoch !== 1 || !this.master) fail(ProtocolErrorCode.BadState, 'Finished before ChangeCipherSpec');
        const expected = prf(this.master, 'client finished', this.transcriptHash(), 12);
        if (!constantTimeEqualBytes(expected, message.body)) fail(ProtocolErrorCode.Malformed, 'client Finished does not verify');
        this.transcript.push(whole);
        out.datagrams.push(this.finalFlight());
        out.srtpKeys = exportSrtpKeys(this.master, this.clientRandom, this.serverRandom);
        this.state = 'connected';
        return;
      }
      default:
        fail(ProtocolErrorCode.Unsupported, `handshake message type ${message.type}`);
    }
  }

  /**
   * A fatal handshake_failure alert (RFC 5246 §7.2) to send after handle() threw, so the peer stops retransmitting
   * at once instead of timing out; protected once the handshake has switched to epoch 1.
   */
  fatalAlert(): Uint8Array {
    const HANDSHAKE_FAILURE = 40;
    const alert = Uint8Array.of(ALERT_FATAL, HANDSHAKE_FAILURE);
    this.state = 'closed';
    if (this.keys && this.writeSeq[1]! > 0) return sealRecord(this.keys.serverKey, this.keys.serverIv, ContentType.Alert, 1, this.writeSeq[1]!++, alert);
    return this.plainRecord(ContentType.Alert, alert);
  }

  private expect(state: State, what: string): void {
    if (this.state !== state) fail(ProtocolErrorCode.BadState, `${what} in state ${this.state}`);
  }

  private serverFlight(clientHelloBody: Uint8Array): Uint8Array {
    const hello = parseClientHello(clientHelloBody);
    if (!hello.cipherSuites.includes(CIPHER_ECDHE_ECDSA_AES128_GCM_SHA256)) fail(ProtocolErrorCode.Unsupported, 'no TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 offered');
    if (!hello.srtpProfiles.includes(SRTP_AES128_CM_HMAC_SHA1_80)) fail(ProtocolErrorCode.Unsupported, 'no SRTP_AES128_CM_HMAC_SHA1_80 offered');
    if (!hello.extensions.has(ExtensionType.ExtendedMasterSecret)) fail(ProtocolErrorCode.Unsupported, 'no extended_master_secret (RFC 7627) offered');
    this.clientRandom = new Uint8Array(hello.random);
    this.serverRandom = this.init.random(32);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    this.ecdh = ecdh;
    const params = encodeEcdheParams(new Uint8Array(ecdh.getPublicKey()));
    const signature = new Uint8Array(sign('sha256', concatBytes([this.clientRandom, this.serverRandom, params]), this.init.privateKey));
    const bodies: Array<[number, Uint8Array]> = [
      [HandshakeType.ServerHello, encodeServerHello(this.serverRandom, new Uint8Array(0), hello.extensions.has(ExtensionType.EcPointFormats))],
      [HandshakeType.Certificate, encodeCertificateBody([this.init.certificateDer])],
      [HandshakeType.ServerKeyExchange, encodeServerKeyExchange(params, signature)],
      [HandshakeType.CertificateRequest, encodeCertificateRequest()],
      [HandshakeType.ServerHelloDone, new Uint8Array(0)],
    ];
    const records: Uint8Array[] = [];
    for (const [type, body] of bodies) {
      const message = encodeHandshake(type, this.messageSeq++, body);
      this.transcript.push(message);
      records.push(this.plainRecord(ContentType.Handshake, message));
    }
    const datagram = concatBytes(records);
    this.lastFlight = [datagram];
    return datagram;
  }

  private finalFlight(): Uint8Array {
    const keys = this.keys!;
    const verifyData = prf(this.master!, 'server finished', this.transcriptHash(), 12);
    const finished = encodeHandshake(HandshakeType.Finished, this.messageSeq++, verifyData);
    this.transcript.push(finished);
    const ccs = this.plainRecord(ContentType.ChangeCipherSpec, Uint8Array.of(1));
    const sealed = sealRecord(keys.serverKey, keys.serverIv, ContentType.Handshake, 1, this.writeSeq[1]!++, finished);
    const datagram = concatBytes([ccs, sealed]);
    this.lastFlight = [datagram];
    return datagram;
  }

  private plainRecord(type: ContentType, body: Uint8Array): Uint8Array {
    return concatBytes([encodeRecordHeader(type, 0, this.writeSeq[0]!++, body.length), body]);
  }

  private transcriptHash(): Uint8Array {
    const hash = createHash('sha256');
    for (const m of this.transcript) hash.update(m);
    return new Uint8Array(hash.digest());
  }
}

/** node:crypto throws plain Errors on bad points, keys and certificates: a peer's bad bytes are a ProtocolError. */
function crypto<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (isProtocolError(err)) throw err;
    throw new ProtocolError(ProtocolErrorCode.Malformed, `DTLS: ${what}: ${(err as Error).message}`);
  }
}

