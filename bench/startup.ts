// Start-up time and size of the compiled executables (dist/weir-engine, dist/weir-control):
//   bun run bench/startup.ts [--runs N] [--dir DIR]
// For each: file size; `--version` wall time; time from spawn to "listening" (the log line
// printed once every listener is bound) and to the first 200 from /healthz; RSS at that point.
// Runs from a temporary directory outside the repository, with OS-assigned ports.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { REPO } from './lib/repo.ts';

const USAGE = `usage: bun run bench/startup.ts [options]
  --runs N    starts of each executable (default 20)
  --dir DIR   where weir-engine and weir-control are (default dist/)
  --help`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const args = parseBenchArgs(USAGE, {
  runs: { type: 'string', default: '20' },
  dir: { type: 'string', default: join(REPO, 'dist') },
});
const runs = numberFlag(args.runs, 'runs', USAGE, 1);
const dist = resolve(args.dir);
const cwd = mkdtempSync(join(tmpdir(), 'weir-startup-'));

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { min: s[0]!, median: q(0.5), p90: q(0.9), max: s[s.length - 1]! };
};
const fmt = (o: Record<string, number>, unit = 'ms') => Object.entries(o).map(([k, v]) => `${k} ${v.toFixed(1)} ${unit}`).join(', ');

async function versionTime(exe: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const p = Bun.spawn([exe, '--version'], { cwd, stdout: 'ignore', stderr: 'ignore' });
    await p.exited;
    times.push(performance.now() - t0);
  }
  return times;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function listenTime(cmd: string[], ready: RegExp, env: Record<string, string>) {
  const t0 = performance.now();
  const p = Bun.spawn(cmd, { cwd, stdout: 'ignore', stderr: 'pipe', stdin: 'ignore', env: { ...process.env, ...env } });
  const reader = (p.stderr as ReadableStream<Uint8Array>).getReader();
  let text = '';
  let port = '';
  let listenedMs = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before listening:\n${text}`);
    text += new TextDecoder().decode(value);
    const m = ready.exec(text);
    if (m) {
      listenedMs = performance.now() - t0;
      port = m[1]!;
      break;
    }
  }
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    if (res?.status === 200) break;
    await Bun.sleep(1);
  }
  const healthyMs = performance.now() - t0;
  const rss = rssMb(p.pid);
  p.kill('SIGTERM');
  await p.exited;
  void reader.cancel();
  return { listenedMs, healthyMs, rss, exitCode: p.exitCode };
}

async function measure(name: string, exe: string, start: (i: number) => string[], ready: RegExp, env: Record<string, string> = {}) {
  const size = statSync(exe).size;
  const version = stats(await versionTime(exe));
  const listened: number[] = [];
  const healthy: number[] = [];
  const rss: number[] = [];
  const exits = new Set<number | null>();
  for (let i = 0; i < runs; i++) {
    const r = await listenTime(start(i), ready, env);
    listened.push(r.listenedMs);
    healthy.push(r.healthyMs);
    rss.push(r.rss);
    exits.add(r.exitCode);
  }
  console.log(`${name}: size ${(size / 1024 / 1024).toFixed(1)} MiB (${size} bytes)`);
  console.log(`  --version:        ${fmt(version)}`);
  console.log(`  spawn→listening:  ${fmt(stats(listened))}`);
  console.log(`  spawn→/healthz:   ${fmt(stats(healthy))}`);
  console.log(`  RSS when healthy: ${fmt(stats(rss), 'MiB')}`);
  console.log(`  exit codes after SIGTERM: ${[...exits].join(',')}`);
}

try {
  console.log(`runs: ${runs}, from ${cwd}, ${process.arch}, bun ${Bun.version}`);
  await measure(
    'weir-engine (flags only, no control plane)',
    join(dist, 'weir-engine'),
    () => [join(dist, 'weir-engine'), '--rtmp-host', '127.0.0.1', '--rtmp-port', '0', '--http-host', '127.0.0.1', '--http-port', '0'],
    /HTTP listening host=\S+ port=(\d+)/,
  );
  // the first start of a data directory creates the database and the admin account; later ones open it
  const data = join(cwd, 'data');
  const control = (fresh: boolean) => (i: number): string[] => [
    join(dist, 'weir-control'), '--data-dir', fresh ? join(cwd, `fresh-${i}`) : data,
    '--config-host', '127.0.0.1', '--config-port', '0', '--http-host', '127.0.0.1', '--http-port', '0',
  ];
  await measure('weir-control (existing data directory)', join(dist, 'weir-control'), control(false), /console and REST API listening host=\S+ port=(\d+)/, { WEIR_ADMIN_PASSWORD: 'bench-password-123' });
  await measure('weir-control (first start: new database, admin account)', join(dist, 'weir-control'), control(true), /console and REST API listening host=\S+ port=(\d+)/, { WEIR_ADMIN_PASSWORD: 'bench-password-123' });
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
