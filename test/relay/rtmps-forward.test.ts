// RTMPS forward: a TLS-terminating listener with a self-signed certificate (openssl) proxies to
// a second engine's plain RTMP port. With verification on (the default) the forward refuses the
// certificate and says so; with the insecure switch it goes through and the stream plays.
import { afterAll, describe, expect, test } from 'bun:test';
import type { Socket, TCPSocketListener } from 'bun';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, probe, publishPattern, run, tempDir, waitFor } from '../e2e/harness.ts';
import { startRelayEngine, type RelayTestEngine } from './relay-harness.ts';

const engines: RelayTestEngine[] = [];
const listeners: TCPSocketListener<unknown>[] = [];
const dir = tempDir();
afterAll(async () => {
  for (const engine of engines) engine.stop();
  for (const listener of listeners) listener.stop(true);
  await killAll();
  dir.remove();
});

type Pipe = { upstream: Socket<undefined> | null; pending: Uint8Array[] };

/** TLS in front, plain TCP to 127.0.0.1:targetPort behind. */
function startTlsProxy(cert: string, key: string, targetPort: number): number {
  const listener = Bun.listen<Pipe>({
    hostname: '127.0.0.1',
    port: 0,
    tls: { cert, key },
    socket: {
      open(client) {
        client.data = { upstream: null, pending: [] };
        void Bun.connect<undefined>({
          hostname: '127.0.0.1',
          port: targetPort,
          socket: {
            data: (_s, bytes) => void client.write(bytes),
            close: () => void client.end(),
            error: () => void client.end(),
          },
        }).then((upstream) => {
          client.data.upstream = upstream;
          for (const bytes of client.data.pending) upstream.write(bytes);
          client.data.pending = [];
        }, () => void client.end());
      },
      data(client, bytes) {
        if (client.data.upstream) client.data.upstream.write(bytes);
        else client.data.pending.push(new Uint8Array(bytes));
      },
      close(client) {
        void client.data?.upstream?.end();
      },
    },
  });
  listeners.push(listener as unknown as TCPSocketListener<unknown>);
  return listener.port;
}

describe('RTMPS forward', () => {
  test('forwards over TLS to a self-signed listener only when told to skip verification', async () => {
    const keyFile = join(dir.path, 'key.pem');
    const certFile = join(dir.path, 'cert.pem');
    const made = await run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost']);
    expect(made.exitCode).toBe(0);
    const receiver = startRelayEngine();
    engines.push(receiver);
    const tlsPort = startTlsProxy(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), receiver.rtmpPort);

    // Verification on: the certificate is refused and the error is shown while it retries.
    const strict = startRelayEngine({ forwardTargets: () => [`rtmps://127.0.0.1:${tlsPort}/live/strict`] });
    engines.push(strict);
    const p1 = await publishPattern(strict.rtmpUrl('live/s'), { seconds: 6, bFrames: 0 });
    expect(await waitFor(() => strict.relays.status().some((r) => r.state === 'retrying'), 8000)).toBe(true);
    const failed = strict.relays.status().find((r) => r.kind === 'forward')!;
    expect(failed.lastError ?? '').toMatch(/cert|self|signed|verify|connect/i);
    expect(receiver.context.streams.find('live', 'strict')?.publisher ?? null).toBeNull();

    // Insecure switch: the same target works.
    const lax = startRelayEngine({ forwardTargets: () => [`rtmps://127.0.0.1:${tlsPort}/live/tls`], relay: { insecureTls: true } });
    engines.push(lax);
    const p2 = await publishPattern(lax.rtmpUrl('live/t'), { seconds: 10, bFrames: 2 });
    expect(await waitFor(() => lax.relays.status().some((r) => r.state === 'live'), 8000)).toBe(true);
    expect(await waitFor(() => receiver.context.streams.find('live', 'tls')?.started === true, 8000)).toBe(true);
    const probed = await probe(receiver.httpUrl('live/tls.flv'), { packets: true, seconds: 1 });
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(lax.relays.status()[0]!.bytesOut).toBeGreaterThan(10_000);
    await p1.stop();
    await p2.stop();
  }, 60_000);
});
