// Profiles Weir's fan-out: runs the engine of a given git revision under Bun's CPU profiler,
// pinned to core 0, with the load tool (bench/load.ts: one real-time publisher + N viewers)
// pinned to core 1, then prints the load report's key figures and the functions with the most
// self time. Run it for two revisions back to back to compare them in one session.
//
//   bun run bench/cpu-profile.ts --rev b984a62 --protocol rtmp --viewers 800 [--merge-write-ms 50]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { choiceFlag, numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { freePort } from './lib/free-port.ts';
import { archiveRev, BUN, REPO } from './lib/repo.ts';
import { WORK_DIR } from './lib/servers.ts';
import { SOLO_ENGINE_ENV, soloEngineFlags } from './lib/weir-engine.ts';

const USAGE = `usage: bun run bench/cpu-profile.ts [options]
  --rev REV            the commit whose src/ runs (default HEAD)
  --protocol P         rtmp (default) | flv | ws: what the viewers play
  --viewers N          viewers of the load tool (default 800)
  --duration S         the load tool's measured seconds (default 20)
  --merge-write-ms MS  the engine's --merge-write-ms (default 50)
  --engine-flags F     more engine flags, split on spaces (e.g. "--no-hls --no-ll-hls")
  --top N              rows of the self-time table to print (default 25)
  --no-profile         run the engine without the profiler
  --help`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const values = parseBenchArgs(USAGE, {
  rev: { type: 'string', default: 'HEAD' },
  protocol: { type: 'string', default: 'rtmp' },
  viewers: { type: 'string', default: '800' },
  duration: { type: 'string', default: '20' },
  'merge-write-ms': { type: 'string', default: '50' },
  'engine-flags': { type: 'string', default: '' },
  top: { type: 'string', default: '25' },
  'no-profile': { type: 'boolean', default: false },
});
const protocol = choiceFlag(values.protocol, 'protocol', ['rtmp', 'flv', 'ws'], USAGE);
const viewers = numberFlag(values.viewers, 'viewers', USAGE, 1);
const durationSec = numberFlag(values.duration, 'duration', USAGE, 1);
const mergeWriteMs = numberFlag(values['merge-write-ms'], 'merge-write-ms', USAGE);
const top = numberFlag(values.top, 'top', USAGE);
const engineFlags = values['engine-flags'].split(' ').filter((f) => f !== '');

const { dir, sha: rev } = archiveRev(values.rev);
const profDir = `${WORK_DIR}/prof-${rev}-${protocol}-${mergeWriteMs}-${Date.now()}`;
mkdirSync(profDir, { recursive: true });
const rtmpPort = freePort();
const httpPort = freePort();
const profile = values['no-profile'] ? [] : ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${profDir}`];
const engine = Bun.spawn(['taskset', '-c', '0', BUN, ...profile, 'run', `${dir}/src/engine.ts`, ...soloEngineFlags(rtmpPort, httpPort, mergeWriteMs), ...engineFlags], {
  stdout: 'ignore',
  stderr: 'inherit',
  env: { ...process.env, ...SOLO_ENGINE_ENV },
});
await Bun.sleep(1500);
const viewerUrl = protocol === 'rtmp' ? `rtmp://127.0.0.1:${rtmpPort}/live/bench` : protocol === 'ws'
  ? `ws://127.0.0.1:${httpPort}/live/bench.flv` : `http://127.0.0.1:${httpPort}/live/bench.flv`;
const load = spawnSync('taskset', ['-c', '1', BUN, 'run', `${REPO}/bench/load.ts`,
  '--publish-url', `rtmp://127.0.0.1:${rtmpPort}/live/bench`, '--url', viewerUrl,
  '--viewers', String(viewers), '--duration', String(durationSec), '--server-pid', String(engine.pid), '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
engine.kill('SIGINT');
await engine.exited;
if (load.status !== 0) throw new Error(`load tool failed: ${load.stderr}`);
const report = JSON.parse(load.stdout) as {
  pass: boolean; viewers: { passing: number; connected: number };
  latencyMs: { p50: number | null; p99: number | null };
  server: { cpuPercentOfOneCore: number; rssMiB: number } | null;
  machine: { otherProcessesPercentOfOneCore: number };
};
console.log(JSON.stringify({
  rev, protocol, viewers, mergeWriteMs, engineFlags: engineFlags.join(' '),
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
  console.log(lines.slice(Math.max(0, start - 2), start + 2 + top).join('\n'));
}
