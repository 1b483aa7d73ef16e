// A weir-engine subprocess on free loopback ports, for reproductions that need a real process
// (its RSS, its own event loop). Ended by its PID only.
import { resolve } from 'node:path';
import { freePort, waitFor } from '../e2e/harness.ts';

export type EngineProcess = {
  pid: number;
  rtmpPort: number;
  httpPort: number;
  logs(): string;
  /** resident set size from /proc, in bytes */
  rssBytes(): Promise<number>;
  stop(): Promise<void>;
};

export async function startEngineProcess(extraArgs: string[] = []): Promise<EngineProcess> {
  const rtmpPort = freePort();
  const httpPort = freePort();
  const proc = Bun.spawn(
    [
      process.execPath,
      resolve(import.meta.dir, '../../src/engine.ts'),
      '--rtmp-host', '127.0.0.1', '--rtmp-port', String(rtmpPort),
      '--http-host', '127.0.0.1', '--http-port', String(httpPort),
      '--log-level', 'debug',
      ...extraArgs,
    ],
    { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore', env: { ...process.env, WEIR_ENGINE_SECRET: '' } },
  );
  let text = '';
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  })();
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await proc.exited;
  };
  const up = await waitFor(() => text.includes('HTTP listening') && text.includes('RTMP listening'), 15_000);
  if (!up) {
    await stop();
    throw new Error(`engine did not start:\n${text}`);
  }
  return {
    pid: proc.pid,
    rtmpPort,
    httpPort,
    logs: () => text,
    rssBytes: async () => {
      const status = await Bun.file(`/proc/${proc.pid}/status`).text();
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (!kb) throw new Error('no VmRSS for the engine process');
      return Number(kb) * 1024;
    },
    stop,
  };
}
