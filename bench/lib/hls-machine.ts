// CPU over a measurement window for the HLS benchmark: the engine's process tree, this process,
// the engine's core (softirq included) and everything else on the machine ("other": neighbours).
// The engine's CPU is read two ways: utime+stime (/proc/PID/stat, in clock ticks of 10 ms, what
// the fan-out benchmark reports) and the scheduler's run time of every thread
// (/proc/PID/task/TID/schedstat, in ns: no tick quantization, but the time of threads that exit
// during the window is lost).
import { readdirSync, readFileSync } from 'node:fs';
import { round } from './metrics.ts';
import { cpuTimes, processTree, treeCpuSeconds } from './proc-cpu.ts';

/** seconds the scheduler ran every thread of the process tree so far; 0 when schedstat is not available */
export function treeRunSeconds(rootPid: number): number {
  let ns = 0;
  for (const pid of processTree(rootPid)) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // gone
      }
    }
  }
  return ns / 1e9;
}

export type CpuWindow = {
  seconds: number;
  /** utime + stime, clock ticks */
  engineCpuSeconds: number;
  /** scheduler run time of all threads, ns resolution (0 without schedstat) */
  engineRunSeconds: number;
  /** % of one core, from engineRunSeconds when available, else from engineCpuSeconds */
  enginePercent: number;
  /** % of one core from utime + stime */
  engineTickPercent: number;
  clientPercent: number;
  serverCoreBusyPercent: number;
  otherPercent: number;
};

/** starts measuring now; call the result at the end of the window */
export function startCpuWindow(enginePid: number, serverCore: number): () => CpuWindow {
  const t0 = performance.now();
  const engine0 = treeCpuSeconds([enginePid]);
  const run0 = treeRunSeconds(enginePid);
  const self0 = process.cpuUsage();
  const machine0 = cpuTimes();
  return () => {
    const span = (performance.now() - t0) / 1000;
    const engine = treeCpuSeconds([enginePid]) - engine0;
    const run = treeRunSeconds(enginePid) - run0;
    const selfUsage = process.cpuUsage(self0);
    const self = (selfUsage.user + selfUsage.system) / 1e6;
    const machine1 = cpuTimes();
    const all = (machine1.get('all')?.busy ?? 0) - (machine0.get('all')?.busy ?? 0);
    const core = (machine1.get(serverCore)?.busy ?? 0) - (machine0.get(serverCore)?.busy ?? 0);
    const pct = (s: number) => round((s / span) * 100, 2)!;
    return {
      seconds: round(span, 2)!,
      engineCpuSeconds: round(engine, 2)!,
      engineRunSeconds: round(run, 4)!,
      enginePercent: pct(run > 0 ? run : engine),
      engineTickPercent: pct(engine),
      clientPercent: pct(self),
      serverCoreBusyPercent: pct(core),
      otherPercent: pct(Math.max(0, all - engine - self)),
    };
  };
}

/** other processes used more than this share of a core during a window: the figure is marked noisy (as fanout.ts does) */
export const NOISY_OTHER_PERCENT = 15;

/** ' *(noisy)*' for a window where other processes used more than NOISY_OTHER_PERCENT of a core */
export function noisyMark(otherPercent: number): string {
  return otherPercent > NOISY_OTHER_PERCENT ? ' *(noisy)*' : '';
}

/** an engine's CPU (% of one core) shared out over `units` (streams, pulls): % of a core and CPU seconds per unit-minute */
export function perUnit(percentOfCore: number, units: number): { percent: number; cpuSecondsPerMinute: number } {
  return { percent: round(percentOfCore / units, 3)!, cpuSecondsPerMinute: round((percentOfCore / 100 / units) * 60, 3)! };
}
