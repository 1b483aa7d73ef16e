// Fan-out benchmark: each server under test runs pinned to core 0, the load tool (one real-time
// publisher + N viewers) pinned to core 1. Per server (Weir once per mode) and protocol it
// reports CPU per 100 viewers and per GB delivered, added latency and memory per viewer at a
// fixed viewer count (optionally repeated, medians), optionally latency at a small audience,
// then searches the most viewers one core sustains (every viewer >= 95% of the source bitrate,
// no stall).
//
//   bun run bench/fanout.ts                       # whole suite (a few minutes per server)
//   bun run bench/fanout.ts --servers weir --protocols flv --no-search
//   bun run bench/fanout.ts --viewers 800 --latency-viewers 10 --repeat 3 --no-search --weir-modes default,lowlat
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compactTable, parseWeirModes, type RunFigures } from './lib/fanout-summary.ts';
import { cpuTimes } from './lib/proc-cpu.ts';
import { prepareWeir, SERVER_PROTOCOLS, serverMissing, startServer, streamUrls, versions, type ServerName, type WeirSource } from './lib/servers.ts';
import type { ViewerProtocol } from './lib/viewers.ts';

const REPO = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const BUN = `${REPO}/node_modules/.bin/bun`;
const SERVER_CORE = 0;
const CLIENT_CORE = 1;
/** above this share of its core the load tool, not the server, may be the limit */
const CLIENT_SATURATION = 0.9;
/** a point during which other processes used more than this % of a core is run again once */
const NOISY_OTHER_CPU_PERCENT = 15;
const MAX_SEARCH_POINTS = 7;
/** before a point, the whole machine should be below this % of one core busy */
const QUIET_BUSY_PERCENT = 20;
/** bench/load.ts's default --warmup */
const LOAD_WARMUP_S = 2;

/** what to stop if we are interrupted */
const live = { stopServer: undefined as (() => Promise<void>) | undefined, load: undefined as { kill(sig?: number | NodeJS.Signals): void } | undefined };
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    live.load?.kill('SIGKILL');
    void (live.stopServer?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const ALL_SERVERS: readonly ServerName[] = ['weir', 'srs', 'nginx', 'nms'];

const USAGE = `usage: bun run bench/fanout.ts [options]
  --servers LIST       weir,srs,nginx,nms (default: those installed; SRS needs bench/setup.sh with an SRS source);
                       srs-hls: SRS with HLS on, as its shipped conf/srs.conf has it (only when named)
  --protocols LIST     rtmp,flv,ws (default: rtmp,flv; each server runs those it serves)
  --viewers N          viewers of the efficiency point (default 1000)
  --latency-viewers M  also measure each server and protocol at M viewers (e.g. 10: added latency
                       with a small audience); default: no such point
  --repeat K           run the efficiency (and latency) points K times, interleaved across servers;
                       the summary table shows medians (default 1)
  --weir-modes LIST    Weir configurations, each run as its own server: default | lowlat
                       (--merge-write-ms 0) | NAME=ENGINE FLAGS (split on spaces), comma-separated
                       (default: default); a VARIABLE=VALUE among the flags (upper case) is set in
                       the engine's environment, e.g. noholes=MIMALLOC_PURGE_HOLES=0
  --weir-args ARGS     engine flags added to every Weir mode, e.g. "--merge-write-ms 20"
  --duration S         measured seconds per point (default 20)
  --search-duration S  measured seconds per capacity-search point (default 10)
  --no-search          only the efficiency point
  --search-start N     first capacity point (default: the efficiency point's viewers)
  --search-max N       stop searching above this (default 8000)
  --weir-source S      head (default: the committed src/, copied) | worktree (src/ as it is now, copied) | dist
                       | git:REF (src/ of any commit, e.g. git:c7654a1 for a before/after run)
  --ramp R             viewers connected per second (default 500)
  --quiet-wait S       before each point, wait up to S seconds for the machine to be nearly idle
                       (default 90; 0: do not wait)
  --no-rss-baseline    skip the publisher-only point per server and run; RSS per viewer is then
                       taken against the RSS just before the viewers connected (early in the
                       stream's life, so growth with time counts as the viewers')
  --noisy-retries N    run a point again up to N times when other processes were busy during it
                       (default 2; the least disturbed run counts)
  --rtmp-reader K      counter | chunk (see load.ts)
  --out PATH           JSON results (default bench/results/fanout-<time>.json)
`;

/** a server under test as the run sees it: Weir once per mode */
type Target = { server: ServerName; mode: string | null; args: string[]; env: Record<string, string>; label: string };

type LoadReport = {
  pass: boolean;
  viewers: { requested: number; connected: number; gotFirstFrame: number; closedEarly: number; passing: number; errors: Record<string, number> };
  bitrate: { minRatio: number; p5Ratio: number; medianBps: number; viewersBelowMinRatio: number };
  source: { fileBitrateBps: number; publishedBitrateBps: number };
  stalls: { total: number; viewersWithStall: number; longestGapMs: number };
  firstFrameMs: { p50: number | null; p95: number | null; max: number | null };
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null; samples: number };
  delivered: { wireBytes: number; wireGbps: number };
  server: { cpuSeconds: number; cpuPercentOfOneCore: number; cpuSecondsPerGB: number | null; rssMiB: number; rssBeforeViewersMiB?: number } | null;
  client: { cpuPercentOfOneCore: number; saturated: boolean; loopLagMs?: { p50: number | null; p99: number | null; max: number | null } };
  publisher: { error: string | null; maxLagMs: number } | null;
  windowSeconds: number;
  machine: { cores: Record<string, { busyPercent: number | null; softirqPercent: number | null }>; otherProcessesPercentOfOneCore: number | null; ksoftirqdPercentOfOneCore?: number | null };
};

