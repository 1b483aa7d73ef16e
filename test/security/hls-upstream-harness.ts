// A weir-engine subprocess (src/engine.ts) under the fake config server, for the upstream-URL and
// HLS-shutdown tests: its stderr is collected so tests can wait for log lines (the ports it got),
// and its engine API is reachable with the shared secret.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RelayStatus } from '../../src/shared/config-protocol.ts';
import { logReader } from '../e2e/harness.ts';
export { logReader };


export type EngineProcess = {
  proc: Bun.Subprocess;
  log: ReturnType<typeof logReader>;
  rtmpPort: string;
  httpPort: string;
  apiPort: string;
  relays(): Promise<RelayStatus[]>;
  /** GET /v1/streams: the live streams and their viewers per protocol */
  streams(): Promise<Array<{ app: string; stream: string; viewers: Record<string, number> }>>;
  kill(): Promise<void>;
};

export async function startEngineProcess(options: {
  configUrl: string;
  secret: string;
  dir: string;
  env?: Record<string, string>;
}): Promise<EngineProcess> {
  const secretFile = join(options.dir, 'engine-secret');
  writeFileSync(secretFile, options.secret + '\n');
  const proc = Bun.spawn(
    [process.execPath, resolve(import.meta.dir, '../../src/engine.ts'), '--config-url', options.configUrl, '--engine-secret-file', secretFile, '--api-host', '127.0.0.1', '--api-port', '0'],
    { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore', env: { ...process.env, ...options.env } },
  );
  const log = logReader(proc);
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await proc.exited;
  };
  try {
    const rtmpPort = await log.waitFor(/RTMP listening host=\S+ port=(\d+)/);
    const httpPort = await log.waitFor(/HTTP listening host=\S+ port=(\d+)/);
    const apiPort = await log.waitFor(/engine API listening .*?port=(\d+)/);
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, { headers: { Authorization: `Bearer ${options.secret}` } });
      if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
      return (await res.json()) as T;
    };
    return { proc, log, rtmpPort, httpPort, apiPort, relays: () => get('/v1/relays'), streams: () => get('/v1/streams'), kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
