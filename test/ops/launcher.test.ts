// `npm start`'s launcher (scripts/start.ts): one signal to it, SIGTERM from a supervisor or
// SIGINT from Ctrl+C, reaches each child exactly once; both drain and exit 0, the launcher exits
// 0 and every port is free again. The children's listen ports come from the engine's variables
// (which win over the control plane's settings) so the test never touches the default ports.
import { afterAll, describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { freePort, tempDir, waitFor } from '../e2e/harness.ts';

const repo = resolve(import.meta.dir, '../..');
const dirs: Array<{ path: string; remove(): void }> = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

type Launched = { proc: Bun.Subprocess; logs: string[]; ports: Record<'config' | 'control' | 'api' | 'rtmp' | 'http', number> };

function launch(command: readonly string[]): Launched {
  const dir = tempDir();
  dirs.push(dir);
  const ports = { config: freePort(), control: freePort(), api: freePort(), rtmp: freePort(), http: freePort() };
  const proc = Bun.spawn([...command], {
    cwd: repo,
    env: {
      ...process.env,
      WEIR_DATA_DIR: join(dir.path, 'data'),
      WEIR_ADMIN_PASSWORD: 'launcher-test-password',
      WEIR_CONFIG_URL: `http://127.0.0.1:${ports.config}`,
      WEIR_CONFIG_PORT: String(ports.config),
      WEIR_CONTROL_HOST: '127.0.0.1',
      WEIR_CONTROL_PORT: String(ports.control),
      WEIR_ENGINE_API: `http://127.0.0.1:${ports.api}`,
      WEIR_API_PORT: String(ports.api),
      WEIR_RTMP_HOST: '127.0.0.1',
      WEIR_RTMP_PORT: String(ports.rtmp),
      WEIR_HTTP_HOST: '127.0.0.1',
      WEIR_HTTP_PORT: String(ports.http),
    },
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
    // its own process group, as a shell job is: a terminal's Ctrl+C goes to the whole group
    detached: true,
  });
  const logs: string[] = [];
  for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) logs.push(...decoder.decode(chunk).split('\n').filter(Boolean));
    })();
  }
  return { proc, logs, ports };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

async function portRefuses(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    socket.end();
    return false;
  } catch {
    return true;
  }
}

describe('npm start launcher', () => {
  const launcher = [process.execPath, 'scripts/start.ts'];
  const cases = [
    { name: 'SIGTERM to the launcher (a supervisor)', command: launcher, signal: 'SIGTERM', group: false },
    { name: "SIGINT to the launcher's process group (Ctrl+C in a terminal)", command: launcher, signal: 'SIGINT', group: true },
    // npm runs the script under `sh -c` and passes its signals to that shell only: the script execs
    { name: 'SIGTERM to `npm start`', command: ['npm', 'start', '--silent'], signal: 'SIGTERM', group: false },
  ] as const;
  for (const { name, command, signal, group } of cases) {
    test(`${name} drains both children once and exits 0`, async () => {
      const run = launch(command);
      try {
        const up = await waitFor(() => run.logs.some((l) => l.includes('RTMP listening') && l.includes(`port=${run.ports.rtmp}`)), 30_000, 50);
        expect(up).toBe(true);
        expect(await answers(`http://127.0.0.1:${run.ports.http}/healthz`)).toBe(true);
        expect(await answers(`http://127.0.0.1:${run.ports.control}/healthz`)).toBe(true);

        if (group) process.kill(-run.proc.pid, signal);
        else run.proc.kill(signal);
        const exited = await Promise.race([run.proc.exited, Bun.sleep(20_000).then(() => 'timeout' as const)]);
        expect(exited).toBe(0);
        const stops = run.logs.filter((l) => /\bstopped\b/.test(l));
        expect(stops.filter((l) => l.includes('drained=true')).length).toBe(2);
        expect(run.logs.filter((l) => l.includes('shutting down')).length).toBe(2);
        expect(run.logs.some((l) => l.includes('second signal'))).toBe(false);
        for (const port of Object.values(run.ports)) expect(await portRefuses(port)).toBe(true);
      } finally {
        // a failed run: let the launcher stop its children (they are in sessions of their own)
        if (run.proc.exitCode === null) {
          run.proc.kill('SIGTERM');
          await Promise.race([run.proc.exited, Bun.sleep(10_000)]);
          if (run.proc.exitCode === null) process.kill(-run.proc.pid, 'SIGKILL');
        }
      }
    }, 60_000);
  }
});