/** baseline: the publisher and no viewer, over the efficiency point's timeline (its RSS is what the viewers' is measured against) */
type PointKind = 'efficiency' | 'latency' | 'search' | 'baseline';
type Point = {
  server: ServerName;
  /** the server with its Weir mode, e.g. "weir (lowlat)" */
  target: string;
  protocol: ViewerProtocol;
  viewers: number;
  kind: PointKind;
  /** 1-based run of a repeated point */
  run: number;
  command: string;
  report: LoadReport | null;
  error?: string;
};

// Alike in shape to bench/load.ts's option table (parseArgs with string flags); kept apart: each
// script has its own flags, and fanout passes only some of them on to load.ts.
function parse() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      servers: { type: 'string' },
      protocols: { type: 'string' },
      viewers: { type: 'string' },
      'latency-viewers': { type: 'string' },
      repeat: { type: 'string' },
      'weir-modes': { type: 'string' },
      'weir-args': { type: 'string' },
      duration: { type: 'string' },
      'search-duration': { type: 'string' },
      'no-search': { type: 'boolean' },
      'search-start': { type: 'string' },
      'search-max': { type: 'string' },
      ramp: { type: 'string' },
      'quiet-wait': { type: 'string' },
      'noisy-retries': { type: 'string' },
      'no-rss-baseline': { type: 'boolean' },
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
  const servers = values.servers === undefined ? null : (values.servers.split(',').filter(Boolean) as ServerName[]);
  for (const s of servers ?? []) if (!(s in SERVER_PROTOCOLS)) throw new Error(`unknown server ${s} (known: ${Object.keys(SERVER_PROTOCOLS).join(', ')})`);
  const count = (v: string | undefined, d: number, flag: string, min: number): number => {
    const n = Number(v ?? d);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected a whole number >= ${min}, got '${v}'`);
    return n;
  };
  const viewers = count(values.viewers, 1000, 'viewers', 1);
  return {
    /** null: every server that is installed */
    servers,
    weirModes: parseWeirModes(values['weir-modes'] ?? 'default', values['weir-args'] ?? ''),
    latencyViewers: values['latency-viewers'] === undefined ? null : count(values['latency-viewers'], 10, 'latency-viewers', 1),
    repeat: count(values.repeat, 1, 'repeat', 1),
    protocols: (values.protocols ?? 'rtmp,flv').split(',').filter(Boolean) as ViewerProtocol[],
    viewers,
    durationS: Number(values.duration ?? 20),
    searchDurationS: Number(values['search-duration'] ?? 10),
    search: !values['no-search'],
    searchStart: Number(values['search-start'] ?? viewers),
    searchMax: Number(values['search-max'] ?? 8000),
    weirSource: (values['weir-source'] ?? 'head') as WeirSource,
    ramp: Number(values.ramp ?? 500),
    quietWaitS: count(values['quiet-wait'], 90, 'quiet-wait', 0),
    noisyRetries: count(values['noisy-retries'], 2, 'noisy-retries', 0),
    rssBaseline: !values['no-rss-baseline'],
    rtmpReader: values['rtmp-reader'] ?? 'counter',
    out: values.out ?? `${REPO}/bench/results/fanout-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  };
}

type Options = ReturnType<typeof parse>;

