// The fan-out benchmark's compact summary: per server (and Weir mode) and protocol, the medians
// over repeated runs of CPU per 100 viewers, added latency and memory per viewer, as the
// markdown table RESULTS.md quotes. Pure: the runs come in as numbers.

/** the median of the finite values (mean of the middle two for an even count); null when none */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** % of one core per 100 viewers */
export function cpuPer100Viewers(cpuPercentOfOneCore: number | null | undefined, viewers: number): number | null {
  if (cpuPercentOfOneCore == null || viewers <= 0) return null;
  return (cpuPercentOfOneCore * 100) / viewers;
}

/**
 * What each viewer costs in resident memory: RSS with N viewers minus RSS with only the
 * publisher, over N, in KiB.
 */
export function rssPerViewerKiB(rssMiB: number | null | undefined, baselineMiB: number | null | undefined, viewers: number): number | null {
  if (rssMiB == null || baselineMiB == null || viewers <= 0) return null;
  return ((rssMiB - baselineMiB) * 1024) / viewers;
}

/** one run of a point, reduced to what the summary needs */
export type RunFigures = {
  pass: boolean;
  cpuPercentOfOneCore: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  rssMiB: number | null;
  /** the server's RSS with the publisher only (see SummaryOptions.rssBaseline) */
  rssBaselineMiB: number | null;
};

export type SummaryRow = {
  /** e.g. "weir (default)", "srs" */
  label: string;
  protocol: string;
  /** the efficiency point's runs (at `viewers`) */
  runs: readonly RunFigures[];
  /** the latency point's runs (at the smaller `latencyViewers`), when one was measured */
  latencyRuns: readonly RunFigures[];
};

export type SummaryOptions = {
  viewers: number;
  latencyViewers: number | null;
  repeat: number;
  /**
   * where the publisher-only RSS comes from: `point`, a run of the same server with no viewer
   * over the same timeline (growth with time, e.g. HLS buffers or a heap warming up, cancels
   * out); `before-viewers`, the same run just before its first viewer connected
   */
  rssBaseline: 'point' | 'before-viewers';
};

export type SummaryCells = {
  cpuPer100: number | null;
  latencyP50: number | null;
  latencyP99: number | null;
  smallLatencyP50: number | null;
  smallLatencyP99: number | null;
  rssPerViewerKiB: number | null;
  passed: number;
  runs: number;
};

/** medians over the repeats: failing runs count too (the pass column says how many passed) */
export function summarize(row: SummaryRow, viewers: number): SummaryCells {
  return {
    cpuPer100: median(row.runs.map((r) => cpuPer100Viewers(r.cpuPercentOfOneCore, viewers))),
    latencyP50: median(row.runs.map((r) => r.latencyP50Ms)),
    latencyP99: median(row.runs.map((r) => r.latencyP99Ms)),
    smallLatencyP50: median(row.latencyRuns.map((r) => r.latencyP50Ms)),
    smallLatencyP99: median(row.latencyRuns.map((r) => r.latencyP99Ms)),
    rssPerViewerKiB: median(row.runs.map((r) => rssPerViewerKiB(r.rssMiB, r.rssBaselineMiB, viewers))),
    passed: row.runs.filter((r) => r.pass).length + row.latencyRuns.filter((r) => r.pass).length,
    runs: row.runs.length + row.latencyRuns.length,
  };
}

function cell(v: number | null, digits: number): string {
  return v === null ? '–' : v.toFixed(digits);
}

/** milliseconds: a decimal below 10 ms, where one matters (1.2 vs 0.4 ms), none above */
function ms(v: number | null): string {
  return cell(v, v !== null && Math.abs(v) < 10 ? 1 : 0);
}

function pair(a: number | null, b: number | null): string {
  return a === null && b === null ? '–' : `${ms(a)} / ${ms(b)}`;
}

/** the compact markdown table: one line per server (or Weir mode) and protocol */
export function compactTable(rows: readonly SummaryRow[], o: SummaryOptions): string {
  const n = o.viewers;
  const m = o.latencyViewers;
  const head = [
    'server / mode',
    'protocol',
    `CPU % of one core per 100 viewers (${n} viewers)`,
    `added latency p50 / p99 ms (${n} viewers)`,
    ...(m !== null ? [`added latency p50 / p99 ms (${m} viewers)`] : []),
    `RSS per viewer KiB (${n} viewers)`,
    'runs passing',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const s = summarize(row, n);
    const cells = [
      row.label,
      row.protocol,
      cell(s.cpuPer100, 1),
      pair(s.latencyP50, s.latencyP99),
      ...(m !== null ? [pair(s.smallLatencyP50, s.smallLatencyP99)] : []),
      cell(s.rssPerViewerKiB, 0),
      `${s.passed}/${s.runs}`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const runs = o.repeat > 1 ? `medians of ${o.repeat} runs` : 'one run each';
  const rss =
    o.rssBaseline === 'point'
      ? 'RSS per viewer = (median RSS over the window - the same for a publisher-only run at the same moment) / viewers'
      : 'RSS per viewer = (median RSS over the window - RSS just before the first viewer) / viewers'
  return `${lines.join('\n')}\n\n${runs}; latency = publisher socket write to viewer socket read, in one process (see bench/README.md); ${rss}\n`;
}

/** a Weir configuration the benchmark runs as if it were another server: engine flags, and variables over its environment */
export type WeirMode = { name: string; args: string[]; env: Record<string, string> };

/** the named modes --weir-modes knows without a definition */
export const WEIR_MODE_PRESETS: Readonly<Record<string, readonly string[]>> = {
  default: [],
  lowlat: ['--merge-write-ms', '0'],
};

/**
 * `default,lowlat` or `NAME=ENGINE ARGS` entries (arguments split on spaces, no quoting), e.g.
 * `default,mw20=--merge-write-ms 20`; `extraArgs` (--weir-args) is appended to every mode. An
 * argument of the form `VARIABLE=VALUE` (upper case) sets an environment variable of the engine
 * instead, e.g. `noholes=MIMALLOC_PURGE_HOLES=0`.
 * Entries are separated by commas, so an argument cannot contain one.
 */
export function parseWeirModes(spec: string, extraArgs: string): WeirMode[] {
  const extra = splitArgs(extraArgs);
  const modes: WeirMode[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = raw.indexOf('=');
    const name = eq < 0 ? raw : raw.slice(0, eq).trim();
    if (!/^[\w.-]+$/.test(name)) throw new Error(`--weir-modes: '${raw}': a mode name is letters, digits, '.', '_' or '-'`);
    let args: string[];
    if (eq >= 0) {
      args = splitArgs(raw.slice(eq + 1));
    } else {
      const preset = WEIR_MODE_PRESETS[name];
      if (!preset) throw new Error(`--weir-modes: unknown mode '${name}' (known: ${Object.keys(WEIR_MODE_PRESETS).join(', ')}; or NAME=ARGS)`);
      args = [...preset];
    }
    if (modes.some((m) => m.name === name)) throw new Error(`--weir-modes: mode '${name}' given twice`);
    const env: Record<string, string> = {};
    const flags: string[] = [];
    for (const arg of [...args, ...extra]) {
      const assignment = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(arg);
      if (assignment) env[assignment[1]!] = assignment[2]!;
      else flags.push(arg);
    }
    modes.push({ name, args: flags, env });
  }
  if (modes.length === 0) throw new Error('--weir-modes: no mode');
  return modes;
}

function splitArgs(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}
