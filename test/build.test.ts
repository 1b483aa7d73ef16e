// `npm run build` output: a single file that runs without the repository.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { copyFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { killAll, probe, publishPattern, run, tempDir } from './e2e/harness.ts';

const repo = resolve(import.meta.dir, '..');
let dir: { path: string; remove(): void };
let binary: string;

beforeAll(async () => {
  dir = tempDir();
  const built = join(dir.path, 'build', 'weir-engine');
  const result = await run(
    [process.execPath, 'build', join(repo, 'src/engine.ts'), '--compile', '--minify', '--bytecode', '--format=esm', '--outfile', built],
    120_000,
  );
  expect(result.exitCode).toBe(0);
  // move it away from the repository so nothing can be read from there
  binary = join(dir.path, 'weir-engine');
  copyFileSync(built, binary);
  await run(['chmod', '+x', binary]);
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
