// Markdown report of the HLS benchmark (bench/hls.ts): the run's context, then one section per phase.
import type { CpuResult } from './hls-cpu.ts';
import type { LatencyResult, Summary, WatcherResult } from './hls-latency.ts';
import type { ViewerLoadRun } from './hls-viewer-load.ts';
import type { MuxResult } from './hls-mux.ts';

export type HlsBenchReport = {
  command: string;
  date: string;
  git: { head: string; subject: string; engine: string; worktreeSrcDirty: boolean };
  machine: { cpu: string; cores: string; kernel: string; bun: string; serverCore: number; clientCore: number | null };
  source: { path: string; fileBitrateBps: number };
  engineHls: { targetMs: number; partMs: number; window: number };
  latency: LatencyResult | undefined;
  cpu: CpuResult | undefined;
  viewers: ViewerLoadRun[] | undefined;
  mux?: MuxResult[] | undefined;
  durationSec: number;
  notes: string[];
};

const f = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));
const triple = (s: Summary): string => `${f(s.p50)} / ${f(s.p95)} / ${f(s.max)}`;
const mbit = (bytesPerSec: number): string => ((bytesPerSec * 8) / 1e6).toFixed(2);
const kB = (bytesPerSec: number): string => (bytesPerSec / 1000).toFixed(1);

function latencySection(l: LatencyResult): string[] {
  const rows = (pick: (w: WatcherResult) => [Summary, Summary]) =>
    l.watchers.map((w) => {
      const [first, last] = pick(w);
      return `| ${w.name} | ${first.count} | ${triple(first)} | ${triple(last)} |`;
    });
  return [
    '## 1. Glass-to-glass availability latency',
    '',
    `One publisher at real-time pace to \`${l.stream}\`; three watchers on it at once (in the bench process, on the client core); ` +
      `${l.warmupSec} s warm-up, then ${l.durationSec} s measured. Latency = the moment a client could have the media ` +
      '- the wall-clock time the publisher wrote the video frame with that DTS to its socket. ' +
      '"First frame" is the first video frame of the segment/part (it waited for the whole segment/part: the worst case); ' +
      '"last frame" is its last video frame (the best case). All figures in ms, p50 / p95 / max.',
    '',
    ...l.watchers.map((w) => `- **${w.name}**: ${w.description}.`),
    '',
    '**Bytes in hand** (the segment/part has been downloaded completely):',
    '',
    '| watcher | samples | first frame p50 / p95 / max | last frame p50 / p95 / max |',
    '|---|---:|---:|---:|',
    ...rows((w) => [w.gotFirstFrameMs, w.gotLastFrameMs]),
    '',
    '**Listed** (the playlist response that first listed the segment/part has arrived; not for ll-hint, whose parts usually arrive before the playlist that lists them):',
    '',
    '| watcher | samples | first frame p50 / p95 / max | last frame p50 / p95 / max |',
    '|---|---:|---:|---:|',
    ...rows((w) => [w.listedFirstFrameMs, w.listedLastFrameMs]).filter((_, i) => l.watchers[i]!.name !== 'll-hint'),
    '',
    '| watcher | items | unmatched | video frames per item p50 (min-max) | duration s p50 (min-max) | playlist kB/s | media Mbit/s | playlist req/s | media req/s | errors | non-200 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...l.watchers.map(
      (w) =>
        `| ${w.name} | ${w.items} | ${w.unmatched} | ${f(w.videoFramesPerItem.p50)} (${f(w.videoFramesPerItem.min)}-${f(w.videoFramesPerItem.max)}) | ` +
        `${f(w.mediaDurationSec.p50)} (${f(w.mediaDurationSec.min)}-${f(w.mediaDurationSec.max)}) | ${kB(w.bytesPerSec.playlist)} | ${mbit(w.bytesPerSec.media)} | ` +
        `${w.requestsPerSec.playlist} | ${w.requestsPerSec.media} | ${w.stats.errors} | ${w.stats.badStatus} |`,
    ),
    '',
    `Publisher: worst lag behind its schedule ${l.publisher.maxLagMs} ms, loops ${l.publisher.loops}${l.publisher.error ? `, error: ${l.publisher.error}` : ''}; ` +
      `send time - timestamp ranged ${l.sendTable.scheduleSpreadMs.min}..${l.sendTable.scheduleSpreadMs.max} ms (pacing jitter). ` +
      `CPU during the window (1 stream, 3 watchers), % of one core: engine ${l.cpu.enginePercent}, bench process ${l.cpu.clientPercent}, ` +
      `other processes on the machine ${l.cpu.otherPercent}.`,
    '',
  ];
}

