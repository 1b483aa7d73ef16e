// Phase 2 of the HLS benchmark: the engine's CPU cost of muxing HLS and LL-HLS. N publishers (the
// same file, N streams) to an engine pinned to a core, no viewer at all, once with HLS and LL-HLS
// on and muxed from each stream's first second, viewers or not (--hls-always-remux: by default
// the engine muxes a stream only once a player asks) and once with both off; the difference is
// the muxing cost.
//
// Each run is a child process (this file is its entry) started with WEIR_HLS=0 WEIR_LL_HLS=0 in
// its environment for the 'off' runs (WEIR_HLS_ALWAYS_REMUX=1 for the 'on' runs): servers.ts starts the engine with Bun.spawn and no env
// option, which passes the environment the process started with (changes to process.env after
// start are not passed on), and the engine reads those variables like --no-hls --no-ll-hls.
import type { Subprocess } from 'bun';
import { readFlvFile } from './flv-file.ts';
import { withoutEndOfSequence } from './hls-send-times.ts';
import { round, SendTimeTable } from './metrics.ts';
import { cpuTimes, treeRssBytes } from './proc-cpu.ts';
import { NOISY_OTHER_PERCENT, startCpuWindow } from './hls-machine.ts';
import { Publisher } from './publisher.ts';
import { prepareWeir, startServer, type RunningServer, type WeirSource } from './servers.ts';
import { parseEndpoint } from './viewers.ts';

// a mode union, then the run's record: the shape of hls-viewer-load.ts ViewerLoadRun, other fields
export type HlsMode = 'hls-on' | 'hls-off';

export type CpuRun = {
  mode: HlsMode;
  round: number;
  streams: number;
  durationSec: number;
  /** scheduler run time of the engine's threads (or utime+stime without schedstat) over the window */
  engineCpuSeconds: number;
  cpuSource: 'schedstat' | 'ticks';
  enginePercentOfCore: number;
  /** the same from utime+stime in 10 ms ticks, as the fan-out benchmark reads it */
  engineTickPercentOfCore: number;
  percentOfCorePerStream: number;
  cpuSecondsPerStreamMinute: number;
  engineRssMiB: number;
  /** core the engine is pinned to: busy share incl. softirq */
  serverCoreBusyPercent: number;
  /** CPU of everything but the engine and this process, % of one core */
  otherCpuPercent: number;
  /** this process (publishers), % of one core */
  clientCpuPercent: number;
  publisherMaxLagMs: number;
  publisherErrors: string[];
  /** status of GET index.m3u8 and ll.m3u8 of the first stream after the window: proves HLS was on or off */
  check: { hls: number; ll: number };
};

export type CpuResult = {
  runs: CpuRunWithContext[];
  /** medians of the rounds: on - off */
  muxing: {
    percentOfCorePerStream: number;
    cpuSecondsPerStreamMinute: number;
    /** on / off */
    ratio: number;
    /** engine RSS with HLS on minus off (medians over rounds), per stream: what each stream's HLS windows cost */
    rssMiBPerStream: number;
  };
};

export type CpuOptions = {
  sourcePath: string;
  weirSource: WeirSource;
  streams: number;
  warmupSec: number;
  durationSec: number;
  rounds: number;
  serverCore: number;
  runId: string;
  /** wait up to this long for the machine to be quiet before each run */
  quietWaitSec: number;
};

/** what one child run needs */
type RunArgs = Omit<CpuOptions, 'rounds' | 'quietWaitSec'> & { mode: HlsMode; round: number };

async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(8000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return -1;
  }
}

