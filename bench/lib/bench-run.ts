// What the engine benchmarks (RTSP, SRT, recording, HLS) share around their measurements: pinning
// this process to the client core, running bench/setup.sh when a source file is missing, fixing the
// engine a run measures, stopping what a run started on Ctrl-C (each by its own handle), waiting for
// a condition, and writing the report (JSON with the exact command, the git HEAD and the machine,
// and the markdown it printed) into bench/results/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { round } from './metrics.ts';
import { REPO, git } from './repo.ts';
import { prepareWeir, type WeirSource } from './servers.ts';

export { REPO, git };
export const SERVER_CORE = 0;
export const CLIENT_CORE = 1;

export function log(line: string): void {
  console.error(line);
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

/** a time for a file name: ISO 8601 with every ":" and "." made "-" */
export function runStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** polls `cond` every stepMs until it holds (true) or timeoutMs passed (false) */
export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 200): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await cond()) return true;
    await Bun.sleep(stepMs);
  }
  return false;
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

/** runs a script's main: exit 0 when it resolves; else the error, the registered stops, exit 1 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    async () => {
      await runCleanups();
      process.exit(0);
    },
    async (err) => {
      console.error(err);
      await runCleanups();
      process.exit(1);
    },
  );
}

/** every core of the machine (nproc counts only those this pinned process may use) */
export function onlineCores(): number {
  return readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => /^processor\s*:/.test(l)).length;
}

export function machine(): Record<string, string | number> {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown').trim();
  const cores = onlineCores();
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  return { cpu, cores, kernel, bun: Bun.version };
}

export function commandLine(): string {
  return ['bun', 'run', ...process.argv.slice(1).map((a) => a.replace(`${REPO}/`, ''))].map((a) => (/[\s'"$]/.test(a) ? `'${a}'` : a)).join(' ');
}

/** writes a file, making its directory first */
export function writeResultFile(path: string, text: string): void {
  mkdirSync(path.slice(0, path.lastIndexOf('/')) || '.', { recursive: true });
  writeFileSync(path, text);
}

export function reportJson(report: unknown): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** writes bench/results/{name}-{time}.json (or --out) and returns its path */
export function writeReport(name: string, report: unknown, out?: string): string {
  const path = out ?? `${REPO}/bench/results/${name}-${runStamp()}.json`;
  writeResultFile(path, reportJson(report));
  return path;
}

/**
 * The end of a run: prints the markdown, adds elapsedSec and the markdown to the report, writes it
 * (see writeReport) and says where.
 */
export function finishReport(name: string, report: Record<string, unknown>, lines: readonly string[], started: number, out: string | undefined): void {
  const markdown = lines.join('\n');
  console.log(markdown);
  report.elapsedSec = round((performance.now() - started) / 1000, 0);
  report.markdown = markdown;
  const path = writeReport(name, report, out);
  log(`bench: report ${path} (${Math.round((performance.now() - started) / 1000)} s)`);
}

export function header(): Record<string, unknown> {
  return { command: commandLine(), date: new Date().toISOString(), gitHead: `${git('rev-parse', 'HEAD')} (${git('log', '-1', '--format=%s').slice(0, 100)})`, machine: machine() };
}

export type RunStart = {
  /** what prepareWeir fixed, e.g. 'head 1a2b3c4' */
  engine: string;
  /** this process runs pinned to CLIENT_CORE */
  pinned: boolean;
};

/** the start of an engine benchmark: its source files (bench/setup.sh makes them), this process pinned unless --no-pin, the engine fixed */
export function startRun(sources: readonly string[], args: { 'no-pin'?: boolean; 'weir-source'?: string }): RunStart {
  ensureSetup(sources);
  const pinned = args['no-pin'] ? false : pinSelf(CLIENT_CORE);
  return { engine: prepareWeir(args['weir-source'] as WeirSource), pinned };
}

/** the report's first fields: command, date, git HEAD, machine, the engine, pinning and the source file */
export function reportHead(run: RunStart, source: string): Record<string, unknown> {
  return { ...header(), engine: run.engine, pinned: run.pinned, source: source.replace(`${REPO}/`, '') };
}

export { stopProcesses } from './process-stop.ts';
// the flag checks and the noisy mark, where the scripts used to find them
export { listFlag, numberFlag } from './bench-args.ts';
export { NOISY_OTHER_PERCENT, noisyMark } from './hls-machine.ts';