function cpuSection(c: CpuResult): string[] {
  const first = c.runs[0];
  return [
    '## 2. Engine CPU for HLS + LL-HLS muxing',
    '',
    `${first?.streams ?? '?'} publishers (the same file, ${first?.streams ?? '?'} streams), no viewer, engine pinned to its core; ` +
      `${first?.durationSec ?? '?'} s measured per run after a warm-up, HLS + LL-HLS on (defaults) vs off (\`WEIR_HLS=0 WEIR_LL_HLS=0\`, ` +
      'the environment form of `--no-hls --no-ll-hls`). Engine CPU: the scheduler\'s run time of every engine thread ' +
      '(/proc/PID/task/*/schedstat, ns resolution); "ticks %" is utime+stime in 10 ms ticks, as the fan-out benchmark reads it.',
    '',
    '| mode | round | engine % of a core | (ticks %) | % per stream | CPU s per stream-minute | RSS MiB | server core busy % | other % | client % | machine busy before % | publisher max lag ms | index.m3u8 / ll.m3u8 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...c.runs.map(
      (r) =>
        `| ${r.mode} | ${r.round}${r.repeated ? ' (again)' : ''} | ${r.enginePercentOfCore} | ${r.engineTickPercentOfCore} | ${r.percentOfCorePerStream} | ${r.cpuSecondsPerStreamMinute} | ${r.engineRssMiB} | ` +
        `${r.serverCoreBusyPercent} | ${r.otherCpuPercent} | ${r.clientCpuPercent} | ${r.quietBefore.busyPercent} | ${r.publisherMaxLagMs} | ${r.check.hls} / ${r.check.ll} |`,
    ),
    '',
    `**Muxing cost (on - off, medians over rounds): ${c.muxing.percentOfCorePerStream}% of a core per stream = ` +
      `${c.muxing.cpuSecondsPerStreamMinute} CPU s per stream-minute** (engine CPU with HLS on is ${c.muxing.ratio}x that with it off). ` +
      `**Memory: ${c.muxing.rssMiBPerStream} MiB of engine RSS per stream** (on - off, medians).`,
    '',
  ];
}

function viewerSection(runs: ViewerLoadRun[]): string[] {
  return [
    '## 3. HLS viewer load',
    '',
    'One publisher; N viewers of one kind at a time, in the bench process. A stall: the next segment/part not in hand within 1.5x ' +
      'the duration of the previous one. Media ratio: a viewer\'s media bytes (HTTP heads included; TS or fMP4 overhead included) ' +
      'over the source\'s media bitrate.',
    '',
    '| viewers | kind | media Mbit/s (all) | playlist kB/s (all) | media ratio p50 (min) | req/s playlist / media | stalls | viewers with stall | longest gap ms | errors | non-200 | engine % | client % | other % |',
    '|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.viewers} | ${r.kind} | ${mbit(r.totalBytesPerSec.media)} | ${kB(r.totalBytesPerSec.playlist)} | ${f(r.mediaRatio.p50)} (${f(r.mediaRatio.min)}) | ` +
        `${r.requestsPerSec.playlist} / ${r.requestsPerSec.media} | ${r.stalls} | ${r.viewersWithStall} | ${r.longestGapMs} | ${r.errors} | ${r.badStatus} | ` +
        `${r.enginePercentOfCore} | ${r.clientPercentOfCore} | ${r.otherPercent} |`,
    ),
    '',
    ...runs.map((r) => `- ${r.kind}: ${r.description}${r.lastError ? ` (last error: ${r.lastError})` : ''}.`),
    '',
  ];
}

function muxSection(runs: MuxResult[]): string[] {
  const first = runs[0];
  return [
    '## 4. Muxing alone, in process (bench/lib/hls-mux.ts)',
    '',
    `${first?.streams ?? 0} streams x ${first?.mediaMinutesPerStream ?? 0} min of the source file each, through the hub's ingest (tags classified as the RTMP edge does) as fast as ` +
      'the process goes, once without and once with an HLS + LL-HLS output per stream (engine defaults but the part target shown); each engine version in its own process. ' +
      'CPU: user + system time of that process; window: the distinct bytes the TS and fMP4 windows hold after the run; RSS: what the outputs added after a full GC.',
    '',
    '| engine src | part target ms | ingest alone CPU s | with HLS CPU s | muxing CPU s per stream-minute | muxing % of a core per stream | window MiB per stream | RSS MiB per stream |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (m) =>
        `| ${m.srcDir} | ${m.partTargetMs} | ${m.ingestCpuSec} | ${m.withHlsCpuSec} | ${m.muxCpuSecPerStreamMinute} | ${m.muxPercentOfCorePerStream} | ${m.windowMiBPerStream} | ${m.rssMiBPerStream} |`,
    ),
    '',
  ];
}

export function renderReport(r: HlsBenchReport): string {
  const lines = [
    `# HLS benchmark, ${r.date}`,
    '',
    `- Command: \`${r.command}\` (${r.durationSec} s in all)`,
    `- Date: ${r.date}`,
    `- Git HEAD: ${r.git.head} (${r.git.subject}); engine measured: ${r.git.engine}` +
      (r.git.worktreeSrcDirty ? ' (the working tree has uncommitted src/ changes, not measured)' : ''),
    `- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, Linux ${r.machine.kernel}, Bun ${r.machine.bun}; loopback only. ` +
      `Engine pinned to core ${r.machine.serverCore}; the bench process (publishers, watchers, viewers) ` +
      (r.machine.clientCore === null ? 'not pinned.' : `pinned to core ${r.machine.clientCore}.`),
    `- Source: \`${r.source.path}\`, ${(r.source.fileBitrateBps / 1e6).toFixed(2)} Mbit/s of media, looped at real-time pace. ` +
      `Engine HLS settings: defaults (${r.engineHls.targetMs} ms segment target, ${r.engineHls.partMs} ms parts, window ${r.engineHls.window}).`,
    '',
    ...(r.latency ? latencySection(r.latency) : []),
    ...(r.cpu ? cpuSection(r.cpu) : []),
    ...(r.viewers ? viewerSection(r.viewers) : []),
    ...(r.mux ? muxSection(r.mux) : []),
    '## Notes and caveats',
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}
