// The engine without a control plane (`bun run src/engine.ts`) still has health and metrics: its
// engine API comes up on loopback and serves /healthz and /metrics; its /v1 routes need an
// engine secret it does not have. A busy API port does not stop a standalone engine streaming.
import { afterAll, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { collectLines, freePort, waitFor } from '../e2e/harness.ts';
import { parsePrometheusText, sampleValue } from './prom-text-parser.ts';

const entry = resolve(import.meta.dir, '../../src/engine.ts');
const started: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const proc of started) proc.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
});

function startStandalone(apiPort: number): { proc: Bun.Subprocess; logs: string[]; httpPort: number } {
  const httpPort = freePort();
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['WEIR_ENGINE_SECRET', 'WEIR_ENGINE_SECRET_FILE', 'WEIR_DATA_DIR', 'WEIR_CONFIG_URL']) delete env[name];
  const proc = Bun.spawn(
    [process.execPath, entry, '--rtmp-host', '127.0.0.1', '--rtmp-port', String(freePort()), '--http-host', '127.0.0.1', '--http-port', String(httpPort), '--api-port', String(apiPort)],
    { env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' },
  );
  started.push(proc);
  const logs = collectLines(proc);
  return { proc, logs, httpPort };
}

test('a standalone engine serves /healthz and /metrics on its engine API; /v1 answers 401', async () => {
  const apiPort = freePort();
  const engine = startStandalone(apiPort);
  expect(await waitFor(() => engine.logs.some((l) => l.includes('HTTP listening')), 15_000)).toBe(true);
  const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ ready: true });
  const metrics = await fetch(`http://127.0.0.1:${apiPort}/metrics`);
  expect(metrics.status).toBe(200);
  const families = parsePrometheusText(await metrics.text());
  expect(sampleValue(families, 'weir_ready')).toBe(1);
  expect(sampleValue(families, 'weir_streams')).toBe(0);
  expect((await fetch(`http://127.0.0.1:${apiPort}/v1/status`)).status).toBe(401);
  expect(engine.logs.some((l) => l.includes('engine API off'))).toBe(false);
}, 30_000);

test('a busy engine API port: the standalone engine says which port and streams on', async () => {
  const busy = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  try {
    const engine = startStandalone(busy.port);
    expect(await waitFor(() => engine.logs.some((l) => l.includes('HTTP listening')), 15_000)).toBe(true);
    expect(engine.logs.some((l) => l.includes('engine API not started') && l.includes(`127.0.0.1:${busy.port}`))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${engine.httpPort}/healthz`)).status).toBe(200);
    expect(engine.proc.exitCode).toBe(null);
  } finally {
    busy.stop(true);
  }
}, 30_000);