/** one run, in the child process: engine, publishers, window, checks */
async function measure(o: RunArgs, onServer: (s: RunningServer | undefined) => void): Promise<CpuRun> {
  const { mode, round: roundNo } = o;
  const expectOff = mode === 'hls-off';
  if ((process.env.WEIR_HLS === '0') !== expectOff || (process.env.WEIR_LL_HLS === '0') !== expectOff) {
    throw new Error(`run ${mode} started with WEIR_HLS=${process.env.WEIR_HLS} WEIR_LL_HLS=${process.env.WEIR_LL_HLS}`);
  }
  prepareWeir(o.weirSource);
  const tags = withoutEndOfSequence(readFlvFile(o.sourcePath));
  const server = await startServer('weir', o.serverCore, `${o.runId}-cpu-${mode}-${roundNo}`);
  onServer(server);
  const publishers: Publisher[] = [];
  try {
    for (let i = 0; i < o.streams; i++) {
      const p = new Publisher(parseEndpoint(`rtmp://127.0.0.1:${server.rtmpPort}/live/cpu${i}`), tags, new SendTimeTable());
      await p.start();
      publishers.push(p);
    }
    await Bun.sleep(o.warmupSec * 1000);
    const endWindow = startCpuWindow(server.pid, o.serverCore);
    await Bun.sleep(o.durationSec * 1000);
    const w = endWindow();
    const rss = treeRssBytes([server.pid]);
    const span = w.seconds;
    // scheduler run time (ns resolution) when the kernel has schedstat, else utime+stime (10 ms ticks)
    const engineSec = w.engineRunSeconds > 0 ? w.engineRunSeconds : w.engineCpuSeconds;
    const check = {
      hls: await statusOf(`http://127.0.0.1:${server.httpPort}/live/cpu0/index.m3u8`),
      ll: await statusOf(`http://127.0.0.1:${server.httpPort}/live/cpu0/ll.m3u8`),
    };
    return {
      mode,
      round: roundNo,
      streams: o.streams,
      durationSec: round(span)!,
      engineCpuSeconds: round(engineSec, 3)!,
      cpuSource: w.engineRunSeconds > 0 ? 'schedstat' : 'ticks',
      enginePercentOfCore: round((engineSec / span) * 100, 2)!,
      engineTickPercentOfCore: round(w.engineTickPercent, 2)!,
      percentOfCorePerStream: round((engineSec / span / o.streams) * 100, 2)!,
      cpuSecondsPerStreamMinute: round((engineSec / span / o.streams) * 60, 3)!,
      engineRssMiB: round(rss / 2 ** 20)!,
      serverCoreBusyPercent: round(w.serverCoreBusyPercent, 1)!,
      otherCpuPercent: round(w.otherPercent, 1)!,
      clientCpuPercent: round(w.clientPercent, 1)!,
      publisherMaxLagMs: round(Math.max(...publishers.map((p) => p.stats.maxLagMs)))!,
      publisherErrors: publishers.map((p) => p.error).filter((e): e is string => e !== undefined),
      check,
    };
  } finally {
    for (const p of publishers) p.stop();
    await server.stop();
    onServer(undefined);
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** the machine's busy CPU over `ms`, % of one core */
async function machineBusyPercent(ms: number): Promise<number> {
  const a = cpuTimes().get('all')?.busy ?? 0;
  await Bun.sleep(ms);
  const b = cpuTimes().get('all')?.busy ?? 0;
  return ((b - a) / (ms / 1000)) * 100;
}

/** waits until the machine is quiet (below `percent` of one core busy) or `maxSec` passed; returns the last reading */
async function waitForQuiet(percent: number, maxSec: number): Promise<{ busyPercent: number; waitedSec: number }> {
  const start = performance.now();
  let busy = await machineBusyPercent(1000);
  while (busy > percent && performance.now() - start < maxSec * 1000) busy = await machineBusyPercent(1000);
  return { busyPercent: round(busy)!, waitedSec: round((performance.now() - start) / 1000)! };
}

const QUIET_BUSY_PERCENT = 20;

/** the child process of the current run, so an interrupt can stop it (it stops its own engine) */
let child: Subprocess | undefined;
export function stopCpuChild(): void {
  child?.kill('SIGTERM');
}

async function runChild(args: RunArgs): Promise<CpuRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['WEIR_HLS', 'WEIR_LL_HLS', 'WEIR_HLS_ALWAYS_REMUX'].includes(k)) env[k] = v;
  if (args.mode === 'hls-off') {
    env.WEIR_HLS = '0';
    env.WEIR_LL_HLS = '0';
  } else {
    env.WEIR_HLS_ALWAYS_REMUX = '1';
  }
  const proc = Bun.spawn([process.execPath, 'run', import.meta.path, JSON.stringify(args)], { env, stdout: 'pipe', stderr: 'inherit' });
  child = proc;
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  child = undefined;
  if (code !== 0) throw new Error(`cpu run ${args.mode} round ${args.round} exited with code ${code}`);
  return JSON.parse(out) as CpuRun;
}

export type CpuRunWithContext = CpuRun & { quietBefore: { busyPercent: number; waitedSec: number }; repeated: boolean };

export async function runCpuPhase(o: CpuOptions, log: (line: string) => void): Promise<CpuResult> {
  const runs: CpuRunWithContext[] = [];
  for (let r = 1; r <= o.rounds; r++) {
    // alternate the order so a drift in the machine's load does not always favour one mode
    const order: HlsMode[] = r % 2 === 1 ? ['hls-on', 'hls-off'] : ['hls-off', 'hls-on'];
    for (const mode of order) {
      let repeated = false;
      let run: CpuRunWithContext;
      while (true) {
        const quietBefore = await waitForQuiet(QUIET_BUSY_PERCENT, o.quietWaitSec);
        const { rounds: _r, quietWaitSec: _q, ...base } = o;
        run = { ...(await runChild({ ...base, mode, round: r })), quietBefore, repeated };
        log(
          `  cpu ${mode} round ${r}: engine ${run.enginePercentOfCore}% of a core for ${run.streams} streams ` +
            `(${run.percentOfCorePerStream}%/stream), other ${run.otherCpuPercent}%, machine before ${quietBefore.busyPercent}%, ` +
            `index.m3u8 ${run.check.hls}, ll.m3u8 ${run.check.ll}`,
        );
        if (run.otherCpuPercent <= NOISY_OTHER_PERCENT || repeated) break;
        log('  noisy (other processes were busy): running it again once');
        repeated = true;
      }
      runs.push(run);
    }
  }
  const on = runs.filter((r) => r.mode === 'hls-on');
  const off = runs.filter((r) => r.mode === 'hls-off');
  const onPct = median(on.map((r) => r.percentOfCorePerStream));
  const offPct = median(off.map((r) => r.percentOfCorePerStream));
  const streams = Math.max(1, o.streams);
  const rssPerStream = (median(on.map((r) => r.engineRssMiB)) - median(off.map((r) => r.engineRssMiB))) / streams;
  return {
    runs,
    muxing: {
      percentOfCorePerStream: round(onPct - offPct, 2)!,
      cpuSecondsPerStreamMinute: round(((onPct - offPct) / 100) * 60, 3)!,
      ratio: round(offPct > 0 ? onPct / offPct : 0, 2)!,
      rssMiBPerStream: round(rssPerStream, 1)!,
    },
  };
}

if (import.meta.main) {
  const args = JSON.parse(process.argv[2] ?? '{}') as RunArgs;
  let server: RunningServer | undefined;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const run = await measure(args, (s) => (server = s));
  process.stdout.write(JSON.stringify(run));
  process.exit(0);
}
