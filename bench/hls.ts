// HLS benchmark: (1) glass-to-glass availability latency of classic HLS and LL-HLS, (2) the
// engine's CPU per stream for HLS + LL-HLS muxing (on vs --no-hls --no-ll-hls), (3) optionally
// N HLS / LL-HLS viewers with bytes and stalls. The engine runs pinned to core 0, this process
// (publishers, watchers, viewers) pinned to core 1; loopback only, bounded in time, and it stops
// only the engines it started. Writes bench/results/hls-<time>.md and .json.
//
//   bun run bench/hls.ts                          # all three phases, about 4 minutes
//   bun run bench/hls.ts --phases latency --latency-duration 60
//   bun run bench/hls.ts --phases viewers --viewers 500 --ll-viewer-mode preload-hint
//   bun run bench/hls.ts --phases mux --mux-revs b984a62,HEAD   # muxing CPU and memory per stream, before/after
import { choiceFlag, choicesFlag, ENGINE_RUN_OPTIONS, numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { CLIENT_CORE, REPO, SERVER_CORE, commandLine, git, log, onInterrupt, onlineCores, reportJson, runMain, runStamp, startRun, writeResultFile } from './lib/bench-run.ts';
import { readFlvFile } from './lib/flv-file.ts';
import type { LlMode } from './lib/hls-clients.ts';
import { runCpuPhase, stopCpuChild, type CpuResult } from './lib/hls-cpu.ts';
import { NOISY_OTHER_PERCENT } from './lib/hls-machine.ts';
import { runMuxPhase, type MuxResult } from './lib/hls-mux.ts';
import { runLatencyPhase, type LatencyResult } from './lib/hls-latency.ts';
import { renderReport, type HlsBenchReport } from './lib/hls-report.ts';
import { withoutEndOfSequence } from './lib/hls-send-times.ts';
import { runViewerPhase, type ViewerKind, type ViewerLoadRun } from './lib/hls-viewer-load.ts';
import { SendTimeTable } from './lib/metrics.ts';
import { Publisher } from './lib/publisher.ts';
import { archiveRev } from './lib/repo.ts';
import { startServer, versions, type RunningServer, type WeirSource } from './lib/servers.ts';
import { parseEndpoint } from './lib/viewers.ts';

const SOURCE = `${REPO}/bench/.cache/src-720p-2500k.flv`;
/** the engine's defaults (src/engine/engine-cli.ts); the benchmark does not change them */
const ENGINE_HLS = { targetMs: 2000, partMs: 150, window: 6 } as const;

const USAGE = `usage: bun run bench/hls.ts [options]
  --phases LIST          latency,cpu,viewers,mux (default: latency,cpu,viewers)
  --mux-revs LIST        mux phase: the commits whose src/ it measures, each in its own process (default HEAD)
  --mux-streams N        mux phase: streams (default 8)
  --mux-loops N          mux phase: times each stream goes through the 60 s file (default 3)
  --mux-part-ms LIST     mux phase: also measure each revision at these part targets (default: only its own default)
  --latency-duration S   measured seconds of the latency phase (default 40)
  --warmup S             seconds before each window (default 5)
  --poll-ms MS           classic HLS watcher's playlist poll interval (default 100)
  --cpu-streams N        publishers in the CPU phase (default 4)
  --cpu-duration S       measured seconds per CPU run (default 25)
  --cpu-rounds N         on/off pairs, alternating order; the result takes the medians (default 1)
  --quiet-wait S         before each CPU run, wait up to S s for the machine to be quiet (default 10)
  --viewers N            viewers per kind in the viewer phase (default 200)
  --viewer-kinds LIST    hls,ll (default both)
  --viewer-duration S    measured seconds per viewer kind (default 15)
  --viewer-poll-ms MS    classic viewers' playlist poll interval (default 500)
  --ll-viewer-mode M     blocking-reload (as hls.js; default) | preload-hint
  --weir-source S        head (default: the committed src/, copied) | worktree | dist | rev:<commit> (that commit's src/)
  --no-pin               do not pin this process to core ${CLIENT_CORE}
  --out BASE             results path without extension (default bench/results/hls-<time>)
`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const args = parseBenchArgs(USAGE, {
  phases: { type: 'string', default: 'latency,cpu,viewers' },
  'mux-revs': { type: 'string', default: 'HEAD' },
  'mux-streams': { type: 'string', default: '8' },
  'mux-loops': { type: 'string', default: '3' },
  'mux-part-ms': { type: 'string', default: '' },
  'latency-duration': { type: 'string', default: '40' },
  warmup: { type: 'string', default: '5' },
  'poll-ms': { type: 'string', default: '100' },
  'cpu-streams': { type: 'string', default: '4' },
  'cpu-duration': { type: 'string', default: '25' },
  'cpu-rounds': { type: 'string', default: '1' },
  'quiet-wait': { type: 'string', default: '10' },
  viewers: { type: 'string', default: '200' },
  'viewer-kinds': { type: 'string', default: 'hls,ll' },
  'viewer-duration': { type: 'string', default: '15' },
  'viewer-poll-ms': { type: 'string', default: '500' },
  'll-viewer-mode': { type: 'string', default: 'blocking-reload' },
  ...ENGINE_RUN_OPTIONS,
});
const num = (name: keyof typeof args): number => numberFlag(args[name] as string, name, USAGE);
const phases = new Set(choicesFlag(args.phases, 'phases', ['latency', 'cpu', 'viewers', 'mux'], USAGE));
const llMode: LlMode = choiceFlag(args['ll-viewer-mode'], 'll-viewer-mode', ['blocking-reload', 'preload-hint'], USAGE);
const viewerKinds: ViewerKind[] = choicesFlag(args['viewer-kinds'], 'viewer-kinds', ['hls', 'll'], USAGE);

/** the engine running now, so an interrupt stops it (by its own handle, never by name) */
let current: RunningServer | undefined;
onInterrupt(stopCpuChild);
onInterrupt(() => current?.stop());

async function main(): Promise<void> {
  const started = performance.now();
  const date = new Date();
  const runId = runStamp(date);
  const run = startRun([SOURCE], args);
  const clientCore = run.pinned ? CLIENT_CORE : null;
  const engine = run.engine;
  log(`bench: engine ${engine}, pinned to core ${SERVER_CORE}`);
  const tags = withoutEndOfSequence(readFlvFile(SOURCE));

  let latency: LatencyResult | undefined;
  let cpu: CpuResult | undefined;
  let viewers: ViewerLoadRun[] | undefined;
  // media bitrate of the file as Publisher computes it (a Publisher only connects on start())
  const fileBitrateBps = new Publisher(parseEndpoint('rtmp://127.0.0.1/live/none'), tags, new SendTimeTable()).fileBitrateBps;

  if (phases.has('latency')) {
    log(`bench: latency phase (${num('warmup')} s warm-up + ${num('latency-duration')} s)`);
    current = await startServer('weir', SERVER_CORE, `${runId}-hls-latency`);
    try {
      latency = await runLatencyPhase({ server: current, serverCore: SERVER_CORE, tags, warmupSec: num('warmup'), durationSec: num('latency-duration'), pollMs: num('poll-ms') });
      for (const w of latency.watchers) {
        log(
          `  ${w.name.padEnd(9)} n=${w.gotFirstFrameMs.count}: first frame p50 ${w.gotFirstFrameMs.p50} p95 ${w.gotFirstFrameMs.p95} max ${w.gotFirstFrameMs.max} ms; ` +
            `last frame p50 ${w.gotLastFrameMs.p50} p95 ${w.gotLastFrameMs.p95} max ${w.gotLastFrameMs.max} ms`,
        );
      }
    } finally {
      await current.stop();
      current = undefined;
    }
  }

  if (phases.has('cpu')) {
    log(`bench: cpu phase (${num('cpu-streams')} streams, ${num('cpu-rounds')} x on/off, ${num('cpu-duration')} s each)`);
    cpu = await runCpuPhase(
      {
        sourcePath: SOURCE,
        weirSource: args['weir-source'] as WeirSource,
        streams: num('cpu-streams'),
        warmupSec: num('warmup'),
        durationSec: num('cpu-duration'),
        rounds: num('cpu-rounds'),
        serverCore: SERVER_CORE,
        runId,
        quietWaitSec: num('quiet-wait'),
      },
      log,
    );
    log(`  muxing: ${cpu.muxing.percentOfCorePerStream}% of a core per stream = ${cpu.muxing.cpuSecondsPerStreamMinute} CPU s per stream-minute`);
  }

  if (phases.has('viewers') && num('viewers') > 0) {
    log(`bench: viewer phase (${num('viewers')} viewers per kind, ${num('viewer-duration')} s each)`);
    current = await startServer('weir', SERVER_CORE, `${runId}-hls-viewers`);
    try {
      viewers = await runViewerPhase(
        {
          server: current,
          serverCore: SERVER_CORE,
          tags,
          viewers: num('viewers'),
          kinds: viewerKinds,
          warmupSec: num('warmup'),
          durationSec: num('viewer-duration'),
          pollMs: num('viewer-poll-ms'),
          llMode,
          rampMs: 1000,
        },
        log,
      );
    } finally {
      await current.stop();
      current = undefined;
    }
  }

  let mux: MuxResult[] | undefined;
  if (phases.has('mux')) {
    mux = [];
    const partTargets = [undefined, ...args['mux-part-ms']!.split(',').filter((p) => p.trim() !== '').map(Number)];
    for (const rev of args['mux-revs']!.split(',').map((r) => r.trim())) {
      const { dir: srcDir, sha } = archiveRev(rev);
      for (const partTargetMs of partTargets) {
        log(`bench: mux phase, ${rev}${partTargetMs ? ` at ${partTargetMs} ms parts` : ''} (${num('mux-streams')} streams x ${num('mux-loops')} loops)`);
        const m = await runMuxPhase({ srcDir, sourcePath: SOURCE, streams: num('mux-streams'), loops: num('mux-loops'), ...(partTargetMs ? { partTargetMs } : {}) });
        log(`  ${m.muxCpuSecPerStreamMinute} CPU s per stream-minute (${m.muxPercentOfCorePerStream}% of a core), window ${m.windowMiBPerStream} MiB, RSS ${m.rssMiBPerStream} MiB per stream`);
        mux.push({ ...m, srcDir: `${rev} (${sha})` });
      }
    }
  }

  const v = versions();
  const report: HlsBenchReport = {
    command: commandLine(),
    date: date.toISOString(),
    git: {
      head: git('rev-parse', 'HEAD'),
      subject: git('log', '-1', '--format=%s'),
      engine,
      worktreeSrcDirty: git('status', '--porcelain', 'src') !== '',
    },
    machine: { cpu: v.cpu ?? 'unknown', cores: String(onlineCores()), kernel: v.kernel ?? 'unknown', bun: v.bun ?? 'unknown', serverCore: SERVER_CORE, clientCore },
    source: { path: SOURCE.replace(`${REPO}/`, ''), fileBitrateBps },
    engineHls: ENGINE_HLS,
    latency,
    cpu,
    viewers,
    mux,
    durationSec: Math.round((performance.now() - started) / 1000),
    notes: notes(latency, cpu),
  };
  const base = args.out ?? `${REPO}/bench/results/hls-${runId}`;
  writeResultFile(`${base}.json`, reportJson(report));
  const md = renderReport(report);
  writeResultFile(`${base}.md`, md);
  console.log(md);
  log(`bench: wrote ${base}.md and ${base}.json`);
}

function notes(latency: LatencyResult | undefined, cpu: CpuResult | undefined): string[] {
  const out = [
    'Send times: the publisher (bench/lib/publisher.ts) records when each video frame\'s bytes went to its socket; ' +
      'bench/lib/hls-send-times.ts follows the order of those records to key them by the RTMP timestamp sent (loops included). ' +
      'For the first publisher of a stream the engine keeps those timestamps and HLS carries them x 90 (90 kHz), so a ' +
      'segment\'s first PES DTS or a part\'s video tfdt (and the trun durations after it) give back the send time.',
    'The source file ends with an AVC end-of-sequence tag at 59.988 s. Publisher sends every non-frame tag once before the first ' +
      'frame with its own timestamp, so that tag would go out first at 59988 ms and the engine, which keeps timestamps monotonic per ' +
      'type, would stamp every video frame of the first minute 59988: no HLS segment or part would be cut. The benchmark drops that ' +
      'tag before publishing (withoutEndOfSequence). The same happens in the fan-out benchmark (its RTMP/FLV viewers get frozen ' +
      'video timestamps for the first loop; its figures do not depend on timestamps).',
    'A segment or part can only be closed when the frame after it arrives, so even the last-frame (best case) latency includes ' +
      'one frame interval (33 ms at 30 fps); the classic watcher adds up to one poll interval on top.',
    'Both ends are on one machine: the figures are the server\'s delay plus both processes\' scheduling on a 2-core machine; ' +
      'no network, no player buffer (hls.js holds back PART-HOLD-BACK, about 1 s, or 3 target durations for classic HLS).',
    'The difference of two CPU runs includes the machine\'s noise: see the ' +
      '"other %" column (CPU used by processes other than the engine and this benchmark); before each CPU run the benchmark waits ' +
      '(up to --quiet-wait) for the machine to be below 20% of a core busy, and runs a point again once when others used more than 15%.',
  ];
  if (latency) {
    const bad = latency.watchers.filter((w) => w.unmatched > 0);
    if (bad.length > 0) out.push(`Items without a matching send time: ${bad.map((w) => `${w.name} ${w.unmatched}`).join(', ')}.`);
  }
  if (cpu) {
    const wrong = cpu.runs.filter((r) => (r.mode === 'hls-on' ? r.check.hls !== 200 || r.check.ll !== 200 : r.check.hls !== 404 || r.check.ll !== 404));
    out.push(
      wrong.length === 0
        ? 'Checked after every CPU run: with HLS on, index.m3u8 and ll.m3u8 of a stream answer 200; with it off, 404.'
        : `WARNING: the HLS on/off check failed for ${wrong.map((r) => `${r.mode} round ${r.round} (${r.check.hls}/${r.check.ll})`).join(', ')}.`,
    );
    const noisy = cpu.runs.filter((r) => r.otherCpuPercent > NOISY_OTHER_PERCENT);
    if (noisy.length > 0) out.push(`Noisy CPU runs (other processes above 15% of a core): ${noisy.map((r) => `${r.mode} round ${r.round} (${r.otherCpuPercent}%)`).join(', ')}.`);
  }
  return out;
}

runMain(main);
