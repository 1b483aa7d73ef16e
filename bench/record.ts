// Recording benchmark (issue 13 item 8): the engine's CPU per recorded stream (recording on vs
// off), how many 2.6 Mbit/s streams one core records (write throughput), and the time to answer
// a look-back playlist over 24 h of segments.
//
// The engine under test runs pinned to core 0 under a config server in this process
// (test/engine/fake-config-server.ts), whose snapshot gives the app `rec` recording settings
// (src/shared/config-protocol.ts RecordingSettings) or none; this process, pinned to core 1,
// publishes N copies of bench/.cache/src-720p-2500k.flv over RTMP at real-time pace. Files go to
// a directory under /tmp/weir-bench (--record-dir), deleted after every point.
//
//   phase cpu:      recording on vs off at --cpu-streams, alternating, --cpu-rounds pairs
//   phase capacity: recording on at growing stream counts; a point passes when the engine stays
//                   under --max-cpu, drops no segment (engine API /v1/status) and every stream's
//                   completed files cover the window but for two segments
//   phase lookback: 24 h of segment files (hard links of one recorded segment, named as the
//                   recorder names them), then GET /rec/cam/index.m3u8?start_time=&end_time= over
//                   all of it, timed cold and warm. Runs only when the engine's src/ has the
//                   look-back route (`start_time`), else it is reported as skipped.
// Loopback only, bounded in time; it stops only the engines it started.
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { appSettings, makeSnapshot, startFakeConfigServer, type FakeConfigServer } from '../test/engine/fake-config-server.ts';
import { formatSegmentName, parseSegmentName } from '../src/record/segment-name.ts';
import type { EngineStatus, RecordingFormat, RecordingSettings } from '../src/shared/config-protocol.ts';
import { choiceFlag, choicesFlag, ENGINE_RUN_OPTIONS, listFlag, numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { CLIENT_CORE, REPO, SERVER_CORE, finishReport, log, onInterrupt, reportHead, runMain, runStamp, startRun } from './lib/bench-run.ts';
import { searchCapacity } from './lib/capacity-search.ts';
import { readFlvFile } from './lib/flv-file.ts';
import { noisyMark, startCpuWindow, type CpuWindow } from './lib/hls-machine.ts';
import { withoutEndOfSequence } from './lib/hls-send-times.ts';
import { percentile, round, SendTimeTable } from './lib/metrics.ts';
import { Publisher } from './lib/publisher.ts';
import { WORK_DIR } from './lib/servers.ts';
import { parseEndpoint } from './lib/viewers.ts';
import { engineApi, startWeirEngine, type WeirEngine } from './lib/weir-engine.ts';
import type { FlvFileTag } from './lib/flv-file.ts';

const SOURCE = `${REPO}/bench/.cache/src-720p-2500k.flv`;
const SECRET = 'bench-record-secret-0123456789abcdef';
const APP = 'rec';

const USAGE = `usage: bun run bench/record.ts [options]
  --phases LIST          cpu,capacity,lookback (default all three)
  --format F             fmp4 (default) | ts
  --segment-sec S        recording segment duration (default 6, the control plane's default)
  --record-dir DIR       where the engine records (default ${WORK_DIR}/rec-<run>; emptied after each point)
  --warmup S             seconds after the last publisher started, before a window (default 8)
  --cpu-streams N        publishers in the cpu phase (default 8)
  --cpu-duration S       measured seconds per cpu run (default 30)
  --cpu-rounds N         on/off pairs, alternating order; medians are reported (default 2)
  --counts LIST          capacity phase stream counts, in order (default 16,32,64,128,192,256,384,512)
  --capacity-duration S  measured seconds per capacity point (default 30)
  --keep-going           measure every count even after one fails (default: stop there, then bisect
                         between the last passing and the first failing count to within 10%)
  --max-cpu PCT          a capacity point passes only below this engine CPU, % of one core (default 90)
  --lookback-hours H     hours of segments for the look-back phase (default 24)
  --lookback-requests N  timed warm requests after the first (default 20)
  --no-hls               apps without HLS and LL-HLS (default: on, as the engine's defaults)
  --weir-source S        head (default: committed src/, copied) | worktree | dist | git:REF
  --no-pin               do not pin this process to core ${CLIENT_CORE}
  --out PATH             JSON report path (default bench/results/record-<time>.json)
  --help`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const args = parseBenchArgs(USAGE, {
  phases: { type: 'string', default: 'cpu,capacity,lookback' },
  format: { type: 'string', default: 'fmp4' },
  'segment-sec': { type: 'string', default: '6' },
  'record-dir': { type: 'string' },
  warmup: { type: 'string', default: '8' },
  'cpu-streams': { type: 'string', default: '8' },
  'cpu-duration': { type: 'string', default: '30' },
  'cpu-rounds': { type: 'string', default: '2' },
  counts: { type: 'string', default: '16,32,64,128,192,256,384,512' },
  'capacity-duration': { type: 'string', default: '30' },
  'keep-going': { type: 'boolean', default: false },
  'max-cpu': { type: 'string', default: '90' },
  'lookback-hours': { type: 'string', default: '24' },
  'lookback-requests': { type: 'string', default: '20' },
  'no-hls': { type: 'boolean', default: false },
  ...ENGINE_RUN_OPTIONS,
});
const phases = new Set(choicesFlag(args.phases, 'phases', ['cpu', 'capacity', 'lookback'], USAGE));
const format: RecordingFormat = choiceFlag(args.format, 'format', ['fmp4', 'ts'], USAGE);
const segmentSec = numberFlag(args['segment-sec'], 'segment-sec', USAGE, 1);
const warmupSec = numberFlag(args.warmup, 'warmup', USAGE);
const cpuStreams = numberFlag(args['cpu-streams'], 'cpu-streams', USAGE, 1);
const cpuDuration = numberFlag(args['cpu-duration'], 'cpu-duration', USAGE, 1);
const cpuRounds = numberFlag(args['cpu-rounds'], 'cpu-rounds', USAGE, 1);
const counts = listFlag(args.counts, 'counts', USAGE);
const capacityDuration = numberFlag(args['capacity-duration'], 'capacity-duration', USAGE, 1);
const maxCpu = numberFlag(args['max-cpu'], 'max-cpu', USAGE, 1);
const lookbackHours = numberFlag(args['lookback-hours'], 'lookback-hours', USAGE, 0.01);
const lookbackRequests = numberFlag(args['lookback-requests'], 'lookback-requests', USAGE, 1);
const hls = !args['no-hls'];
const runId = `record-${runStamp()}`;
const recordDir = args['record-dir'] ?? `${WORK_DIR}/${runId}`;

function recording(enabled: boolean): RecordingSettings {
  return { enabled, format, segmentDurationSec: segmentSec, path: recordDir, retentionDays: 0, quotaMb: 0 };
}

function snapshotFor(mode: 'on' | 'off') {
  const settings = { hls, llHls: hls };
  return makeSnapshot({ revision: Date.now(), apps: [appSettings(APP, mode === 'on' ? { ...settings, recording: recording(true) } : settings)] });
}

type SegmentFile = { stream: string; name: string; bytes: number; durationMs: number };

/** every complete segment file under the app's directory */
function listSegments(): Map<string, SegmentFile> {
  const out = new Map<string, SegmentFile>();
  const appDir = join(recordDir, APP);
  if (!existsSync(appDir)) return out;
  for (const stream of readdirSync(appDir)) {
    let names: string[];
    try {
      names = readdirSync(join(appDir, stream));
    } catch {
      continue;
    }
    for (const name of names) {
      const parsed = parseSegmentName(name);
      if (!parsed) continue;
      try {
        out.set(`${stream}/${name}`, { stream, name, bytes: statSync(join(appDir, stream, name)).size, durationMs: parsed.durationMs });
      } catch {
        // deleted meanwhile
      }
    }
  }
  return out;
}

type Session = { engine: WeirEngine; publishers: Publisher[]; stop(): Promise<void> };

async function startSession(fake: FakeConfigServer, mode: 'on' | 'off', streams: number, tags: FlvFileTag[], label: string, extraArgs: string[] = []): Promise<Session> {
  rmSync(recordDir, { recursive: true, force: true });
  mkdirSync(recordDir, { recursive: true });
  fake.snapshot = snapshotFor(mode);
  // the free-space floor is the engine's default (1 GiB); checks every 2 s so a drop shows in the window
  const engine = await startWeirEngine({ core: SERVER_CORE, runId: `${runId}-${label}`, config: { url: fake.url, secret: SECRET }, args: ['--record-check-ms', '2000', ...extraArgs] });
  const publishers: Publisher[] = [];
  const stop = async () => {
    for (const p of publishers) p.stop();
    await engine.stop();
    rmSync(recordDir, { recursive: true, force: true });
  };
  const unregister = onInterrupt(stop);
  try {
    for (let i = 0; i < streams; i++) {
      const p = new Publisher(parseEndpoint(`rtmp://127.0.0.1:${engine.rtmpPort}/${APP}/cam${i}`), tags, new SendTimeTable());
      publishers.push(p);
      await p.start();
    }
  } catch (err) {
    await stop();
    unregister();
    throw err;
  }
  return {
    engine,
    publishers,
    stop: async () => {
      await stop();
      unregister();
    },
  };
}

type Window = {
  cpu: CpuWindow;
  files: number;
  /** bytes of the files completed in the window / the window: quantized by whole segments (the recorder writes a segment when it closes) */
  writtenMbps: number;
  /** bytes / media seconds of those files: the rate each recorded stream needs from the disk */
  fileMbpsPerStream: number;
  /** per stream: seconds of media in files completed during the window */
  recordedSecMin: number;
  recordedSecMedian: number;
  streamsWithFiles: number;
  segmentsWrittenDelta: number;
  segmentsDroppedDelta: number;
  publisherMaxLagMs: number;
  publisherErrors: string[];
  rssMiB: number;
};

async function measureWindow(s: Session, seconds: number): Promise<Window> {
  const status = async () => (await engineApi<EngineStatus>(s.engine, SECRET, '/v1/status'))?.recording;
  const before = listSegments();
  const r0 = await status();
  const end = startCpuWindow(s.engine.pid, SERVER_CORE);
  await Bun.sleep(seconds * 1000);
  const cpu = end();
  const after = listSegments();
  const r1 = await status();
  const fresh = [...after].filter(([k]) => !before.has(k)).map(([, f]) => f);
  const perStream = new Map<string, number>();
  for (const f of fresh) perStream.set(f.stream, (perStream.get(f.stream) ?? 0) + f.durationMs / 1000);
  const secs = s.publishers.map((_, i) => perStream.get(`cam${i}`) ?? 0).sort((a, b) => a - b);
  const bytes = fresh.reduce((a, f) => a + f.bytes, 0);
  let rss = 0;
  try {
    rss = Number(readFileSync(`/proc/${s.engine.pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  } catch {
    // gone
  }
  return {
    cpu,
    files: fresh.length,
    writtenMbps: round((bytes * 8) / cpu.seconds / 1e6, 2)!,
    fileMbpsPerStream: round(fresh.length ? (bytes * 8) / (fresh.reduce((a, f) => a + f.durationMs, 0) / 1000) / 1e6 : 0, 2)!,
    recordedSecMin: round(secs[0] ?? 0, 1)!,
    recordedSecMedian: round(percentile(secs, 50) ?? 0, 1)!,
    streamsWithFiles: perStream.size,
    segmentsWrittenDelta: (r1?.segmentsWritten ?? 0) - (r0?.segmentsWritten ?? 0),
    segmentsDroppedDelta: (r1?.segmentsDropped ?? 0) - (r0?.segmentsDropped ?? 0),
    publisherMaxLagMs: round(Math.max(0, ...s.publishers.map((p) => p.stats.maxLagMs)), 1)!,
    publisherErrors: s.publishers.flatMap((p) => (p.error ? [p.error] : [])).slice(0, 5),
    rssMiB: round(rss / 1048576, 1)!,
  };
}

type CpuRun = { mode: 'on' | 'off'; round: number; window: Window };

async function cpuPhase(fake: FakeConfigServer, tags: FlvFileTag[]): Promise<{ runs: CpuRun[]; onMedian: number; offMedian: number; perStreamPercent: number; cpuSecondsPerStreamMinute: number }> {
  const runs: CpuRun[] = [];
  for (let r = 1; r <= cpuRounds; r++) {
    const order: ('on' | 'off')[] = r % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
    for (const mode of order) {
      log(`bench: cpu phase, recording ${mode}, round ${r}, ${cpuStreams} streams...`);
      const s = await startSession(fake, mode, cpuStreams, tags, `cpu-${mode}-${r}`);
      try {
        await Bun.sleep(warmupSec * 1000);
        const window = await measureWindow(s, cpuDuration);
        log(`bench:   engine ${window.cpu.enginePercent}%, ${window.files} files, ${window.writtenMbps} Mbit/s written, other ${window.cpu.otherPercent}%`);
        runs.push({ mode, round: r, window });
      } finally {
        await s.stop();
      }
    }
  }
  const med = (mode: 'on' | 'off') => percentile(runs.filter((x) => x.mode === mode).map((x) => x.window.cpu.enginePercent).sort((a, b) => a - b), 50) ?? 0;
  const onMedian = med('on');
  const offMedian = med('off');
  const perStreamPercent = round((onMedian - offMedian) / cpuStreams, 3)!;
  return { runs, onMedian, offMedian, perStreamPercent, cpuSecondsPerStreamMinute: round((perStreamPercent / 100) * 60, 3)! };
}

type CapacityPoint = { streams: number; pass: boolean; why: string[]; window: Window };

async function capacityPoint(fake: FakeConfigServer, tags: FlvFileTag[], n: number): Promise<CapacityPoint & { clientLimited: boolean }> {
  log(`bench: capacity, ${n} recorded streams...`);
  const s = await startSession(fake, 'on', n, tags, `cap-${n}`);
  try {
    await Bun.sleep(warmupSec * 1000);
    const w = await measureWindow(s, capacityDuration);
    const why: string[] = [];
    if (w.cpu.enginePercent >= maxCpu) why.push(`engine CPU ${w.cpu.enginePercent}% >= ${maxCpu}%`);
    if (w.segmentsDroppedDelta > 0) why.push(`${w.segmentsDroppedDelta} segments dropped`);
    const need = capacityDuration - 2 * segmentSec;
    if (w.recordedSecMin < need) why.push(`a stream recorded ${w.recordedSecMin} s of ${capacityDuration} s (needs ${need})`);
    if (w.publisherErrors.length) why.push(`publisher errors: ${w.publisherErrors[0]}`);
    // the publishers share one core with this process: past 90% of it they, not the engine, may be the limit
    const clientLimited = w.cpu.clientPercent > 90;
    if (clientLimited) why.push(`bench process at ${w.cpu.clientPercent}% of its core: client-limited, not a result`);
    const point = { streams: n, pass: why.length === 0, why, window: w, clientLimited };
    log(`bench:   ${point.pass ? 'pass' : 'FAIL'} engine ${w.cpu.enginePercent}%, ${w.writtenMbps} Mbit/s written, recorded s min/median ${w.recordedSecMin}/${w.recordedSecMedian}, publisher lag ${w.publisherMaxLagMs} ms, client ${w.cpu.clientPercent}%, other ${w.cpu.otherPercent}%${why.length ? ` (${why.join('; ')})` : ''}`);
    return point;
  } finally {
    await s.stop();
  }
}

/** the counts in order until one fails (unless --keep-going), then bisection to within 10% */
async function capacityPhase(fake: FakeConfigServer, tags: FlvFileTag[]): Promise<{ points: CapacityPoint[]; sustained: number; firstFail: number }> {
  const points: (CapacityPoint & { clientLimited: boolean })[] = [];
  const measure = async (n: number) => {
    const point = await capacityPoint(fake, tags, n);
    points.push(point);
    return point;
  };
  const { sustained, firstFail } = await searchCapacity(counts, measure, { keepGoing: args['keep-going'], bisect: !args['keep-going'] });
  return { points, sustained, firstFail };
}

type LookbackResult =
  | { skipped: string }
  | { segments: number; hours: number; segmentBytes: number; firstMs: number; warmP50Ms: number; warmP95Ms: number; warmMaxMs: number; playlistBytes: number; playlistEntries: number; status: number; makeFilesSec: number };

function engineHasLookback(engineDescribe: string): boolean {
  // the engine snapshot prepareWeir made (WORK_DIR/weir-<sha>), else this tree: the route's query
  // parameter as a quoted string in its src/ (prometheus' process_start_time_seconds does not match)
  const sha = engineDescribe.split(' ')[1] ?? '';
  const root = `${WORK_DIR}/weir-${sha}/src`;
  const src = existsSync(root) ? root : `${REPO}/src`;
  return Bun.spawnSync(['grep', '-rlq', "'start_time'", src]).exitCode === 0;
}

async function lookbackPhase(fake: FakeConfigServer, tags: FlvFileTag[], engineDescribe: string): Promise<LookbackResult> {
  if (!engineHasLookback(engineDescribe)) return { skipped: `the engine (${engineDescribe}) has no look-back route (no 'start_time' in its src/)` };
  // one real segment to link: record a few seconds of one stream
  log('bench: look-back, recording a sample segment...');
  const s = await startSession(fake, 'on', 1, tags, 'lookback-sample');
  let sample: string | undefined;
  const deadline = performance.now() + (segmentSec * 3 + 20) * 1000;
  while (!sample && performance.now() < deadline) {
    await Bun.sleep(500);
    const first = [...listSegments().values()][0];
    if (first) sample = join(recordDir, APP, first.stream, first.name);
  }
  const sampleCopy = `${WORK_DIR}/${runId}-sample`;
  if (sample) Bun.spawnSync(['cp', sample, sampleCopy]);
  await s.stop(); // empties recordDir
  if (!sample || !existsSync(sampleCopy)) return { skipped: 'no sample segment was recorded' };
  const cleanup = () => {
    rmSync(recordDir, { recursive: true, force: true });
    rmSync(sampleCopy, { force: true });
  };
  const unregister = onInterrupt(cleanup);
  try {
    const t0 = performance.now();
    const dir = join(recordDir, APP, 'cam');
    mkdirSync(dir, { recursive: true });
    const segMs = segmentSec * 1000;
    const endMs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const count = Math.round((lookbackHours * 3600 * 1000) / segMs);
    const startMs = endMs - count * segMs;
    for (let i = 0; i < count; i++) linkSync(sampleCopy, join(dir, formatSegmentName({ startMs: startMs + i * segMs, durationMs: segMs, format })));
    const makeFilesSec = round((performance.now() - t0) / 1000, 1)!;
    log(`bench: look-back, ${count} segment files (${lookbackHours} h) made in ${makeFilesSec} s; starting the engine`);
    fake.snapshot = snapshotFor('on');
    const engine = await startWeirEngine({ core: SERVER_CORE, runId: `${runId}-lookback`, config: { url: fake.url, secret: SECRET }, args: ['--record-check-ms', '600000'] });
    const unregisterEngine = onInterrupt(() => engine.stop());
    try {
      const url = `http://127.0.0.1:${engine.httpPort}/${APP}/cam/index.m3u8?start_time=${startMs}&end_time=${endMs}`;
      const get = async () => {
        const t = performance.now();
        const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
        const body = await res.text();
        return { ms: performance.now() - t, status: res.status, body };
      };
      // the engine may build its index after start: wait until the config (and recording) is in place
      await Bun.sleep(1000);
      const first = await get();
      if (first.status !== 200) return { skipped: `GET ${url.replace(/^http:\/\/[^/]+/, '')} answered ${first.status}: ${first.body.slice(0, 200)}` };
      const warm: number[] = [];
      for (let i = 0; i < lookbackRequests; i++) warm.push((await get()).ms);
      warm.sort((a, b) => a - b);
      return {
        segments: count,
        hours: lookbackHours,
        segmentBytes: statSync(sampleCopy).size,
        firstMs: round(first.ms, 1)!,
        warmP50Ms: round(percentile(warm, 50), 1)!,
        warmP95Ms: round(percentile(warm, 95), 1)!,
        warmMaxMs: round(warm.at(-1) ?? 0, 1)!,
        playlistBytes: first.body.length,
        playlistEntries: first.body.split('\n').filter((l) => l.startsWith('#EXTINF')).length,
        status: first.status,
        makeFilesSec,
      };
    } finally {
      await engine.stop();
      unregisterEngine();
    }
  } finally {
    cleanup();
    unregister();
  }
}

function windowCells(w: Window): string {
  return `${w.cpu.enginePercent} | ${w.writtenMbps} | ${w.fileMbpsPerStream} | ${w.files} | ${w.recordedSecMin} / ${w.recordedSecMedian} | ${w.segmentsDroppedDelta} | ${w.publisherMaxLagMs} | ${w.rssMiB} | ${w.cpu.clientPercent} | ${w.cpu.otherPercent}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const run = startRun([SOURCE], args);
  const engineDescribe = run.engine;
  log(`bench: engine ${engineDescribe} on core ${SERVER_CORE}; publishers (this process) on core ${CLIENT_CORE}; recording ${format}, ${segmentSec} s segments, to ${recordDir}`);
  const tags = withoutEndOfSequence(readFlvFile(SOURCE));
  const fileMbps = round(new Publisher(parseEndpoint('rtmp://127.0.0.1/live/none'), tags, new SendTimeTable()).fileBitrateBps / 1e6, 2)!;
  const fake = startFakeConfigServer({ secret: SECRET, snapshot: snapshotFor('off') });
  onInterrupt(() => fake.stop());
  const lines: string[] = [];
  const report: Record<string, unknown> = { ...reportHead(run, SOURCE), sourceMbps: fileMbps, options: { format, segmentSec, warmupSec, cpuStreams, cpuDuration, cpuRounds, counts, capacityDuration, maxCpu, lookbackHours, lookbackRequests, hls, recordDir } };
  const cols = 'engine % of core | written Mbit/s (files completed in window / window) | Mbit/s per stream in files | files | recorded s per stream min / median | segments dropped | publisher max lag ms | engine RSS MiB | bench process % | other processes %';
  if (phases.has('cpu')) {
    const cpu = await cpuPhase(fake, tags);
    report.cpu = cpu;
    lines.push(
      `Recording CPU: ${cpuStreams} RTMP publishers of the ${fileMbps} Mbit/s bench stream, ${format} ${segmentSec} s segments, HLS ${hls ? 'on' : 'off'}, ${cpuDuration} s windows`,
      '',
      `| recording | round | ${cols} |`,
      `|---|---:|${'---:|'.repeat(10)}`,
      ...cpu.runs.map((r) => `| ${r.mode}${noisyMark(r.window.cpu.otherPercent)} | ${r.round} | ${windowCells(r.window)} |`),
      '',
      `**Recording cost (median on - median off) / streams: ${cpu.perStreamPercent}% of a core per stream = ${cpu.cpuSecondsPerStreamMinute} CPU s per stream-minute** (on ${cpu.onMedian}%, off ${cpu.offMedian}%).`,
      '',
    );
  }
  if (phases.has('capacity')) {
    const cap = await capacityPhase(fake, tags);
    report.capacity = cap;
    lines.push(
      `Recording capacity: recording on, ${capacityDuration} s windows; pass = engine < ${maxCpu}%, no segment dropped, every stream's completed files cover the window but two segments`,
      '',
      `| streams | result | ${cols} |`,
      `|---:|---|${'---:|'.repeat(10)}`,
      ...cap.points.map((p) => `| ${p.streams} | ${p.pass ? 'pass' : `fail: ${p.why.join('; ')}`}${noisyMark(p.window.cpu.otherPercent)} | ${windowCells(p.window)} |`),
      '',
      `Streams one core records: **${cap.sustained}**${cap.firstFail ? ` (first failing: ${cap.firstFail})` : ' (no count failed: raise --counts)'}.`,
      '',
    );
  }
  if (phases.has('lookback')) {
    const lb = await lookbackPhase(fake, tags, engineDescribe);
    report.lookback = lb;
    if ('skipped' in lb) lines.push(`Look-back playlist: skipped: ${lb.skipped}.`, '');
    else
      lines.push(
        `Look-back playlist over ${lb.hours} h (${lb.segments} segment files of ${segmentSec} s): GET index.m3u8?start_time=&end_time= over all of it: first request ${lb.firstMs} ms; then p50 ${lb.warmP50Ms} ms, p95 ${lb.warmP95Ms} ms, max ${lb.warmMaxMs} ms (${lookbackRequests} requests); ${lb.playlistEntries} entries, ${Math.round(lb.playlistBytes / 1024)} KiB.`,
        '',
      );
  }
  finishReport('record', report, lines, started, args.out);
}

runMain(main);
