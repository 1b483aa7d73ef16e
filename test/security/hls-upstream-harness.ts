// A weir-engine subprocess (src/engine.ts) under the fake config server, for the upstream-URL and
// HLS-shutdown tests: its stderr is collected so tests can wait for log lines (the ports it got),
// and its engine API is reachable with the shared secret.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RelayStatus } from '../../src/shared/config-protocol.ts';

/** Collects a process's stderr; waitFor() returns the first capture group of a matching line. */
export function logReader(proc: Bun.Subprocess) {
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const state = { text: '' };
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      state.text += decoder.decode(value);
    }
  })();
  return {
    get text() {
      return state.text;
    },
    ended: pump,
    async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(state.text);
        if (match) return match[1] ?? match[0];
        if (Date.now() > deadline) throw new Error(`no log line matched ${pattern}:\n${state.text.slice(-4000)}`);
        await Bun.sleep(25);
      }
    },
  };
}

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
