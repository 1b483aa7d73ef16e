// `npm start`'s launcher (scripts/start.ts): one signal to it, SIGTERM from a supervisor or
// SIGINT from Ctrl+C, reaches each child exactly once; both drain and exit 0, the launcher exits
// 0 and every port is free again. Every listen port is passed as a flag (the engine's after
// `--engine`, which win over the control plane's settings), so no default port is touched.
import { afterAll, describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { acceptsConnections, collectLines, freePort, tempDir, waitFor } from '../e2e/harness.ts';

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
  const args = [
    '--config-port', String(ports.config), '--http-host', '127.0.0.1', '--http-port', String(ports.control),
    '--engine-api', `http://127.0.0.1:${ports.api}`,
    '--engine',
    '--rtmp-host', '127.0.0.1', '--rtmp-port', String(ports.rtmp), '--http-host', '127.0.0.1', '--http-port', String(ports.http),
    '--api-port', String(ports.api),
  ];
  const proc = Bun.spawn([...command, ...args], {
    cwd: repo,
    env: {
      ...process.env,
      WEIR_DATA_DIR: join(dir.path, 'data'),
      WEIR_ADMIN_PASSWORD: 'launcher-test-password',
      WEIR_CONFIG_URL: `http://127.0.0.1:${ports.config}`,
    },
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
    // its own process group, as a shell job is: a terminal's Ctrl+C goes to the whole group
    detached: true,
  });
  const logs = collectLines(proc);
  return { proc, logs, ports };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

describe('npm start launcher', () => {
  const launcher = [process.execPath, 'scripts/start.ts'];
  const cases = [
    { name: 'SIGTERM to the launcher (a supervisor)', command: launcher, signal: 'SIGTERM', group: false },
    { name: "SIGINT to the launcher's process group (Ctrl+C in a terminal)", command: launcher, signal: 'SIGINT', group: true },
    // npm runs the script under `sh -c` and passes its signals to that shell only: the script execs
    { name: 'SIGTERM to `npm start`', command: ['npm', 'start', '--silent', '--'], signal: 'SIGTERM', group: false },
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
        for (const port of Object.values(run.ports)) expect(await acceptsConnections(port)).toBe(false);
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
