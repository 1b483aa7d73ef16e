// What the RTSP, SRT and recording benchmarks share around their measurements: pinning this
// process to the client core, running bench/setup.sh when a source file is missing, stopping what
// a run started on Ctrl-C (each by its own handle), and writing the JSON report with the exact
// command, the git HEAD and the machine into bench/results/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const SERVER_CORE = 0;
export const CLIENT_CORE = 1;

export function log(line: string): void {
  console.error(line);
}

export function git(...a: string[]): string {
  const r = spawnSync('git', ['-C', REPO, ...a], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** pins this process (every thread) to the client core; false when taskset failed */
export function pinSelf(core = CLIENT_CORE): boolean {
  const r = spawnSync('taskset', ['-a', '-pc', String(core), String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) log(`bench: could not pin to core ${core}: ${r.stderr.trim()}`);
  return r.status === 0;
}

export function ensureSetup(files: readonly string[]): void {
  if (files.every((f) => existsSync(f))) return;
  log('bench: a source file is missing; running bench/setup.sh');
  const r = spawnSync('bash', [`${REPO}/bench/setup.sh`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench/setup.sh failed');
}

const cleanups = new Set<() => Promise<void> | void>();

/** registers a stop for Ctrl-C; returns the function that unregisters it */
export function onInterrupt(stop: () => Promise<void> | void): () => void {
  cleanups.add(stop);
  return () => cleanups.delete(stop);
}

export async function runCleanups(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    try {
      await c();
    } catch {
      // best effort: the next one still runs
    }
  }
  cleanups.clear();
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void runCleanups().finally(() => process.exit(130));
  });
}

export function machine(): Record<string, string | number> {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown').trim();
  const cores = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => /^processor\s*:/.test(l)).length;
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  return { cpu, cores, kernel, bun: Bun.version };
}

export function commandLine(): string {
  return ['bun', 'run', ...process.argv.slice(1).map((a) => a.replace(`${REPO}/`, ''))].map((a) => (/[\s'"$]/.test(a) ? `'${a}'` : a)).join(' ');
}

/** writes bench/results/{name}-{time}.json (or --out) and returns its path */
export function writeReport(name: string, report: unknown, out?: string): string {
  const path = out ?? `${REPO}/bench/results/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
  return path;
}

export function header(): Record<string, unknown> {
  return { command: commandLine(), date: new Date().toISOString(), gitHead: `${git('rev-parse', 'HEAD')} (${git('log', '-1', '--format=%s').slice(0, 100)})`, machine: machine() };
}

/** a positive number from a flag, or exits with the usage */
export function numberFlag(value: string | undefined, name: string, usage: string, min = 0): number {
  const v = Number(value);
  if (value === undefined || !Number.isFinite(v) || v < min) {
    console.error(`--${name}: expected a number >= ${min}, got '${value}'\n${usage}`);
    process.exit(2);
  }
  return v;
}

export function listFlag(value: string | undefined, name: string, usage: string): number[] {
  const out = (value ?? '').split(',').filter(Boolean).map((s) => numberFlag(s.trim(), name, usage, 1));
  if (out.length === 0) numberFlag(undefined, name, usage, 1);
  return out;
}

/** other processes used more than this share of a core during a window: the figure is marked noisy (as fanout.ts does) */
export const NOISY_OTHER_PERCENT = 15;

/** ' *(noisy)*' for a window where other processes used more than NOISY_OTHER_PERCENT of a core */
export function noisyMark(otherPercent: number): string {
  return otherPercent > NOISY_OTHER_PERCENT ? ' *(noisy)*' : '';
}
