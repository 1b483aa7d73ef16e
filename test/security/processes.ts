// Real Weir processes for the security reproductions: the control plane and the engine run
// from source as `npm start` runs them, on loopback ports from freePort(), ended by PID.
import { join } from 'node:path';
import { freePort, startProcess as startHarnessProcess, tempDir, waitFor, type Proc } from '../e2e/harness.ts';
export type { Proc };


/** NODE_ENV is cleared on purpose: Bun's development mode is what served the old error page. */
export function startProcess(args: string[], env: Record<string, string> = {}, binary: string | null = null): Proc {
  return startHarnessProcess(args, { NODE_ENV: '', ...env }, binary);
}

export type ControlPlane = Readonly<{ proc: Proc; httpPort: number; configPort: number; dataDir: string; remove(): Promise<void> }>;

/** weir-control (from source, or a compiled `binary`) with a known admin password; resolves once the console listens */
export async function startControlPlane(adminPassword: string, engineApiPort = freePort(), binary: string | null = null): Promise<ControlPlane> {
  const dir = tempDir();
  const httpPort = freePort();
  const configPort = freePort();
  const dataDir = join(dir.path, 'data');
  const proc = startProcess(
    ['src/control-plane.ts', '--data-dir', dataDir, '--config-port', String(configPort), '--http-host', '127.0.0.1',
      '--http-port', String(httpPort), '--engine-api', `http://127.0.0.1:${engineApiPort}`],
    { WEIR_ADMIN_PASSWORD: adminPassword },
    binary,
  );
  const up = await waitFor(() => proc.logs.some((l) => l.includes('console and REST API listening')), 20_000, 50);
  if (!up) {
    await proc.stop();
    dir.remove();
    throw new Error(`control plane did not start:\n${proc.logs.join('\n')}`);
  }
  return { proc, httpPort, configPort, dataDir, remove: async () => { await proc.stop(); dir.remove(); } };
}

/** One raw HTTP/1.1 request, so the Host header can be anything fetch() would refuse to send. */
export async function rawRequest(port: number, lines: { method?: string; path: string; host: string; headers?: Record<string, string> }): Promise<{ status: number; head: string; body: string }> {
  const chunks: Buffer[] = [];
  const extra = Object.entries(lines.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('no answer within 10 s')), 10_000);
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(s) {
          s.write(`${lines.method ?? 'GET'} ${lines.path} HTTP/1.1\r\nHost: ${lines.host}\r\n${extra}Connection: close\r\n\r\n`);
        },
        data(_s, d) {
          chunks.push(Buffer.from(d));
        },
        close() {
          clearTimeout(timer);
          done();
        },
        error(_s, err) {
          clearTimeout(timer);
          fail(err);
        },
      },
    }).catch(fail);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? '0');
  return { status, head, body: split < 0 ? '' : text.slice(split + 4) };
}

export type RawAnswer = Readonly<{ status: number; headers: ReadonlyMap<string, string>; body: string }>;

/**
 * One HTTP/1.1 request to 127.0.0.1:port sent from a chosen loopback source address
 * (127.0.0.2, 127.0.0.3...), so a test can be several clients as the server sees them.
 */
export async function requestFrom(
  localAddress: string,
  port: number,
  request: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawAnswer> {
  const { connect } = await import('node:net');
  const body = request.body ?? '';
  const headers = { host: `127.0.0.1:${port}`, connection: 'close', 'content-length': String(Buffer.byteLength(body)), ...request.headers };
  const head = `${request.method} ${request.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const text = await new Promise<string>((done, fail) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => socket.write(head + body));
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error('no answer within 15 s'));
    }, 15_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => {
      clearTimeout(timer);
      done(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
  });
  const split = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, split).split('\r\n');
  const map = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? '0'), headers: map, body: text.slice(split + 4) };
}
