// CPU time of a process and all its descendants, from /proc/PID/stat (utime + stime, fields 14-15).
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

type StatLine = { pid: number; ppid: number; ticks: number };

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: split after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); ppid is field 4, utime 14, stime 15
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { pid, ppid, ticks };
}

/** pids of root and every live descendant */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = readStat(pid);
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(pid);
    else children.set(st.ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

/** user + system CPU seconds consumed so far by the given processes and their descendants */
export function treeCpuSeconds(rootPids: readonly number[]): number {
  let ticks = 0;
  const seen = new Set<number>();
  for (const root of rootPids) {
    for (const pid of processTree(root)) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      ticks += readStat(pid)?.ticks ?? 0;
    }
  }
  return ticks / ticksPerSecond();
}

/** resident set size of the given processes and their descendants, in bytes */
export function treeRssBytes(rootPids: readonly number[]): number {
  let pages = 0;
  for (const root of rootPids) {
    for (const pid of processTree(root)) {
      try {
        pages += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
      } catch {
        // gone
      }
    }
  }
  return pages * 4096;
}

export type CpuTimes = { busy: number; irq: number; softirq: number };

/** CPU seconds since boot from /proc/stat: the whole machine ('all') and each core by number */
export function cpuTimes(): Map<number | 'all', CpuTimes> {
  const out = new Map<number | 'all', CpuTimes>();
  const tps = ticksPerSecond();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    out.set(m[1] === '' ? 'all' : Number(m[1]), { busy: (total - idle) / tps, irq: (f[5] ?? 0) / tps, softirq: (f[6] ?? 0) / tps });
  }
  return out;
}

/** CPU seconds the kernel's softirq threads (ksoftirqd/N) have used: network work charged to no process */
export function ksoftirqdSeconds(): number {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes('(ksoftirqd/')) continue;
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond();
}
