// `npm run build` output: a single file that runs without the repository.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { copyFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { killAll, probe, publishPattern, run, tempDir } from './e2e/harness.ts';

const repo = resolve(import.meta.dir, '..');
let dir: { path: string; remove(): void };
let binary: string;
let controlBinary: string;

/** Compiles `entry` as `npm run build` does, then moves it out of the repository so nothing can be read from there. */
async function compile(entry: string, name: string): Promise<string> {
  const built = join(dir.path, 'build', name);
  const result = await run(
    [process.execPath, 'build', join(repo, entry), '--compile', '--minify', '--bytecode', '--format=esm', '--outfile', built],
    120_000,
  );
  expect(result.exitCode).toBe(0);
  const moved = join(dir.path, name);
  copyFileSync(built, moved);
  await run(['chmod', '+x', moved]);
  return moved;
}

beforeAll(async () => {
  dir = tempDir();
  binary = await compile('src/engine.ts', 'weir-engine');
  controlBinary = await compile('src/control-plane.ts', 'weir-control');
}, 180_000);

afterAll(async () => {
  await killAll();
  dir.remove();
});

test('--version and --help work', async () => {
  expect(statSync(binary).size).toBeGreaterThan(1_000_000);
  const version = await run([binary, '--version']);
  expect(version.stdout.trim()).toBe(`weir-engine ${pkg.version}`);
  const help = await run([binary, '--help']);
  expect(help.stdout).toContain('--rtmp-port');
  const bad = await run([binary, '--rtmp-port', 'nope']);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('not a port number');
});

test('the executable serves a stream from outside the repository', async () => {
  const engine = Bun.spawn([binary, '--rtmp-host', '127.0.0.1', '--rtmp-port', '0', '--http-host', '127.0.0.1', '--http-port', '0'], {
    cwd: dir.path,
    stdout: 'ignore',
    stderr: 'pipe',
  });
  try {
    const ports: Record<string, number> = {};
    const decoder = new TextDecoder();
    const reader = (engine.stderr as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!(ports.RTMP && ports.HTTP)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      for (const m of text.matchAll(/(RTMP|HTTP) listening host=\S+ port=(\d+)/g)) ports[m[1]!] = Number(m[2]);
    }
    expect(ports.RTMP).toBeGreaterThan(0);
    const publisher = await publishPattern(`rtmp://127.0.0.1:${ports.RTMP}/live/built`, { seconds: 6, bFrames: 0 });
    await Bun.sleep(1500);
    const probed = await probe(`http://127.0.0.1:${ports.HTTP}/live/built.flv`);
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    await publisher.stop();
  } finally {
    engine.kill('SIGTERM');
    await engine.exited;
  }
});

test('weir-control runs from outside the repository with its API docs embedded', async () => {
  const version = await run([controlBinary, '--version']);
  expect(version.stdout.trim()).toBe(`weir-control ${pkg.version}`);
  expect((await run([controlBinary, '--help'])).stdout).toContain('--config-port');
  const control = Bun.spawn(
    [controlBinary, '--data-dir', join(dir.path, 'control-data'), '--config-port', '0', '--http-host', '127.0.0.1', '--http-port', '0'],
    { cwd: dir.path, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, WEIR_ADMIN_PASSWORD: 'build-test-password' } },
  );
  try {
    const reader = (control.stderr as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    let port = 0;
    while (!port) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      const m = /console and REST API listening host=\S+ port=(\d+)/.exec(text);
      if (m) port = Number(m[1]);
    }
    expect(port).toBeGreaterThan(0);
    const docs = await fetch(`http://127.0.0.1:${port}/api/docs`);
    expect(docs.status).toBe(200);
    const bundle = await fetch(`http://127.0.0.1:${port}/api/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const openapi = (await (await fetch(`http://127.0.0.1:${port}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/v1/apps');
  } finally {
    control.kill('SIGTERM');
    await control.exited;
  }
});
