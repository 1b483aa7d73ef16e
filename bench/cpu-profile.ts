// Profiles Weir's fan-out: runs the engine of a given git revision under Bun's CPU profiler,
// pinned to core 0, with the load tool (bench/load.ts: one real-time publisher + N viewers)
// pinned to core 1, then prints the load report's key figures and the functions with the most
// self time. Run it for two revisions back to back to compare them in one session.
//
//   bun run bench/cpu-profile.ts --rev b984a62 --protocol rtmp --viewers 800 [--merge-write-ms 50]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { freePort } from './lib/free-port.ts';

const REPO = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const BUN = `${REPO}/node_modules/.bin/bun`;
const WORK = process.env.WEIR_BENCH_TMP ?? '/tmp/weir-bench';

const { values } = parseArgs({
  options: {
    rev: { type: 'string', default: 'HEAD' },
    protocol: { type: 'string', default: 'rtmp' },
    viewers: { type: 'string', default: '800' },
    duration: { type: 'string', default: '20' },
    'merge-write-ms': { type: 'string', default: '50' },
    top: { type: 'string', default: '25' },
    'no-profile': { type: 'boolean', default: false },
  },
});

const rev = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', values.rev!], { encoding: 'utf8' }).stdout.trim();
if (!rev) throw new Error(`unknown revision ${values.rev}`);
const dir = `${WORK}/weir-${rev}`;
if (!existsSync(`${dir}/src/engine.ts`)) {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('bash', ['-c', `git -C '${REPO}' archive ${rev} src package.json | tar -x -C '${dir}'`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git archive failed: ${r.stderr}`);
}
const profDir = `${WORK}/prof-${rev}-${values.protocol}-${values['merge-write-ms']}-${Date.now()}`;
mkdirSync(profDir, { recursive: true });
const rtmpPort = freePort();
const httpPort = freePort();
const profile = values['no-profile'] ? [] : ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${profDir}`];
const engine = Bun.spawn(
  ['taskset', '-c', '0', BUN, ...profile, 'run', `${dir}/src/engine.ts`,
    '--rtmp-host', '127.0.0.1', '--http-host', '127.0.0.1', '--rtmp-port', String(rtmpPort), '--http-port', String(httpPort),
    '--log-level', 'warn', '--merge-write-ms', values['merge-write-ms']!],
  // every bench client comes from one loopback address: lift the per-address caps (as bench/lib/servers.ts does);
  // RTSP, SRT and the engine API on ports of the OS's choosing, so other engines on this machine do not collide
  { stdout: 'ignore', stderr: 'inherit', env: { ...process.env, WEIR_RTMP_MAX_PER_ADDRESS: '0', WEIR_HTTP_MAX_PER_ADDRESS: '0', WEIR_RTMP_MAX_PUBLISHES_PER_ADDRESS: '0', WEIR_RTSP_PORT: '0', WEIR_SRT_PORT: '0', WEIR_API_PORT: '0' } },
);
await Bun.sleep(1500);
const viewerUrl = values.protocol === 'rtmp' ? `rtmp://127.0.0.1:${rtmpPort}/live/bench` : values.protocol === 'ws'
  ? `ws://127.0.0.1:${httpPort}/live/bench.flv` : `http://127.0.0.1:${httpPort}/live/bench.flv`;
const load = spawnSync('taskset', ['-c', '1', BUN, 'run', `${REPO}/bench/load.ts`,
  '--publish-url', `rtmp://127.0.0.1:${rtmpPort}/live/bench`, '--url', viewerUrl,
  '--viewers', values.viewers!, '--duration', values.duration!, '--server-pid', String(engine.pid), '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
engine.kill('SIGINT');
await engine.exited;
if (load.status !== 0) throw new Error(`load tool failed: ${load.stderr}`);
const report = JSON.parse(load.stdout) as {
  pass: boolean; viewers: { passing: number; connected: number };
  latencyMs: { p50: number | null; p99: number | null };
  server: { cpuPercentOfOneCore: number; rssMiB: number } | null;
  machine: { otherProcessesPercentOfOneCore: number };
};
const viewers = Number(values.viewers);
console.log(JSON.stringify({
  rev, protocol: values.protocol, viewers, mergeWriteMs: Number(values['merge-write-ms']),
  passing: report.viewers.passing, cpuPercent: report.server?.cpuPercentOfOneCore,
  cpuPer100Viewers: report.server ? +(report.server.cpuPercentOfOneCore / (viewers / 100)).toFixed(2) : null,
  rssMiB: report.server?.rssMiB, rssKiBPerViewer: report.server ? +((report.server.rssMiB * 1024) / viewers).toFixed(1) : null,
  latencyP50: report.latencyMs.p50, latencyP99: report.latencyMs.p99, otherCpu: report.machine.otherProcessesPercentOfOneCore,
  profile: profDir,
}));
const md = readdirSync(profDir).find((f) => f.endsWith('.md'));
if (md) {
  const text = readFileSync(`${profDir}/${md}`, 'utf8');
  // The markdown profile's self-time table: keep its first rows.
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /self/i.test(l) && l.startsWith('|'));
  console.log(lines.slice(Math.max(0, start - 2), start + 2 + Number(values.top)).join('\n'));
}
