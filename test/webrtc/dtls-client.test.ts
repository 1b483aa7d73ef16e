// The DTLS client against our DTLS server, in memory: the handshake completes and both sides export the same
// SRTP keying material; it survives fragmentation (its own, to a small MTU, and the server's flight cut into tiny
// fragments, shuffled and duplicated in separate datagrams), lost flights (the caller's retransmit), and refuses
// what it must: a server certificate that is not the answer's, a forged signature or Finished, truncated records.
import { describe, expect, test } from 'bun:test';
import { ProtocolError, isProtocolError } from '../../src/shared/protocol-error.ts';
import { createDtlsCertificate } from '../../src/webrtc/certificate.ts';
import { DtlsClient } from '../../src/webrtc/dtls-client.ts';
import { HELLO_VERIFY_REQUEST } from '../../src/webrtc/dtls-client-messages.ts';
import type { SrtpKeyMaterial } from '../../src/webrtc/dtls-crypto.ts';
import { HANDSHAKE_HEADER_BYTES, HandshakeReassembler, HandshakeType, encodeHandshake, parseClientHello } from '../../src/webrtc/dtls-handshake.ts';
import { ContentType, encodeRecordHeader, parseDtlsRecords } from '../../src/webrtc/dtls-record.ts';
import { DtlsServer } from '../../src/webrtc/dtls-server.ts';

const serverCert = createDtlsCertificate('server');
const clientCert = createDtlsCertificate('client');
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function pair(o: { mtu?: number; serverSees?: string; clientSees?: string } = {}) {
  const client = new DtlsClient({
    certificateDer: clientCert.der, privateKey: clientCert.privateKey, peerFingerprint: o.clientSees ?? serverCert.fingerprint, random,
    ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
  });
  const server = new DtlsServer({ certificateDer: serverCert.der, privateKey: serverCert.privateKey, peerFingerprint: o.serverSees ?? clientCert.fingerprint, random });
  return { client, server };
}

const hex = (k: SrtpKeyMaterial | null) => (k ? Buffer.concat([k.clientKey, k.serverKey, k.clientSalt, k.serverSalt]).toString('hex') : null);

/**
 * Runs the exchange with optional mangling of each direction's datagrams; returns both sides' keys.
 * `toServer`/`toClient` map the datagrams of one step to what is delivered (dropped, split, reordered).
 */
function run(
  client: DtlsClient,
  server: DtlsServer,
  mangle: { toServer?: (d: Uint8Array[], step: number) => Uint8Array[]; toClient?: (d: Uint8Array[], step: number) => Uint8Array[] } = {},
) {
  let clientKeys: SrtpKeyMaterial | null = null;
  let serverKeys: SrtpKeyMaterial | null = null;
  let toServer = client.start();
  for (let step = 0; step < 20 && !(client.connected && server.connected); step++) {
    const toClient: Uint8Array[] = [];
    for (const d of mangle.toServer ? mangle.toServer(toServer, step) : toServer) {
      const out = server.handle(d);
      serverKeys ??= out.srtpKeys;
      toClient.push(...out.datagrams);
    }
    toServer = [];
    for (const d of mangle.toClient ? mangle.toClient(toClient, step) : toClient) {
      const out = client.handle(d);
      clientKeys ??= out.srtpKeys;
      toServer.push(...out.datagrams);
    }
    // nothing came back: the caller's timer fires
    if (toServer.length === 0 && client.awaitingReply) toServer = client.retransmit();
  }
  return { clientKeys, serverKeys };
}

/** Every handshake message of a datagram's epoch-0 records, re-cut into fragments of `size` bytes, one record each. */
function recut(datagram: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seq = 1000;
  for (const r of parseDtlsRecords(datagram)) {
    if (r.type !== ContentType.Handshake || r.epoch !== 0) {
      out.push(Buffer.concat([encodeRecordHeader(r.type, r.epoch, r.sequence, r.fragment.length), r.fragment]));
      continue;
    }
    const f = r.fragment;
    const body = f.subarray(HANDSHAKE_HEADER_BYTES);
    for (let off = 0; off < body.length || off === 0; off += size) {
      const piece = body.subarray(off, Math.min(body.length, off + size));
      const header = Uint8Array.from(f.subarray(0, HANDSHAKE_HEADER_BYTES));
      header.set([off >> 16, (off >> 8) & 0xff, off & 0xff, piece.length >> 16, (piece.length >> 8) & 0xff, piece.length & 0xff], 6);
      const frag = Buffer.concat([header, piece]);
      out.push(Buffer.concat([encodeRecordHeader(ContentType.Handshake, 0, seq++, frag.length), frag]));
      if (body.length === 0) break;
    }
  }
  return out;
}

