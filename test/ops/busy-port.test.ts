// A busy port at start: each process says in one line which listener, address and port, and
// exits non-zero (no stack trace, no screens of bundled source).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { freePort, run, tempDir } from '../e2e/harness.ts';

const repo = resolve(import.meta.dir, '../..');
let busy: Bun.TCPSocketListener<undefined>;
let dir: { path: string; remove(): void };
beforeAll(() => {
  busy = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  dir = tempDir();
});
afterAll(() => {
  busy.stop(true);
  dir.remove();
});

const meaningful = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');
/** Lines that are not the log's own (timestamped) lines: what Bun or the entry printed. */
const unlogged = (text: string): string[] => meaningful(text).filter((line) => !/^\d{4}-\d\d-\d\dT/.test(line));

test('weir-control on a busy console port: one line naming it, exit 1', async () => {
  const result = await run(
    [process.execPath, join(repo, 'src/control-plane.ts'), '--data-dir', join(dir.path, 'cp'), '--config-port', String(freePort()), '--http-host', '127.0.0.1', '--http-port', String(busy.port)],
    30_000,
  );
  expect(result.exitCode).toBe(1);
  expect(unlogged(result.stderr)).toEqual([`weir-control: could not start: console and REST API cannot listen on 127.0.0.1:${busy.port}: the address is in use`]);
}, 40_000);

test('weir-engine on a busy RTMP port: one line naming it, exit 1', async () => {
  const result = await run(
    [process.execPath, join(repo, 'src/engine.ts'), '--rtmp-host', '127.0.0.1', '--rtmp-port', String(busy.port), '--http-host', '127.0.0.1', '--http-port', String(freePort()), '--api-port', String(freePort())],
    30_000,
  );
  expect(result.exitCode).toBe(1);
  const lines = meaningful(result.stdout + result.stderr).filter((l) => l.includes('could not start'));
  expect(lines.length).toBe(1);
  expect(lines[0]).toContain(`RTMP cannot listen on 127.0.0.1:${busy.port}: the address is in use`);
  expect(result.stderr).not.toContain('    at ');
}, 40_000);

test('weir-engine on a busy SRT (UDP) port: one line naming it, exit 1', async () => {
  const udp = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 });
  try {
    const result = await run(
      [process.execPath, join(repo, 'src/engine.ts'), '--rtmp-host', '127.0.0.1', '--rtmp-port', String(freePort()), '--http-host', '127.0.0.1', '--http-port', String(freePort()), '--api-port', String(freePort()), '--srt-host', '127.0.0.1', '--srt-port', String(udp.port)],
      30_000,
    );
    expect(result.exitCode).toBe(1);
    const lines = meaningful(result.stdout + result.stderr).filter((l) => l.includes('could not start'));
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(`SRT: cannot listen on udp 127.0.0.1:${udp.port}`);
    expect(result.stderr).not.toContain('    at ');
  } finally {
    udp.close();
  }
}, 40_000);
