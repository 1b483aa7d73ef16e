// The DTLS client against an independent implementation: `openssl s_server -dtls1_2 -use_srtp
// SRTP_AES128_CM_SHA1_80` over loopback UDP (it asks for our certificate with -verify and, by default, proves our
// address with a HelloVerifyRequest cookie first). The SRTP keying material openssl exports (EXTRACTOR-dtls_srtp,
// RFC 5764 §4.2) is byte for byte what our client derived, it saw our certificate, and our close_notify ends it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createDtlsCertificate, fingerprintOf } from '../../src/webrtc/certificate.ts';
import { DtlsClient } from '../../src/webrtc/dtls-client.ts';
import { HandshakeType, HANDSHAKE_HEADER_BYTES, parseClientHello } from '../../src/webrtc/dtls-handshake.ts';
import type { SrtpKeyMaterial } from '../../src/webrtc/dtls-crypto.ts';
import { ContentType, parseDtlsRecords } from '../../src/webrtc/dtls-record.ts';
import { freePort, run } from '../e2e/harness.ts';

let dir: string;
let serverFingerprint: string;

// Alike in shape to dtls-openssl.test.ts's set-up (an openssl certificate in a temp dir); kept apart because there openssl is the client and here the server, with other files and peers.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weir-dtls-client-'));
  const made = await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=openssl-server', '-days', '1']);
  expect(made.exitCode).toBe(0);
  await run(['openssl', 'x509', '-in', join(dir, 'c.pem'), '-outform', 'DER', '-out', join(dir, 'c.der')]);
  serverFingerprint = fingerprintOf(new Uint8Array(readFileSync(join(dir, 'c.der'))));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function handshake(peerFingerprint: string) {
  const port = freePort();
  const server = Bun.spawn(
    [
      'openssl', 's_server', '-dtls1_2', '-port', String(port), '-cert', join(dir, 'c.pem'), '-key', join(dir, 'k.pem'),
      '-use_srtp', 'SRTP_AES128_CM_SHA1_80', '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60', '-verify', '1', '-naccept', '1',
    ],
    { stdout: 'pipe', stderr: 'pipe', stdin: 'pipe' },
  );
  const killer = setTimeout(() => server.kill('SIGKILL'), 25_000);
  let stdout = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of server.stdout) stdout += decoder.decode(chunk);
  })();
  try {
    for (let i = 0; i < 200 && !stdout.includes('ACCEPT'); i++) await Bun.sleep(50);
    expect(stdout).toContain('ACCEPT');
    const certificate = createDtlsCertificate('weir-client');
    const client = new DtlsClient({ certificateDer: certificate.der, privateKey: certificate.privateKey, peerFingerprint, random: (n) => crypto.getRandomValues(new Uint8Array(n)) });
    let keys: SrtpKeyMaterial | null = null;
    let failure: unknown = null;
    let closed = false;
    const sent: Uint8Array[] = [];
    const socket = await Bun.udpSocket({
      hostname: '127.0.0.1',
      port: 0,
      binaryType: 'uint8array',
      socket: {
        data: (s, data) => {
          if (failure || closed) return;
          try {
            const out = client.handle(data);
            for (const d of out.datagrams) {
              sent.push(d);
              s.send(d, port, '127.0.0.1');
            }
            keys ??= out.srtpKeys;
            closed = out.closed;
          } catch (err) {
            failure = err;
            s.send(client.fatalAlert(), port, '127.0.0.1');
          }
        },
      },
    });
    const send = (ds: Uint8Array[]) => ds.forEach((d) => { sent.push(d); socket.send(d, port, '127.0.0.1'); });
    send(client.start());
    // the caller's retransmission timer (RFC 6347 §4.2.4.1 starts at 1 s; loopback needs less)
    const timer = setInterval(() => send(client.retransmit()), 400);
    for (let i = 0; i < 200 && !keys && !failure && !closed; i++) await Bun.sleep(50);
    clearInterval(timer);
    if (keys) socket.send(client.close(), port, '127.0.0.1');
    await Promise.race([server.exited, Bun.sleep(5000)]);
    socket.close();
    if (server.exitCode === null) server.kill('SIGTERM');
    await server.exited;
    await reading;
    const stderr = await new Response(server.stderr).text();
    return { keys: keys as SrtpKeyMaterial | null, failure, stdout, stderr, sent, certificate };
  } finally {
    clearTimeout(killer);
  }
}

describe('DTLS 1.2 client against openssl s_server', () => {
  test('handshake (cookie exchange, client certificate) and both sides export the same SRTP keys', async () => {
    const { keys, failure, stdout, stderr, sent, certificate } = await handshake(serverFingerprint);
    expect(failure).toBeNull();
    if (!keys) throw new Error(`no handshake:\n${stdout}\n${stderr}`);
    const exported = /Keying material:\s*([0-9A-F]+)/i.exec(stdout)?.[1];
    if (!exported) throw new Error(`no keying material from openssl:\n${stdout}\n${stderr}`);
    expect(Buffer.concat([keys.clientKey, keys.serverKey, keys.clientSalt, keys.serverSalt]).toString('hex').toUpperCase()).toBe(exported.toUpperCase());
    expect(stdout).toContain('SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80');
    expect(stdout).toContain('CIPHER is ECDHE-ECDSA-AES128-GCM-SHA256');
    // openssl got our certificate (the one whose fingerprint an offer carries)
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(certificate.der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----`;
    expect(stdout).toContain(pem);
    // openssl asked for a cookie first: a second ClientHello, message 1, carries it
    const hellos = sent.flatMap((d) => parseDtlsRecords(d)).filter((r) => r.type === ContentType.Handshake && r.epoch === 0 && r.fragment[0] === HandshakeType.ClientHello);
    const withCookie = hellos.map((r) => parseClientHello(r.fragment.subarray(HANDSHAKE_HEADER_BYTES))).filter((h) => h.cookie.length > 0);
    expect(withCookie.length).toBeGreaterThan(0);
    // our close_notify ended openssl's connection
    expect(stdout).toContain('DONE');
  }, 40_000);

  test('a server certificate that is not the answer’s is refused with a typed error and an alert', async () => {
    const { keys, failure, stdout, stderr } = await handshake(createDtlsCertificate().fingerprint);
    expect(keys).toBeNull();
    expect((failure as Error)?.name).toBe('ProtocolError');
    expect((failure as Error).message).toContain('fingerprint');
    expect(stdout + stderr).toMatch(/alert handshake failure|handshake failure/i);
  }, 40_000);
});