function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function thrown(step: () => unknown): ProtocolError {
  try {
    step();
  } catch (err) {
    if (isProtocolError(err)) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('DTLS client against our DTLS server', () => {
  test('the handshake completes and both sides export the same SRTP keying material', () => {
    const { client, server } = pair();
    const { clientKeys, serverKeys } = run(client, server);
    expect(client.connected).toBe(true);
    expect(server.connected).toBe(true);
    expect(clientKeys).not.toBeNull();
    expect(hex(clientKeys)).toBe(hex(serverKeys));
    expect(client.awaitingReply).toBe(false);
    expect(client.retransmit()).toEqual([]);
  });

  test('the ClientHello offers exactly what the server negotiates', () => {
    const { client } = pair();
    const [hello] = client.start();
    const record = parseDtlsRecords(hello!)[0]!;
    const body = record.fragment.subarray(HANDSHAKE_HEADER_BYTES);
    const parsed = parseClientHello(body);
    expect(parsed.cipherSuites).toEqual([0xc02b]);
    expect(parsed.srtpProfiles).toEqual([0x0001]);
    expect(parsed.extensions.has(0x0017)).toBe(true);
    expect(parsed.cookie.length).toBe(0);
  });

  test('a small MTU: the client fragments its flight and the server reassembles it', () => {
    const { client, server } = pair({ mtu: 256 });
    let largest = 0;
    const { clientKeys, serverKeys } = run(client, server, {
      toServer: (d) => {
        for (const x of d) largest = Math.max(largest, x.length);
        return d;
      },
    });
    expect(largest).toBeLessThanOrEqual(256);
    expect(clientKeys).not.toBeNull();
    expect(hex(clientKeys)).toBe(hex(serverKeys));
  });

  test('the server flight cut into 7-byte fragments, one per datagram, shuffled and duplicated', () => {
    const { client, server } = pair();
    const { clientKeys, serverKeys } = run(client, server, {
      toClient: (d, step) => (step === 0 ? shuffle(d.flatMap((x) => recut(x, 7)).flatMap((x) => [x, x]), 7) : d),
    });
    expect(clientKeys).not.toBeNull();
    expect(hex(clientKeys)).toBe(hex(serverKeys));
  });

  test('a lost client flight and a lost final server flight are recovered by retransmission', () => {
    const { client, server } = pair();
    const { clientKeys, serverKeys } = run(client, server, {
      toServer: (d, step) => (step === 1 ? [] : d), // the client's Certificate…Finished flight, once
      toClient: (d, step) => (step === 2 ? [] : d), // the server's ChangeCipherSpec + Finished, once
    });
    expect(clientKeys).not.toBeNull();
    expect(hex(clientKeys)).toBe(hex(serverKeys));
  });

  test('a retransmitted flight gets new record sequence numbers (a peer with replay detection keeps it)', () => {
    const { client } = pair();
    const first = parseDtlsRecords(client.start()[0]!)[0]!;
    const again = parseDtlsRecords(client.retransmit()[0]!)[0]!;
    expect(again.sequence).toBe(first.sequence + 1);
    expect(again.fragment).toEqual(first.fragment);
  });

  test('a HelloVerifyRequest: the ClientHello is sent again with the cookie, as message 1', () => {
    const { client } = pair();
    client.start();
    const cookie = Uint8Array.of(9, 8, 7, 6);
    const hvr = encodeHandshake(HELLO_VERIFY_REQUEST, 0, Uint8Array.of(0xfe, 0xff, cookie.length, ...cookie));
    const out = client.handle(Buffer.concat([encodeRecordHeader(ContentType.Handshake, 0, 0, hvr.length), hvr]));
    const messages = new HandshakeReassembler().push(parseDtlsRecords(out.datagrams[0]!)[0]!.fragment);
    expect(messages.messages).toEqual([]); // message_seq 1: a server expecting 0 waits
    const record = parseDtlsRecords(out.datagrams[0]!)[0]!.fragment;
    expect(record[0]).toBe(HandshakeType.ClientHello);
    expect((record[4]! << 8) | record[5]!).toBe(1);
    expect(parseClientHello(record.subarray(HANDSHAKE_HEADER_BYTES)).cookie).toEqual(cookie);
    // a second HelloVerifyRequest is out of turn
    const hvr2 = encodeHandshake(HELLO_VERIFY_REQUEST, 1, Uint8Array.of(0xfe, 0xff, 1, 1));
    expect(thrown(() => client.handle(Buffer.concat([encodeRecordHeader(ContentType.Handshake, 0, 1, hvr2.length), hvr2]))).code).toBe('bad-state');
  });
});

describe('DTLS client refusals', () => {
  test('a server certificate that is not the one the answer named', () => {
    const { client, server } = pair({ clientSees: createDtlsCertificate().fingerprint });
    const flight = server.handle(client.start()[0]!).datagrams;
    const err = thrown(() => client.handle(flight[0]!));
    expect(err.message).toContain('fingerprint');
    // the alert it then sends ends the server's side at once
    expect(server.handle(client.fatalAlert()).closed).toBe(true);
    expect(client.isClosed).toBe(true);
  });

  test('the server refusing our certificate: its fatal alert closes the client', () => {
    const { client, server } = pair({ serverSees: createDtlsCertificate().fingerprint });
    const flight = server.handle(client.start()[0]!).datagrams;
    const ours = client.handle(flight[0]!).datagrams;
    expect(() => ours.forEach((d) => server.handle(d))).toThrow(ProtocolError);
    const out = client.handle(server.fatalAlert());
    expect(out.closed).toBe(true);
    expect(client.connected).toBe(false);
  });

  test('a forged ServerKeyExchange signature', () => {
    const { client, server } = pair();
    const flight = server.handle(client.start()[0]!).datagrams[0]!;
    // the ServerKeyExchange is the third record; its last byte is the signature's
    const records = parseDtlsRecords(flight);
    const kx = records[2]!;
    expect(kx.fragment[0]).toBe(HandshakeType.ServerKeyExchange);
    const forged = Uint8Array.from(flight);
    const at = kx.fragment.byteOffset - flight.byteOffset + kx.fragment.length - 1;
    forged[at]! ^= 0x01;
    expect(thrown(() => client.handle(forged)).message).toMatch(/ServerKeyExchange/);
  });

  test('a server Finished that does not authenticate', () => {
    const { client, server } = pair();
    const flight = server.handle(client.start()[0]!).datagrams[0]!;
    let final: Uint8Array[] = [];
    for (const d of client.handle(flight).datagrams) final = server.handle(d).datagrams;
    const tampered = Uint8Array.from(final[0]!);
    tampered[tampered.length - 1]! ^= 0x80;
    expect(thrown(() => client.handle(tampered)).code).toBe('malformed');
    expect(client.connected).toBe(false);
  });

  test('truncated and foreign bytes are typed errors, never crashes', () => {
    const { client, server } = pair();
    const flight = server.handle(client.start()[0]!).datagrams[0]!;
    expect(thrown(() => client.handle(flight.subarray(0, 40))).code).toBe('truncated');
    expect(thrown(() => client.handle(Uint8Array.of(22, 0xfe, 0xfd, 0, 0))).code).toBe('truncated');
    expect(thrown(() => client.handle(Uint8Array.of(99, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))).code).toBe('malformed');
    // a ServerHello choosing another suite
    const hello = Uint8Array.from(parseDtlsRecords(flight)[0]!.fragment);
    const body = hello.subarray(HANDSHAKE_HEADER_BYTES);
    const suiteAt = 2 + 32 + 1 + body[34]!;
    body[suiteAt + 1] = 0x2c;
    const { client: c2 } = pair();
    c2.start();
    expect(thrown(() => c2.handle(Buffer.concat([encodeRecordHeader(ContentType.Handshake, 0, 0, hello.length), hello]))).code).toBe('unsupported');
    // a ServerHello before we said hello is out of turn; data before the handshake is ignored
    const { client: c3 } = pair();
    expect(c3.handle(flight).datagrams).toEqual([]);
  });

  test('fuzz: random mutations of the server flight throw only ProtocolErrors', () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const { client: c0, server } = pair();
    const flight = server.handle(c0.start()[0]!).datagrams[0]!;
    for (let i = 0; i < 300; i++) {
      const { client } = pair();
      client.start();
      const m = Uint8Array.from(flight.subarray(0, next() % 3 === 0 ? next() % flight.length : flight.length));
      for (let k = 0; k < 1 + (next() % 4); k++) if (m.length > 0) m[next() % m.length] = next() & 0xff;
      try {
        client.handle(m);
      } catch (err) {
        if (!isProtocolError(err)) throw err;
      }
    }
  });
});