function log(msg: string): void {
  process.stderr.write(`[fanout ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

type PointSpec = { target: Target; protocol: ViewerProtocol; viewers: number; durationS: number; kind: PointKind; run: number };

/** one measured point on a fresh server instance, run again once if a neighbour was busy */
async function runPoint(o: Options, spec: PointSpec, runId: string): Promise<Point> {
  const attempt = async (): Promise<Point> => {
    try {
      return await runPointOnce(o, spec, runId);
    } catch (err) {
      log(`  -> error: ${String(err).split('\n')[0]}`);
      return pointOf(spec, '', null, String(err));
    }
  };
  let best = await attempt();
  let last = best;
  for (let retry = 0; retry < o.noisyRetries && otherCpu(best) > NOISY_OTHER_CPU_PERCENT; retry++) {
    log(`  other processes used ${otherCpu(last)}% of a core during the window: running the point again`);
    last = await attempt();
    if (otherCpu(last) < otherCpu(best)) best = last;
  }
  return best;
}

function otherCpu(p: Point): number {
  return p.report?.machine.otherProcessesPercentOfOneCore ?? 0;
}

/** waits (up to maxS) until the machine has been nearly idle for a second: other people's work skews a point */
async function waitForQuiet(maxS: number): Promise<void> {
  if (maxS <= 0) return;
  const deadline = performance.now() + maxS * 1000;
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
  log(`  machine still busy after ${maxS} s: measuring anyway`);
}

function pointOf(spec: PointSpec, command: string, report: LoadReport | null, error?: string): Point {
  const { target, protocol, viewers, kind, run } = spec;
  return { server: target.server, target: target.label, protocol, viewers, kind, run, command, report, ...(error !== undefined ? { error } : {}) };
}

async function runPointOnce(o: Options, spec: PointSpec, runId: string): Promise<Point> {
  const { target, protocol, viewers, durationS } = spec;
  await waitForQuiet(o.quietWaitS);
  const s = await startServer(target.server, SERVER_CORE, runId, { weirArgs: target.args, weirEnv: target.env, ...(target.mode ? { tag: target.mode } : {}) });
  live.stopServer = s.stop;
  const urls = streamUrls(s, 'bench');
  const args = [
    'run', `${REPO}/bench/load.ts`,
    '--publish-url', urls.publish, '--url', urls.view[protocol],
    '--viewers', String(viewers), '--ramp', String(o.ramp), '--duration', String(durationS),
    '--rtmp-reader', o.rtmpReader, '--server-pid', String(s.pid), '--json',
    // the same moment in the stream's life as the efficiency point, whose ramp takes this long
    ...(spec.kind === 'baseline' ? ['--warmup', String(LOAD_WARMUP_S + o.viewers / o.ramp)] : []),
  ];
  const command = `taskset -c ${CLIENT_CORE} bun ${args.join(' ').replace(`${REPO}/`, '')}`;
  log(`${target.label} ${protocol} x${viewers} (${spec.kind}${o.repeat > 1 && spec.kind !== 'search' ? ` run ${spec.run}/${o.repeat}` : ''}): server pid ${s.pid} on core ${SERVER_CORE}`);
  try {
    const proc = Bun.spawn(['taskset', '-c', String(CLIENT_CORE), BUN, ...args], { cwd: REPO, stdout: 'pipe', stderr: 'pipe' });
    live.load = proc;
    const timeoutS = 60 + viewers / o.ramp + durationS * 2;
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutS * 1000);
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    if (code !== 0) return pointOf(spec, command, null, `load exited ${code}: ${err.slice(-800)}`);
    const report = JSON.parse(out) as LoadReport;
    log(`  -> ${summary(report)}`);
    return pointOf(spec, command, report);
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
async function searchCapacity(o: Options, target: Target, protocol: ViewerProtocol, first: Point | undefined, runId: string): Promise<Capacity> {
  const points: Point[] = [];
  let pass = 0;
  let fail: number | null = null;
  let clientBound = false;
  let inconclusive = false;
  const judge = (p: Point): boolean => p.report !== null && p.report.pass && !p.report.publisher?.error;
  let n = o.searchStart;
  for (let step = 0; step < MAX_SEARCH_POINTS; step++) {
    const p =
      step === 0 && first && first.viewers === n
        ? first
        : await runPoint(o, { target, protocol, viewers: n, durationS: o.searchDurationS, kind: 'search', run: 1 }, runId);
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

type CapacityEntry = { target: string; protocol: ViewerProtocol; cap: Capacity };

function markdown(points: Point[], capacities: CapacityEntry[], o: Options): string {
  const lines: string[] = [];
  lines.push(`#### Every measured point (${o.durationS} s window)`, '');
  lines.push(
    '| server | protocol | viewers | point | pass | viewers ok | min bitrate ratio | stalled viewers | server CPU % of core | CPU % per 100 viewers | CPU s / GB | core 0 busy % (softirq %) | core 0 s / GB | server RSS MiB (before viewers) | first frame p50 / p95 ms | latency p50 / p95 / p99 ms | load tool CPU % (loop lag p99 ms) | other processes CPU % (ksoftirqd %) |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of points) {
    const r = p.report;
    const what = `${p.kind}${o.repeat > 1 ? ` ${p.run}` : ''}`;
    if (!r) {
      lines.push(`| ${p.target} | ${p.protocol} | ${p.viewers} | ${what} | error | ${p.error?.split('\n')[0] ?? ''} |||||||||||||`);
      continue;
    }
    const core0 = r.machine.cores[String(SERVER_CORE)];
    const core0PerGB = core0?.busyPercent != null && r.delivered.wireBytes > 0 ? ((core0.busyPercent / 100) * r.windowSeconds) / (r.delivered.wireBytes / 1e9) : null;
    const per100 = r.server && p.viewers > 0 ? (r.server.cpuPercentOfOneCore * 100) / p.viewers : null;
    lines.push(
      `| ${p.target} | ${p.protocol} | ${p.viewers} | ${what} | ${r.pass ? 'yes' : 'no'} | ${r.viewers.passing}/${r.viewers.requested} | ${fmt(r.bitrate.minRatio, 3)} | ${r.stalls.viewersWithStall} | ` +
        `${fmt(r.server?.cpuPercentOfOneCore, 1)} | ${fmt(per100, 2)} | ${fmt(r.server?.cpuSecondsPerGB, 2)} | ${fmt(core0?.busyPercent, 1)} (${fmt(core0?.softirqPercent, 1)}) | ${fmt(core0PerGB, 2)} | ` +
        `${fmt(r.server?.rssMiB, 1)} (${fmt(r.server?.rssBeforeViewersMiB, 1)}) | ${fmt(r.firstFrameMs.p50)} / ${fmt(r.firstFrameMs.p95)} | ` +
        `${fmt(r.latencyMs.p50, 1)} / ${fmt(r.latencyMs.p95, 1)} / ${fmt(r.latencyMs.p99, 1)} | ${fmt(r.client.cpuPercentOfOneCore, 0)} (${fmt(r.client.loopLagMs?.p99, 1)}) | ` +
        `${fmt(r.machine.otherProcessesPercentOfOneCore, 0)} (${fmt(r.machine.ksoftirqdPercentOfOneCore, 0)}) |`,
    );
  }
  if (capacities.length > 0) {
    lines.push('', `#### Viewers one core sustains (every viewer >= 95% of source bitrate, no stall; ${o.searchDurationS} s per point)`, '');
    lines.push('| server | protocol | sustained | first failing point | limited by | points tried (viewers: pass/fail, server CPU %, load tool CPU %) |');
    lines.push('|---|---|---|---|---|---|');
    for (const { target, protocol, cap } of capacities) {
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
      lines.push(`| ${target} | ${protocol} | ${sustained} | ${cap.firstFailure ?? '–'} | ${limit} | ${tried} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** `baseline`: the publisher-only point of the same server and round, when one was measured */
function figures(p: Point, baseline?: Point): RunFigures {
  const r = p.report;
  const baselineMiB = baseline ? (baseline.report?.server?.rssMiB ?? null) : (r?.server?.rssBeforeViewersMiB ?? null);
  return {
    pass: r !== null && r.pass && !r.publisher?.error,
    cpuPercentOfOneCore: r?.server?.cpuPercentOfOneCore ?? null,
    latencyP50Ms: r?.latencyMs.p50 ?? null,
    latencyP99Ms: r?.latencyMs.p99 ?? null,
    rssMiB: r?.server?.rssMiB ?? null,
    rssBaselineMiB: baselineMiB,
  };
}

/** Weir once per mode, then the peers that are asked for (or, by default, installed) */
function targets(o: Options): Target[] {
  const wanted = o.servers ?? ALL_SERVERS;
  const out: Target[] = [];
  for (const server of wanted) {
    const missing = serverMissing(server);
    if (missing) {
      if (o.servers) throw new Error(missing);
      log(`skipping ${server}: ${missing}`);
      continue;
    }
    if (server === 'weir') {
      for (const m of o.weirModes) out.push({ server, mode: m.name, args: m.args, env: m.env, label: `weir (${m.name})` });
    } else {
      out.push({ server, mode: null, args: [], env: {}, label: server });
    }
  }
  if (out.length === 0) throw new Error('no server to measure');
  return out;
}

async function main(): Promise<void> {
  const o = parse();
  const setup = Bun.spawnSync(['bash', `${REPO}/bench/setup.sh`], { stdout: 'inherit', stderr: 'inherit' });
  if (setup.exitCode !== 0) throw new Error('bench/setup.sh failed');
  const runId = new Date().toISOString().replace(/[:.]/g, '-');
  const list = targets(o);
  if (list.some((t) => t.server === 'weir')) log(`weir under test: ${prepareWeir(o.weirSource)}`);
  const startedAt = new Date().toISOString();
  const points: Point[] = [];
  const capacities: CapacityEntry[] = [];
  const pairs = list.flatMap((target) => o.protocols.filter((p) => SERVER_PROTOCOLS[target.server].includes(p)).map((protocol) => ({ target, protocol })));
  const rows: { label: string; protocol: ViewerProtocol; runs: RunFigures[]; latencyRuns: RunFigures[] }[] = pairs.map(({ target, protocol }) => ({ label: target.label, protocol, runs: [], latencyRuns: [] }));
  mkdirSync(new URL('.', `file://${o.out}`).pathname, { recursive: true });
  const save = () => {
    const summary = compactTable(rows, { viewers: o.viewers, latencyViewers: o.latencyViewers, repeat: o.repeat, rssBaseline: o.rssBaseline ? 'point' : 'before-viewers' });
    const result = { startedAt, finishedAt: new Date().toISOString(), options: o, versions: versions(), points, capacities, summary };
    writeFileSync(o.out, JSON.stringify(result, null, 2));
    return result;
  };
  // repeats go round all servers before the next one starts, so a slow drift of the machine
  // (a neighbour, thermal state) spreads over every server instead of landing on one
  for (let run = 1; run <= o.repeat; run++) {
    const baselines = new Map<string, Point>();
    for (const [k, { target, protocol }] of pairs.entries()) {
      const row = rows[k]!;
      if (o.rssBaseline && !baselines.has(target.label)) {
        const b = await runPoint(o, { target, protocol, viewers: 0, durationS: o.durationS, kind: 'baseline', run }, runId);
        points.push(b);
        baselines.set(target.label, b);
      }
      const point = await runPoint(o, { target, protocol, viewers: o.viewers, durationS: o.durationS, kind: 'efficiency', run }, runId);
      points.push(point);
      row.runs.push(figures(point, baselines.get(target.label)));
      save();
      if (o.latencyViewers !== null) {
        const lat = await runPoint(o, { target, protocol, viewers: o.latencyViewers, durationS: o.durationS, kind: 'latency', run }, runId);
        points.push(lat);
        row.latencyRuns.push(figures(lat));
        save();
      }
    }
  }
  if (o.search) {
    for (const { target, protocol } of pairs) {
      const first = points.find((p) => p.kind === 'efficiency' && p.target === target.label && p.protocol === protocol && p.report !== null);
      if (!first) continue;
      try {
        const cap = await searchCapacity(o, target, protocol, o.searchStart === o.viewers ? first : undefined, runId);
        capacities.push({ target: target.label, protocol, cap });
        log(`${target.label} ${protocol}: sustains ${cap.sustained}${cap.clientBound ? ' (client-bound)' : ''}, first failure ${cap.firstFailure ?? '-'}`);
      } catch (err) {
        log(`${target.label} ${protocol}: capacity search failed: ${String(err)}`);
      }
      save();
    }
  }
  const result = save();
  process.stdout.write(`\nResults ${startedAt} (JSON: ${o.out.replace(`${REPO}/`, '')})\n\n`);
  process.stdout.write(
    `Versions: ${Object.entries(result.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}\n\n`,
  );
  process.stdout.write(markdown(points, capacities, o));
  const modes = list.filter((t) => t.mode !== null).map((t) => {
    const settings = [...Object.entries(t.env).map(([k, v]) => `${k}=${v}`), ...t.args];
    return `${t.label}: ${settings.length > 0 ? settings.join(' ') : 'no extra flags'}`;
  });
  process.stdout.write(`\n#### Summary\n\n${modes.length > 0 ? `Weir modes: ${modes.join('; ')}\n\n` : ''}${result.summary}`);
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
