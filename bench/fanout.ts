// Fan-out benchmark: each server under test runs pinned to core 0, the load tool (one real-time
// publisher + N viewers) pinned to core 1. Per server and protocol it reports CPU seconds per GB
// delivered at a fixed viewer count, then searches the most viewers one core sustains (every
// viewer >= 95% of the source bitrate, no stall), with first-frame time and latency.
//
//   bun run bench/fanout.ts                       # whole suite (a few minutes per server)
//   bun run bench/fanout.ts --servers weir --protocols flv --no-search
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpuTimes } from './lib/proc-cpu.ts';
import { prepareWeir, SERVER_PROTOCOLS, startServer, streamUrls, versions, type ServerName, type WeirSource } from './lib/servers.ts';
import type { ViewerProtocol } from './lib/viewers.ts';

const REPO = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const BUN = `${REPO}/node_modules/.bin/bun`;
const SERVER_CORE = 0;
const CLIENT_CORE = 1;
/** above this share of its core the load tool, not the server, may be the limit */
const CLIENT_SATURATION = 0.9;
/** a point during which other processes used more than this % of a core is run again once */
const NOISY_OTHER_CPU_PERCENT = 15;
const NOISY_RETRIES = 2;
const MAX_SEARCH_POINTS = 7;
/** before a point, the whole machine should be below this % of one core busy */
const QUIET_BUSY_PERCENT = 20;

/** what to stop if we are interrupted */
const live = { stopServer: undefined as (() => Promise<void>) | undefined, load: undefined as { kill(sig?: number | NodeJS.Signals): void } | undefined };
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    live.load?.kill('SIGKILL');
    void (live.stopServer?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const USAGE = `usage: bun run bench/fanout.ts [options]
  --servers LIST       weir,nms,nginx (default: all three)
  --protocols LIST     rtmp,flv,ws (default: rtmp,flv; each server runs those it serves)
  --viewers N          viewers of the efficiency point (default 1000)
  --duration S         measured seconds per point (default 20)
  --search-duration S  measured seconds per capacity-search point (default 10)
  --no-search          only the efficiency point
  --search-start N     first capacity point (default: the efficiency point's viewers)
  --search-max N       stop searching above this (default 8000)
  --weir-source S      head (default: the committed src/, copied) | worktree (src/ as it is now, copied) | dist
  --ramp R             viewers connected per second (default 500)
  --rtmp-reader K      counter | chunk (see load.ts)
  --out PATH           JSON results (default bench/results/fanout-<time>.json)
`;

type LoadReport = {
  pass: boolean;
  viewers: { requested: number; connected: number; gotFirstFrame: number; closedEarly: number; passing: number; errors: Record<string, number> };
  bitrate: { minRatio: number; p5Ratio: number; medianBps: number; viewersBelowMinRatio: number };
  source: { fileBitrateBps: number; publishedBitrateBps: number };
  stalls: { total: number; viewersWithStall: number; longestGapMs: number };
  firstFrameMs: { p50: number | null; p95: number | null; max: number | null };
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null; samples: number };
  delivered: { wireBytes: number; wireGbps: number };
  server: { cpuSeconds: number; cpuPercentOfOneCore: number; cpuSecondsPerGB: number | null; rssMiB: number } | null;
  client: { cpuPercentOfOneCore: number; saturated: boolean };
  publisher: { error: string | null; maxLagMs: number } | null;
  windowSeconds: number;
  machine: { cores: Record<string, { busyPercent: number | null; softirqPercent: number | null }>; otherProcessesPercentOfOneCore: number | null; ksoftirqdPercentOfOneCore?: number | null };
};

type Point = { server: ServerName; protocol: ViewerProtocol; viewers: number; command: string; report: LoadReport | null; error?: string };

