// `npm start`: runs the control plane and the engine together from source with embedded
// defaults and data in ./data (WEIR_DATA_DIR to move it). The engine starts once the control
// plane has written the shared engine secret; stopping this script stops both. Arguments go
// to the control plane; those after `--engine` go to the engine:
//   npm start -- --http-port 9088 --engine --rtmp-port 1936 --api-port 9087
//
// Signals: each child runs in its own process group, so a terminal's Ctrl+C reaches only this
// launcher, which then sends exactly one SIGTERM to each child and waits for both to drain (a
// child that also got the terminal's SIGINT would take the launcher's SIGTERM as a second
// signal and skip its drain). A second signal to the launcher passes a second SIGTERM on,
// which the children take as "stop now". The launcher exits 0 when both children did.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dir, '..');
const dataDir = resolve(process.env.WEIR_DATA_DIR ?? join(repo, 'data'));
const configUrl = process.env.WEIR_CONFIG_URL ?? 'http://127.0.0.1:8089';
const args = process.argv.slice(2);
const split = args.indexOf('--engine');
const controlArgs = split < 0 ? args : args.slice(0, split);
const engineArgs = split < 0 ? [] : args.slice(split + 1);

const children: Bun.Subprocess[] = [];
let stopping = false;
let failed = false;

function start(name: string, args: string[]): Bun.Subprocess {
  const child = Bun.spawn([process.execPath, ...args], { cwd: repo, stdout: 'inherit', stderr: 'inherit', stdin: 'ignore', detached: true });
  children.push(child);
  void child.exited.then((code) => {
    if (code !== 0) failed = true;
    if (stopping) return;
    process.stderr.write(`weir: ${name} exited with code ${code}; stopping\n`);
    stop();
  });
  return child;
}

function stop(): void {
  if (stopping) {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    return;
  }
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  void Promise.all(children.map((c) => c.exited)).then(() => process.exit(failed ? 1 : 0));
}

process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// The terminal went away: the children, in their own sessions, would not hear of it.
process.on('SIGHUP', stop);

start('control plane', ['src/control-plane.ts', '--data-dir', dataDir, ...controlArgs]);
const secretFile = join(dataDir, 'engine-secret');
const deadline = Date.now() + 30_000;
while (!existsSync(secretFile)) {
  if (stopping) break;
  if (Date.now() > deadline) {
    process.stderr.write(`weir: the control plane did not create ${secretFile}\n`);
    failed = true;
    stop();
    break;
  }
  await Bun.sleep(50);
}
if (!stopping) start('engine', ['src/engine.ts', '--config-url', configUrl, '--data-dir', dataDir, ...engineArgs]);
