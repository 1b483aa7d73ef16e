// The DTLS server against an independent implementation: `openssl s_client -dtls1_2` with a client certificate
// and use_srtp completes the handshake over loopback UDP, and the SRTP keying material it exports
// (EXTRACTOR-dtls_srtp, RFC 5764 §4.2) is byte for byte the material our server derived. A client whose
// certificate is not the one the offer's fingerprint names is refused.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { createDtlsCertificate, fingerprintOf } from '../../src/webrtc/certificate.ts';
import type { SrtpKeyMaterial } from '../../src/webrtc/dtls-crypto.ts';
import { DtlsServer } from '../../src/webrtc/dtls-server.ts';
import { run } from '../e2e/harness.ts';

let dir: string;
let clientFingerprint: string;

// Alike in shape to dtls-client-openssl.test.ts's set-up; see there why the two stay apart.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weir-dtls-'));
  const made = await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=client', '-days', '1']);
  expect(made.exitCode).toBe(0);
  await run(['openssl', 'x509', '-in', join(dir, 'c.pem'), '-outform', 'DER', '-out', join(dir, 'c.der')]);
  clientFingerprint = fingerprintOf(new Uint8Array(readFileSync(join(dir, 'c.der'))));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function handshake(peerFingerprint: string) {
  const certificate = createDtlsCertificate();
  const server = new DtlsServer({ certificateDer: certificate.der, privateKey: certificate.privateKey, peerFingerprint, random: (n) => crypto.getRandomValues(new Uint8Array(n)) });
  let keys: SrtpKeyMaterial | null = null;
  let failure: unknown = null;
  const socket = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    binaryType: 'uint8array',
    socket: {
      data: (s, data, port, address) => {
        if (failure) return;
        try {
          const out = server.handle(data);
          for (const d of out.datagrams) s.send(d, port, address);
          keys ??= out.srtpKeys;
        } catch (err) {
          failure = err;
          s.send(server.fatalAlert(), port, address);
        }
      },
    },
  });
  const client = await run(
    [
      'openssl', 's_client', '-dtls1_2', '-connect', `127.0.0.1:${socket.port}`, '-use_srtp', 'SRTP_AES128_CM_SHA1_80',
      '-cert', join(dir, 'c.pem'), '-key', join(dir, 'k.pem'), '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256',
      '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60', '-timeout',
    ],
    20_000,
  );
  socket.close();
  return { client, keys: keys as SrtpKeyMaterial | null, failure, fingerprint: certificate.fingerprint };
}

describe('DTLS 1.2 server against openssl s_client', () => {
  test('handshake completes with SRTP_AES128_CM_SHA1_80, and both sides export the same SRTP keys', async () => {
    const { client, keys, failure, fingerprint } = await handshake(clientFingerprint);
    expect(failure).toBeNull();
    expect(keys).not.toBeNull();
    const exported = /Keying material:\s*([0-9A-F]+)/i.exec(client.stdout)?.[1];
    if (!exported) throw new Error(`no keying material from openssl:\n${client.stdout}\n${client.stderr}`);
    const k = keys!;
    expect(Buffer.concat([k.clientKey, k.serverKey, k.clientSalt, k.serverSalt]).toString('hex').toUpperCase()).toBe(exported.toUpperCase());
    expect(client.stdout).toContain('SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80');
    expect(client.stdout).toContain('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(client.stdout).toContain('Extended master secret: yes');
    // the certificate openssl saw is the one our SDP answer would name
    expect(client.stdout).toContain('CN = weir');
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  }, 30_000);

  test('a client certificate that does not match the offered fingerprint is refused', async () => {
    const { keys, failure, client } = await handshake('00:'.repeat(31) + '00');
    expect(keys).toBeNull();
    expect(isProtocolError(failure)).toBe(true);
    expect((failure as Error).message).toContain('fingerprint');
    // the alert ended openssl's handshake at once instead of its retransmission timeout
    expect(client.stderr + client.stdout).toMatch(/alert handshake failure/i);
  }, 30_000);
});