function parse() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      servers: { type: 'string' },
      protocols: { type: 'string' },
      viewers: { type: 'string' },
      duration: { type: 'string' },
      'search-duration': { type: 'string' },
      'no-search': { type: 'boolean' },
      'search-start': { type: 'string' },
      'search-max': { type: 'string' },
      ramp: { type: 'string' },
      'rtmp-reader': { type: 'string' },
      'weir-source': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const servers = (values.servers ?? 'weir,nms,nginx').split(',').filter(Boolean) as ServerName[];
  for (const s of servers) if (!(s in SERVER_PROTOCOLS)) throw new Error(`unknown server ${s}`);
  const viewers = Number(values.viewers ?? 1000);
  return {
    servers,
    protocols: (values.protocols ?? 'rtmp,flv').split(',').filter(Boolean) as ViewerProtocol[],
    viewers,
    durationS: Number(values.duration ?? 20),
    searchDurationS: Number(values['search-duration'] ?? 10),
    search: !values['no-search'],
    searchStart: Number(values['search-start'] ?? viewers),
    searchMax: Number(values['search-max'] ?? 8000),
    weirSource: (values['weir-source'] ?? 'head') as WeirSource,
    ramp: Number(values.ramp ?? 500),
    rtmpReader: values['rtmp-reader'] ?? 'counter',
    out: values.out ?? `${REPO}/bench/results/fanout-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  };
}

type Options = ReturnType<typeof parse>;

function log(msg: string): void {
  process.stderr.write(`[fanout ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** one measured point on a fresh server instance, run again once if a neighbour was busy */
async function runPoint(o: Options, server: ServerName, protocol: ViewerProtocol, viewers: number, durationS: number, runId: string): Promise<Point> {
  const attempt = async (): Promise<Point> => {
    try {
      return await runPointOnce(o, server, protocol, viewers, durationS, runId);
    } catch (err) {
      log(`  -> error: ${String(err).split('\n')[0]}`);
      return { server, protocol, viewers, command: '', report: null, error: String(err) };
    }
  };
  let best = await attempt();
  let last = best;
  for (let retry = 0; retry < NOISY_RETRIES && otherCpu(best) > NOISY_OTHER_CPU_PERCENT; retry++) {
    log(`  other processes used ${otherCpu(last)}% of a core during the window: running the point again`);
    last = await attempt();
    if (otherCpu(last) < otherCpu(best)) best = last;
  }
  return best;
}

function otherCpu(p: Point): number {
  return p.report?.machine.otherProcessesPercentOfOneCore ?? 0;
}

/** waits (up to 90 s) until the machine has been nearly idle for a second: other people's work skews a point */
async function waitForQuiet(): Promise<void> {
  const deadline = performance.now() + 90_000;
  let waited = false;
  while (performance.now() < deadline) {
    const a = cpuTimes().get('all')!.busy;
    await Bun.sleep(1000);
    const busyPercent = (cpuTimes().get('all')!.busy - a) * 100;
    if (busyPercent < QUIET_BUSY_PERCENT) {
      if (waited) log(`  machine quiet again (${busyPercent.toFixed(0)}% of a core busy)`);
      return;
    }
    if (!waited) log(`  machine busy (${busyPercent.toFixed(0)}% of a core): waiting for it to calm down`);
    waited = true;
  }
  log('  machine still busy after 90 s: measuring anyway');
}

async function runPointOnce(o: Options, server: ServerName, protocol: ViewerProtocol, viewers: number, durationS: number, runId: string): Promise<Point> {
  await waitForQuiet();
  const s = await startServer(server, SERVER_CORE, runId);
  live.stopServer = s.stop;
  const urls = streamUrls(s, 'bench');
  const args = [
    'run', `${REPO}/bench/load.ts`,
    '--publish-url', urls.publish, '--url', urls.view[protocol],
    '--viewers', String(viewers), '--ramp', String(o.ramp), '--duration', String(durationS),
    '--rtmp-reader', o.rtmpReader, '--server-pid', String(s.pid), '--json',
  ];
  const command = `taskset -c ${CLIENT_CORE} bun ${args.join(' ').replace(`${REPO}/`, '')}`;
  log(`${server} ${protocol} x${viewers}: server pid ${s.pid} on core ${SERVER_CORE}`);
  try {
    const proc = Bun.spawn(['taskset', '-c', String(CLIENT_CORE), BUN, ...args], { cwd: REPO, stdout: 'pipe', stderr: 'pipe' });
    live.load = proc;
    const timeoutS = 60 + viewers / o.ramp + durationS * 2;
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutS * 1000);
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    if (code !== 0) return { server, protocol, viewers, command, report: null, error: `load exited ${code}: ${err.slice(-800)}` };
    const report = JSON.parse(out) as LoadReport;
    log(`  -> ${summary(report)}`);
    return { server, protocol, viewers, command, report };
  } finally {
    live.load = undefined;
    await s.stop();
    live.stopServer = undefined;
  }
}

function summary(r: LoadReport): string {
  return (
    `${r.pass ? 'PASS' : 'FAIL'} ${r.viewers.passing}/${r.viewers.requested} ok, ratio min ${r.bitrate.minRatio}, ` +
    `stalls ${r.stalls.viewersWithStall}, server ${r.server?.cpuPercentOfOneCore}% (${r.server?.cpuSecondsPerGB} s/GB), ` +
    `client ${r.client.cpuPercentOfOneCore}%, other ${r.machine.otherProcessesPercentOfOneCore}%, ff p50 ${r.firstFrameMs.p50} ms, lat p50 ${r.latencyMs.p50} ms p95 ${r.latencyMs.p95} ms`
  );
}

type Capacity = { sustained: number; firstFailure: number | null; clientBound: boolean; inconclusive: boolean; points: Point[] };

/**
 * Grows by 1.5x while points pass, then bisects between the last pass and the first failure
 * until they are within 10%. A passing point where the load tool saturated its core stops the
 * search (beyond it the figure would measure the client); a failing point while other
 * processes kept the machine busy stops it as inconclusive.
 */
async function searchCapacity(o: Options, server: ServerName, protocol: ViewerProtocol, first: Point | undefined, runId: string): Promise<Capacity> {
  const points: Point[] = [];
  let pass = 0;
  let fail: number | null = null;
  let clientBound = false;
  let inconclusive = false;
  const judge = (p: Point): boolean => p.report !== null && p.report.pass && !p.report.publisher?.error;
  let n = o.searchStart;
  for (let step = 0; step < MAX_SEARCH_POINTS; step++) {
    const p = step === 0 && first && first.viewers === n ? first : await runPoint(o, server, protocol, n, o.searchDurationS, runId);
    points.push(p);
    const ok = judge(p);
    const saturated = (p.report?.client.cpuPercentOfOneCore ?? 0) / 100 > CLIENT_SATURATION;
    if (ok) {
      pass = Math.max(pass, n);
    } else if (otherCpu(p) > NOISY_OTHER_CPU_PERCENT) {
      inconclusive = true;
      break;
    } else {
      fail = fail === null ? n : Math.min(fail, n);
    }
    if (saturated) {
      clientBound = true;
      if (ok) break; // cannot tell whether the server would go further
    }
    let next: number;
    if (fail === null) {
      next = Math.round((n * 1.5) / 50) * 50;
      if (next > o.searchMax) break;
    } else {
      if (fail - pass <= Math.max(50, pass * 0.1)) break;
      next = Math.round((pass === 0 ? fail / 2 : (pass + fail) / 2) / 50) * 50;
      if (next <= pass || next >= fail) break;
    }
    n = next;
  }
  return { sustained: pass, firstFailure: fail, clientBound, inconclusive, points };
}

function fmt(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined ? '–' : v.toFixed(digits);
}

function markdown(efficiency: Point[], capacities: { server: ServerName; protocol: ViewerProtocol; cap: Capacity }[], o: Options): string {
  const lines: string[] = [];
  lines.push(`#### CPU per GB delivered (${o.viewers} viewers, ${o.durationS} s window)`, '');
  lines.push('| server | protocol | pass | viewers ok | min bitrate ratio | stalled viewers | server CPU % of core | CPU s / GB | core 0 busy % (softirq %) | core 0 s / GB | server RSS MiB | first frame p50 / p95 ms | latency p50 / p95 / p99 ms | load tool CPU % | other processes CPU % (ksoftirqd %) |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of efficiency) {
    const r = p.report;
    if (!r) {
      lines.push(`| ${p.server} | ${p.protocol} | error | ${p.error?.split('\n')[0] ?? ''} |||||||||`);
      continue;
    }
    const core0 = r.machine.cores[String(SERVER_CORE)];
    const core0PerGB = core0?.busyPercent != null && r.delivered.wireBytes > 0 ? ((core0.busyPercent / 100) * r.windowSeconds) / (r.delivered.wireBytes / 1e9) : null;
    lines.push(
      `| ${p.server} | ${p.protocol} | ${r.pass ? 'yes' : 'no'} | ${r.viewers.passing}/${r.viewers.requested} | ${fmt(r.bitrate.minRatio, 3)} | ${r.stalls.viewersWithStall} | ` +
        `${fmt(r.server?.cpuPercentOfOneCore, 1)} | ${fmt(r.server?.cpuSecondsPerGB, 2)} | ${fmt(core0?.busyPercent, 1)} (${fmt(core0?.softirqPercent, 1)}) | ${fmt(core0PerGB, 2)} | ${fmt(r.server?.rssMiB, 0)} | ${fmt(r.firstFrameMs.p50)} / ${fmt(r.firstFrameMs.p95)} | ` +
        `${fmt(r.latencyMs.p50, 1)} / ${fmt(r.latencyMs.p95, 1)} / ${fmt(r.latencyMs.p99, 1)} | ${fmt(r.client.cpuPercentOfOneCore, 0)} | ${fmt(r.machine.otherProcessesPercentOfOneCore, 0)} (${fmt(r.machine.ksoftirqdPercentOfOneCore, 0)}) |`,
    );
  }
  if (capacities.length > 0) {
    lines.push('', `#### Viewers one core sustains (every viewer >= 95% of source bitrate, no stall; ${o.searchDurationS} s per point)`, '');
    lines.push('| server | protocol | sustained | first failing point | limited by | points tried (viewers: pass/fail, server CPU %, load tool CPU %) |');
    lines.push('|---|---|---|---|---|---|');
    for (const { server, protocol, cap } of capacities) {
      const tried = cap.points
        .map((p) => `${p.viewers}: ${p.report ? (p.report.pass ? "pass" : "fail") : "error"}, ${fmt(p.report?.server?.cpuPercentOfOneCore)}%, ${fmt(p.report?.client.cpuPercentOfOneCore)}% (other ${fmt(p.report?.machine.otherProcessesPercentOfOneCore)}%)`)
        .join('; ');
      const limit = cap.inconclusive
        ? 'inconclusive: a point failed while other processes kept the machine busy'
        : cap.clientBound
          ? 'load tool (client core saturated): a lower bound'
          : cap.firstFailure === null
            ? `search stopped at ${cap.points.at(-1)?.viewers} (search max ${o.searchMax})`
            : 'server';
      const sustained =
        cap.sustained === 0 ? (cap.inconclusive ? '?' : `< ${cap.points[0]?.viewers}`) : `${cap.firstFailure === null ? '>= ' : ''}${cap.sustained}`;
      lines.push(`| ${server} | ${protocol} | ${sustained} | ${cap.firstFailure ?? '–'} | ${limit} | ${tried} |`);
    }
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = parse();
  const setup = Bun.spawnSync(['bash', `${REPO}/bench/setup.sh`], { stdout: 'inherit', stderr: 'inherit' });
  if (setup.exitCode !== 0) throw new Error('bench/setup.sh failed');
  const runId = new Date().toISOString().replace(/[:.]/g, '-');
  if (o.servers.includes('weir')) log(`weir under test: ${prepareWeir(o.weirSource)}`);
  const startedAt = new Date().toISOString();
  const efficiency: Point[] = [];
  const capacities: { server: ServerName; protocol: ViewerProtocol; cap: Capacity }[] = [];
  mkdirSync(new URL('.', `file://${o.out}`).pathname, { recursive: true });
  const save = () => {
    const result = { startedAt, finishedAt: new Date().toISOString(), options: o, versions: versions(), efficiency, capacities };
    writeFileSync(o.out, JSON.stringify(result, null, 2));
    return result;
  };
  for (const server of o.servers) {
    for (const protocol of o.protocols) {
      if (!SERVER_PROTOCOLS[server].includes(protocol)) continue;
      const point = await runPoint(o, server, protocol, o.viewers, o.durationS, runId);
      efficiency.push(point);
      save();
      if (o.search && point.report) {
        try {
          const cap = await searchCapacity(o, server, protocol, o.searchStart === o.viewers ? point : undefined, runId);
          capacities.push({ server, protocol, cap });
          log(`${server} ${protocol}: sustains ${cap.sustained}${cap.clientBound ? ' (client-bound)' : ''}, first failure ${cap.firstFailure ?? '-'}`);
        } catch (err) {
          log(`${server} ${protocol}: capacity search failed: ${String(err)}`);
        }
        save();
      }
    }
  }
  const result = save();
  process.stdout.write(`\nResults ${startedAt} (JSON: ${o.out.replace(`${REPO}/`, '')})\n\n`);
  process.stdout.write(
    `Versions: ${Object.entries(result.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}\n\n`,
  );
  process.stdout.write(markdown(efficiency, capacities, o));
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
