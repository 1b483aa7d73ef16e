// `npm start`: runs the control plane and the engine together from source with embedded
// defaults and data in ./data (WEIR_DATA_DIR to move it). The engine starts once the control
// plane has written the shared engine secret; stopping this script stops both.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dir, '..');
const dataDir = resolve(process.env.WEIR_DATA_DIR ?? join(repo, 'data'));
const configUrl = process.env.WEIR_CONFIG_URL ?? 'http://127.0.0.1:8089';
const extra = process.argv.slice(2);

const children: Bun.Subprocess[] = [];
let stopping = false;

function start(name: string, args: string[]): Bun.Subprocess {
  const child = Bun.spawn([process.execPath, ...args], { cwd: repo, stdout: 'inherit', stderr: 'inherit', stdin: 'ignore' });
  children.push(child);
  void child.exited.then((code) => {
    if (stopping) return;
    process.stderr.write(`weir: ${name} exited with code ${code}; stopping\n`);
    stop(code ?? 1);
  });
  return child;
}

function stop(code: number): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  void Promise.all(children.map((c) => c.exited)).then(() => process.exit(code));
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

start('control plane', ['src/control-plane.ts', '--data-dir', dataDir, ...extra]);
const secretFile = join(dataDir, 'engine-secret');
const deadline = Date.now() + 30_000;
while (!existsSync(secretFile)) {
  if (Date.now() > deadline || stopping) {
    process.stderr.write(`weir: the control plane did not create ${secretFile}\n`);
    stop(1);
    break;
  }
  await Bun.sleep(50);
}
if (!stopping) start('engine', ['src/engine.ts', '--config-url', configUrl, '--data-dir', dataDir]);
