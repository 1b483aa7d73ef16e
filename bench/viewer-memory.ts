// What one viewer costs in memory once garbage is out of the picture: an engine (pinned to core
// 0) with N viewers and one with a single viewer (the load tool on core 1, same timeline), each
// fully collected at the same moment, then the difference per viewer: RSS, ArrayBuffer bytes,
// and the live JavaScript heap by class name. The fan-out benchmark's RSS per viewer is this plus
// the garbage the streams leave between two collections.
//
//   bun run bench/viewer-memory.ts --protocol rtmp --viewers 800 [--merge-write-ms 90] [--rev REV]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { choiceFlag, numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { freePort } from './lib/free-port.ts';
import { archiveRev, BUN, REPO } from './lib/repo.ts';
import { WORK_DIR } from './lib/servers.ts';
import { SOLO_ENGINE_ENV, soloEngineFlags } from './lib/weir-engine.ts';

const USAGE = `usage: bun run bench/viewer-memory.ts [options]
  --rev REV            the commit whose src/ runs (default: the working tree)
  --protocol P         rtmp (default) | flv | ws: what the viewers play
  --viewers N          viewers of the measured run (default 800; the reference run has 1)
  --merge-write-ms MS  the engine's --merge-write-ms (default 90, the engine's default)
  --settle S           seconds from the last viewer's arrival to the census (default 12)
  --top N              classes to list (default 20)
  --help`;

const values = parseBenchArgs(USAGE, {
  rev: { type: 'string' },
  protocol: { type: 'string', default: 'rtmp' },
  viewers: { type: 'string', default: '800' },
  'merge-write-ms': { type: 'string', default: '90' },
  settle: { type: 'string', default: '12' },
  top: { type: 'string', default: '20' },
});
const protocol = choiceFlag(values.protocol, 'protocol', ['rtmp', 'flv', 'ws'], USAGE);
const viewers = numberFlag(values.viewers, 'viewers', USAGE, 2);
const mergeWriteMs = numberFlag(values['merge-write-ms'], 'merge-write-ms', USAGE);
const settleS = numberFlag(values.settle, 'settle', USAGE, 1);
const top = numberFlag(values.top, 'top', USAGE, 1);
const source = values.rev ? archiveRev(values.rev) : { dir: REPO, sha: 'working tree' };

type Census = { rss: number; arrayBuffers: number; census: Record<string, { count: number; bytes: number }> };
const RAMP_PER_S = 200;
const PREROLL_S = 2;

/** One engine with `count` viewers; the census is taken at the same moment of the timeline whatever the count. */
async function measure(count: number): Promise<Census> {
  mkdirSync(WORK_DIR, { recursive: true });
  const file = `${WORK_DIR}/heap-census-${process.pid}-${count}.json`;
  rmSync(file, { force: true });
  const [rtmpPort, httpPort] = [freePort(), freePort()];
  const engine = spawn('taskset', ['-c', '0', BUN, '--preload', `${REPO}/bench/lib/heap-census-hook.ts`, `${source.dir}/src/engine.ts`, ...soloEngineFlags(rtmpPort, httpPort, mergeWriteMs)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...SOLO_ENGINE_ENV, WEIR_HEAP_CENSUS_FILE: file },
  });
  await Bun.sleep(1500);
  const url = protocol === 'rtmp' ? `rtmp://127.0.0.1:${rtmpPort}/live/bench` : `${protocol === 'ws' ? 'ws' : 'http'}://127.0.0.1:${httpPort}/live/bench.flv`;
  // long enough to outlast the census: the viewers are still connected when it is taken
  const rampS = Math.ceil(viewers / RAMP_PER_S);
  const load = spawn('taskset', ['-c', '1', BUN, 'run', `${REPO}/bench/load.ts`, '--publish-url', `rtmp://127.0.0.1:${rtmpPort}/live/bench`, '--url', url,
    '--viewers', String(count), '--ramp', String(RAMP_PER_S), '--preroll', String(PREROLL_S), '--duration', String(settleS + 10), '--json'], { stdio: 'ignore' });
  await Bun.sleep((PREROLL_S + rampS + settleS) * 1000);
  engine.kill('SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(file); i++) await Bun.sleep(100);
  await Bun.sleep(300); // the file is written in one call; let it finish
  load.kill('SIGTERM');
  engine.kill('SIGINT');
  if (!existsSync(file)) throw new Error(`no heap census from the engine with ${count} viewers`);
  const census = JSON.parse(readFileSync(file, 'utf8')) as Census;
  rmSync(file, { force: true });
  await Bun.sleep(1000);
  return census;
}

const many = await measure(viewers);
const one = await measure(1);
const per = (a: number, b: number) => (a - b) / (viewers - 1);
const rows = Object.keys({ ...many.census, ...one.census }).map((name) => {
  const a = many.census[name] ?? { count: 0, bytes: 0 };
  const b = one.census[name] ?? { count: 0, bytes: 0 };
  return { name, bytes: per(a.bytes, b.bytes), count: per(a.count, b.count) };
});
rows.sort((x, y) => y.bytes - x.bytes);
const heapBytes = rows.reduce((sum, r) => sum + r.bytes, 0);
console.log(`per viewer (${source.sha}: ${viewers} ${protocol} viewers against 1, --merge-write-ms ${mergeWriteMs}, after a full collection):`);
console.log(`  RSS ${(per(many.rss, one.rss) / 1024).toFixed(1)} KiB, of which JavaScript heap cells ${(heapBytes / 1024).toFixed(1)} KiB and ArrayBuffer bytes ${(per(many.arrayBuffers, one.arrayBuffers) / 1024).toFixed(1)} KiB`);
console.log('| class | bytes per viewer | objects per viewer |\n|---|---|---|');
for (const r of rows.slice(0, top)) console.log(`| ${r.name} | ${r.bytes.toFixed(0)} | ${r.count.toFixed(2)} |`);
