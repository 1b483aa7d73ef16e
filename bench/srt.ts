// SRT benchmark (issue 14 item 5): the engine's CPU per SRT-ingested stream, how many SRT viewers
// one core serves, and the glass-to-glass latency Weir adds at 120 ms configured SRT latency,
// beside srt-live-transmit (libsrt's sample relay, Debian srt-tools) as the reference.
//
//   phase ingest:  N ffmpeg publishers (-re -stream_loop -1 -i bench/.cache/src-720p-2500k.ts -c copy
//                  -f mpegts srt://...?streamid=#!::r=live/inK,m=publish) on core 1; engine CPU per stream
//   phase viewers: one publisher (this process, SRT) and N viewers (light SRT callers in this
//                  process: src/srt's pure handshake and connection on Bun UDP sockets); a point
//                  passes when every viewer received >= --min-ratio of the TS bytes the publisher
//                  sent in the window with no video gap > 1 s; grows until one fails, then bisects
//   phase latency: this process publishes the TS file over SRT itself and notes when each video
//                  frame's last byte left; a viewer looks every arriving frame up (by the last 4
//                  bytes of its slice data, which survive a remux: lib/ts-frames.ts). The same
//                  publisher and viewer through Weir and through srt-live-transmit.
// The engine (or srt-live-transmit) runs pinned to core 0, this process and ffmpeg to core 1;
// loopback only, bounded in time; it stops only the processes it started.
import { readFileSync } from 'node:fs';
import type { Subprocess } from 'bun';
import type { LiveStreamState } from '../src/shared/config-protocol.ts';
import { choicesFlag, ENGINE_RUN_OPTIONS, listFlag, numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { CLIENT_CORE, REPO, SERVER_CORE, finishReport, log, onInterrupt, reportHead, runMain, runStamp, startRun, stopProcesses, waitUntil } from './lib/bench-run.ts';
import { searchCapacity } from './lib/capacity-search.ts';
import { freePort } from './lib/free-port.ts';
import { noisyMark, perUnit, startCpuWindow, type CpuWindow } from './lib/hls-machine.ts';
import { percentile, round } from './lib/metrics.ts';
import { WORK_DIR } from './lib/servers.ts';
import { CallerGroup, SrtCaller } from './lib/srt-caller.ts';
import { SrtTsPublisher } from './lib/srt-ts-publisher.ts';
import { scheduleTsFile, TsFrameMatcher, type TsSchedule } from './lib/ts-frames.ts';
import { engineApi, startWeirEngine, type WeirEngine } from './lib/weir-engine.ts';

const SOURCE = `${REPO}/bench/.cache/src-720p-2500k.ts`;
const FLV_SOURCE = `${REPO}/bench/.cache/src-720p-2500k.flv`;
const SECRET = 'bench-srt-secret-0123456789abcdef';
const STALL_MS = 1000;

const USAGE = `usage: bun run bench/srt.ts [options]
  --phases LIST          ingest,viewers,latency (default all three)
  --latency-ms MS        SRT latency of every caller, the engine and srt-live-transmit (default 120)
  --warmup S             seconds before each window (default 5)
  --ingest-counts LIST   ffmpeg SRT publishers per ingest point (default 1,8,16)
  --ingest-protocols L  srt,rtmp (default both: the same streams over RTMP are the baseline)
  --ingest-duration S    measured seconds per ingest point (default 20)
  --viewer-counts LIST   viewer counts, in order (default 50,100,200,400,800,1200,1600)
  --no-search            measure the viewer list only (default: bisect after the first failure to within 10%)
  --viewer-duration S    measured seconds per viewer point (default 15)
  --ramp N               viewers connected per second (default 200)
  --viewer-poll-ms MS    how often each viewer's connection is polled: ACKs, TSBPD delivery (default 10)
  --sampled-viewers K    viewers that parse the TS for video gaps and latency; the rest count bytes and
                         delivery gaps only, to keep the client cheap (default 10)
  --min-ratio R          a viewer passes at >= R of the publisher's TS bytes in the window (default 0.95)
  --latency-duration S   measured seconds of each latency run (default 30)
  --weir-source S        head (default: committed src/, copied) | worktree | dist | git:REF
  --no-pin               do not pin this process to core ${CLIENT_CORE}
  --out PATH             JSON report path (default bench/results/srt-<time>.json)
  --help
The viewer and latency phases send the 60 s source file once per point (no loop: timestamps would
go backwards), so warm-up + ramp + window must fit in it; the script says so when they do not.`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const args = parseBenchArgs(USAGE, {
  phases: { type: 'string', default: 'ingest,viewers,latency' },
  'latency-ms': { type: 'string', default: '120' },
  warmup: { type: 'string', default: '5' },
  'ingest-counts': { type: 'string', default: '1,8,16' },
  'ingest-duration': { type: 'string', default: '20' },
  'ingest-protocols': { type: 'string', default: 'srt,rtmp' },
  'viewer-counts': { type: 'string', default: '50,100,200,400,800,1200,1600' },
  'no-search': { type: 'boolean', default: false },
  'viewer-duration': { type: 'string', default: '15' },
  ramp: { type: 'string', default: '200' },
  'viewer-poll-ms': { type: 'string', default: '10' },
  'min-ratio': { type: 'string', default: '0.95' },
  'sampled-viewers': { type: 'string', default: '10' },
  'latency-duration': { type: 'string', default: '30' },
  ...ENGINE_RUN_OPTIONS,
});
const phases = new Set(choicesFlag(args.phases, 'phases', ['ingest', 'viewers', 'latency'], USAGE));
const latencyMs = numberFlag(args['latency-ms'], 'latency-ms', USAGE, 20);
const warmupSec = numberFlag(args.warmup, 'warmup', USAGE);
const ingestCounts = listFlag(args['ingest-counts'], 'ingest-counts', USAGE);
const ingestProtocols: IngestProtocol[] = choicesFlag(args['ingest-protocols'], 'ingest-protocols', ['srt', 'rtmp'], USAGE);
const ingestDuration = numberFlag(args['ingest-duration'], 'ingest-duration', USAGE, 1);
const viewerCounts = listFlag(args['viewer-counts'], 'viewer-counts', USAGE);
const viewerDuration = numberFlag(args['viewer-duration'], 'viewer-duration', USAGE, 1);
const ramp = numberFlag(args.ramp, 'ramp', USAGE, 1);
const viewerPollMs = numberFlag(args['viewer-poll-ms'], 'viewer-poll-ms', USAGE, 1);
const sampledViewers = numberFlag(args['sampled-viewers'], 'sampled-viewers', USAGE);
const minRatio = numberFlag(args['min-ratio'], 'min-ratio', USAGE);
const latencyDuration = numberFlag(args['latency-duration'], 'latency-duration', USAGE, 1);
const runId = `srt-${runStamp()}`;

const streamId = (path: string, mode: 'publish' | 'request') => `#!::r=${path},m=${mode}`;

async function srtEngine(label: string): Promise<WeirEngine> {
  const e = await startWeirEngine({ core: SERVER_CORE, runId: `${runId}-${label}`, srt: true, env: { WEIR_ENGINE_SECRET: SECRET, WEIR_SRT_LATENCY_MS: String(latencyMs) } });
  return e;
}

async function liveStreams(e: WeirEngine): Promise<LiveStreamState[]> {
  return (await engineApi<LiveStreamState[]>(e, SECRET, '/v1/streams')) ?? [];
}

// ---------------------------------------------------------------- ingest

type IngestProtocol = 'srt' | 'rtmp';
type IngestPoint = { protocol: IngestProtocol; streams: number; live: number; cpu: CpuWindow; percentPerStream: number; cpuSecondsPerStreamMinute: number; bitrateInMbps: number; ffmpegExited: number };

async function ingestPoint(n: number, protocol: IngestProtocol): Promise<IngestPoint> {
  const engine = await srtEngine(`ingest-${protocol}-${n}`);
  const procs: Subprocess[] = [];
  const stop = async () => {
    await stopProcesses(procs, 3000);
    await engine.stop();
  };
  const unregister = onInterrupt(stop);
  try {
    for (let i = 0; i < n; i++) {
      // the same media both ways: the TS file over SRT, its FLV original over RTMP (a baseline)
      const out =
        protocol === 'srt'
          ? ['-i', SOURCE, '-c', 'copy', '-f', 'mpegts', `srt://127.0.0.1:${engine.srtPort}?streamid=${streamId(`live/in${i}`, 'publish')}&latency=${latencyMs * 1000}`]
          : ['-i', FLV_SOURCE, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmpPort}/live/in${i}`];
      procs.push(
        Bun.spawn(['taskset', '-c', String(CLIENT_CORE), 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '-1', ...out], {
          stdout: 'ignore',
          stderr: Bun.file(`${engine.dir}/ffmpeg-${i}.log`),
          stdin: 'ignore',
        }),
      );
    }
    await waitUntil(async () => (await liveStreams(engine)).length >= n, 20_000 + n * 500, 500);
    await Bun.sleep(warmupSec * 1000);
    const end = startCpuWindow(engine.pid, SERVER_CORE);
    await Bun.sleep(ingestDuration * 1000);
    const cpu = end();
    const streams = await liveStreams(engine);
    const share = perUnit(cpu.enginePercent, n);
    return {
      protocol,
      streams: n,
      live: streams.length,
      cpu,
      percentPerStream: share.percent,
      cpuSecondsPerStreamMinute: share.cpuSecondsPerMinute,
      bitrateInMbps: round(streams.reduce((a, s) => a + s.bitrateInBps, 0) / 1e6, 2)!,
      ffmpegExited: procs.filter((p) => p.exitCode !== null).length,
    };
  } finally {
    await stop();
    unregister();
  }
}

// ---------------------------------------------------------------- viewers

type ViewerPoint = {
  viewers: number;
  pass: boolean;
  why: string[];
  connected: number;
  passed: number;
  minRatio: number;
  medianRatio: number;
  stalled: number;
  closed: number;
  cpu: CpuWindow;
  deliveredMbps: number;
  publisherMbps: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  publisherMaxLagMs: number;
  clientLimited: boolean;
  /** the bench process's CPU in the window, user and kernel, % of a core */
  clientUserPercent: number;
  clientSystemPercent: number;
  /** all viewers' receivers over the whole point: packets found missing, given up (too late), retransmissions received, belated */
  receiver: { lost: number; dropped: number; retransmitted: number; belated: number; received: number };
};

/**
 * A viewer's stall check: with a matcher (the first --sampled-viewers), a gap between video
 * frames; without (the rest, to keep the client cheap), a gap between deliveries.
 */
class DeliveryGaps {
  stalls = 0;
  windowFromMs = Number.POSITIVE_INFINITY;
  private last = -1;
  constructor(private readonly matcher: TsFrameMatcher | undefined) {}
  feed(p: Uint8Array, now: number): void {
    if (this.matcher) return this.matcher.feed(p, now);
    if (this.last >= 0 && now >= this.windowFromMs && now - this.last > STALL_MS) this.stalls++;
    this.last = now;
  }
  close(now: number): number {
    if (this.matcher) {
      this.matcher.windowToMs = now;
      this.matcher.closeWindow(now);
      return this.matcher.stalls;
    }
    if (this.last < 0 || now - this.last > STALL_MS) this.stalls++;
    return this.stalls;
  }
}

type Viewer = { caller: SrtCaller; gaps: DeliveryGaps; matcher: TsFrameMatcher | undefined; bytesAtStart: number; stalls: number };

async function viewerPoint(n: number, schedule: TsSchedule): Promise<ViewerPoint> {
  const needSec = warmupSec + n / ramp + viewerDuration + 3;
  if (needSec * 1000 > schedule.durationMs) throw new Error(`a ${n}-viewer point needs ${Math.ceil(needSec)} s of the ${Math.round(schedule.durationMs / 1000)} s file: lower --warmup, --viewer-duration or raise --ramp`);
  const engine = await srtEngine(`viewers-${n}`);
  const group = new CallerGroup(viewerPollMs);
  const publisher = new SrtTsPublisher(schedule, engine.srtPort, streamId('live/bench', 'publish'), latencyMs);
  const stop = async () => {
    group.closeAll();
    publisher.stop();
    await engine.stop();
  };
  const unregister = onInterrupt(stop);
  const viewers: Viewer[] = [];
  try {
    await publisher.start();
    await waitUntil(async () => (await liveStreams(engine)).length >= 1, 10_000);
    await Bun.sleep(1000); // a keyframe cached
    const connecting: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const due = t0 + (i * 1000) / ramp;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      const matcher = i < sampledViewers ? new TsFrameMatcher(publisher.sendTimes, STALL_MS) : undefined;
      const gaps = new DeliveryGaps(matcher);
      const caller = new SrtCaller({ port: engine.srtPort, streamId: streamId('live/bench', 'request'), latencyMs, onPayload: (p, now) => gaps.feed(p, now) });
      const v: Viewer = { caller, gaps, matcher, bytesAtStart: 0, stalls: 0 };
      viewers.push(v);
      connecting.push(
        caller.connect(15_000).then(
          () => void group.callers.add(caller),
          () => {},
        ),
      );
    }
    await Promise.all(connecting);
    await Bun.sleep(warmupSec * 1000);
    const from = performance.now();
    for (const v of viewers) {
      v.bytesAtStart = v.caller.deliveredBytes;
      v.gaps.windowFromMs = from;
      if (v.matcher) v.matcher.windowFromMs = from;
    }
    const pubAtStart = publisher.bytesSent;
    const self0 = process.cpuUsage();
    const end = startCpuWindow(engine.pid, SERVER_CORE);
    await Bun.sleep(viewerDuration * 1000);
    const cpu = end();
    const self = process.cpuUsage(self0);
    const to = performance.now();
    const pubBytes = publisher.bytesSent - pubAtStart;
    for (const v of viewers) v.stalls = v.gaps.close(to);
    const ratios = viewers.map((v) => (pubBytes > 0 ? (v.caller.deliveredBytes - v.bytesAtStart) / pubBytes : 0)).sort((a, b) => a - b);
    const ok = viewers.filter((v, i) => v.caller.connected && v.stalls === 0 && (v.caller.deliveredBytes - v.bytesAtStart) / Math.max(1, pubBytes) >= minRatio && i >= 0);
    const samples = viewers.flatMap((v) => v.matcher?.samples ?? []).sort((a, b) => a - b);
    const delivered = viewers.reduce((a, v) => a + v.caller.deliveredBytes - v.bytesAtStart, 0);
    const clientLimited = cpu.clientPercent > 90;
    const why: string[] = [];
    const connected = viewers.filter((v) => v.caller.connection !== undefined).length;
    if (connected < n) why.push(`${connected}/${n} connected`);
    if (ok.length < n) why.push(`${ok.length}/${n} viewers ok`);
    if (clientLimited) why.push(`bench process at ${cpu.clientPercent}% of its core: client-limited`);
    return {
      viewers: n,
      pass: why.length === 0,
      why,
      connected,
      passed: ok.length,
      minRatio: round(ratios[0] ?? 0, 3)!,
      medianRatio: round(percentile(ratios, 50) ?? 0, 3)!,
      stalled: viewers.filter((v) => v.stalls > 0).length,
      closed: viewers.filter((v) => v.caller.closed !== undefined).length,
      cpu,
      deliveredMbps: round((delivered * 8) / cpu.seconds / 1e6, 1)!,
      publisherMbps: round((pubBytes * 8) / cpu.seconds / 1e6, 2)!,
      latencyP50Ms: round(percentile(samples, 50), 1),
      latencyP95Ms: round(percentile(samples, 95), 1),
      publisherMaxLagMs: round(publisher.maxLagMs, 1)!,
      clientLimited,
      clientUserPercent: round(self.user / 1e4 / cpu.seconds, 1)!,
      clientSystemPercent: round(self.system / 1e4 / cpu.seconds, 1)!,
      receiver: viewers.reduce(
        (a, v) => {
          const r = v.caller.connection?.stats.receive;
          if (!r) return a;
          return { lost: a.lost + r.packetsLost, dropped: a.dropped + r.packetsDropped, retransmitted: a.retransmitted + r.packetsRetransmitted, belated: a.belated + r.packetsBelated, received: a.received + r.packetsReceived };
        },
        { lost: 0, dropped: 0, retransmitted: 0, belated: 0, received: 0 },
      ),
    };
  } finally {
    await stop();
    unregister();
  }
}

// ---------------------------------------------------------------- latency

type LatencyRun = { relay: 'weir' | 'srt-live-transmit'; samples: number; p50: number | null; p95: number | null; p99: number | null; max: number | null; min: number | null; framesSeen: number; matched: number; stalls: number; relayPercent: number; otherPercent: number };

async function latencyThrough(relay: 'weir' | 'srt-live-transmit', schedule: TsSchedule): Promise<LatencyRun> {
  if ((warmupSec + latencyDuration + 3) * 1000 > schedule.durationMs) throw new Error(`--warmup + --latency-duration must fit in the ${Math.round(schedule.durationMs / 1000)} s file`);
  let inPort: number;
  let outPort: number;
  let pid: number;
  let stopRelay: () => Promise<void>;
  if (relay === 'weir') {
    const e = await srtEngine('latency');
    inPort = outPort = e.srtPort;
    pid = e.pid;
    stopRelay = () => e.stop();
  } else {
    inPort = freePort();
    outPort = freePort();
    const q = `mode=listener&latency=${latencyMs}`;
    const proc = Bun.spawn(['taskset', '-c', String(SERVER_CORE), 'srt-live-transmit', '-q', `srt://127.0.0.1:${inPort}?${q}`, `srt://127.0.0.1:${outPort}?${q}`], {
      stdout: 'ignore',
      stderr: Bun.file(`${WORK_DIR}/${runId}-slt.log`),
      stdin: 'ignore',
    });
    pid = proc.pid;
    stopRelay = () => stopProcesses([proc], 3000);
    await Bun.sleep(500);
  }
  const path = 'live/latency';
  const publisher = new SrtTsPublisher(schedule, inPort, streamId(path, 'publish'), latencyMs);
  const group = new CallerGroup(2);
  const stop = async () => {
    group.closeAll();
    publisher.stop();
    await stopRelay();
  };
  const unregister = onInterrupt(stop);
  try {
    await publisher.start();
    const matcher = new TsFrameMatcher(publisher.sendTimes, STALL_MS);
    let viewer: SrtCaller | undefined;
    // srt-live-transmit accepts its output caller once its input is connected: retry for a while
    const deadline = performance.now() + 10_000;
    while (!viewer && performance.now() < deadline) {
      const c = new SrtCaller({ port: outPort, streamId: streamId(path, 'request'), latencyMs, onPayload: (p, now) => matcher.feed(p, now) });
      try {
        await c.connect(2000);
        viewer = c;
      } catch {
        c.close();
        await Bun.sleep(200);
      }
    }
    if (!viewer) throw new Error(`${relay}: the viewer could not connect`);
    group.callers.add(viewer);
    await Bun.sleep(warmupSec * 1000);
    matcher.windowFromMs = performance.now();
    const end = startCpuWindow(pid, SERVER_CORE);
    await Bun.sleep(latencyDuration * 1000);
    const cpu = end();
    matcher.windowToMs = performance.now();
    matcher.closeWindow(matcher.windowToMs);
    const s = [...matcher.samples].sort((a, b) => a - b);
    return { relay, samples: s.length, p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), p99: round(percentile(s, 99)), max: round(s.at(-1) ?? null), min: round(s[0] ?? null), framesSeen: matcher.frames, matched: matcher.matched, stalls: matcher.stalls, relayPercent: cpu.enginePercent, otherPercent: cpu.otherPercent };
  } finally {
    await stop();
    unregister();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  const run = startRun([SOURCE, FLV_SOURCE], args);
  log(`bench: engine ${run.engine} on core ${SERVER_CORE}; publishers and viewers on core ${CLIENT_CORE}; SRT latency ${latencyMs} ms`);
  const schedule = scheduleTsFile(new Uint8Array(readFileSync(SOURCE)));
  const sourceMbps = round((schedule.chunks.reduce((a, c) => a + c.bytes.length, 0) * 8) / schedule.durationMs / 1000, 2)!;
  const report: Record<string, unknown> = { ...reportHead(run, SOURCE), sourceTsMbps: sourceMbps, sltVersion: Bun.spawnSync(['srt-live-transmit', '-version']).stdout.toString().trim().split('\n').at(-1), options: { latencyMs, warmupSec, ingestCounts, ingestProtocols, ingestDuration, viewerCounts, viewerDuration, ramp, viewerPollMs, sampledViewers, minRatio, latencyDuration } };
  const lines: string[] = [];
  if (phases.has('ingest')) {
    const points: IngestPoint[] = [];
    for (const n of ingestCounts) for (const protocol of ingestProtocols) {
      log(`bench: ingest, ${n} ffmpeg ${protocol} publisher(s)...`);
      const p = await ingestPoint(n, protocol);
      log(`bench:   engine ${p.cpu.enginePercent}% (${p.percentPerStream}% per stream), live ${p.live}/${n}, in ${p.bitrateInMbps} Mbit/s, other ${p.cpu.otherPercent}%`);
      points.push(p);
    }
    report.ingest = points;
    lines.push(
      `Ingest: ffmpeg publishers (-re -stream_loop -1, -c copy) of the ${sourceMbps} Mbit/s TS stream over SRT, and of its FLV original over RTMP as the baseline; HLS + LL-HLS on (defaults), ${ingestDuration} s windows`,
      '',
      '| protocol | publishers | live | engine % of core | % per stream | CPU s per stream-minute | ingest Mbit/s | core 0 busy % | bench process % | other processes % |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...points.map((p) => `| ${p.protocol}${noisyMark(p.cpu.otherPercent)} | ${p.streams} | ${p.live} | ${p.cpu.enginePercent} | ${p.percentPerStream} | ${p.cpuSecondsPerStreamMinute} | ${p.bitrateInMbps} | ${p.cpu.serverCoreBusyPercent} | ${p.cpu.clientPercent} | ${p.cpu.otherPercent} |`),
      '',
    );
  }
  if (phases.has('viewers')) {
    const points: ViewerPoint[] = [];
    const measure = async (n: number) => {
      log(`bench: ${n} SRT viewers...`);
      const p = await viewerPoint(n, schedule);
      log(`bench:   ${p.pass ? 'pass' : 'FAIL'} engine ${p.cpu.enginePercent}%, ok ${p.passed}/${n}, ratio min ${p.minRatio} median ${p.medianRatio}, stalled ${p.stalled}, receivers lost/dropped/retransmitted ${p.receiver.lost}/${p.receiver.dropped}/${p.receiver.retransmitted} of ${p.receiver.received}, latency p50 ${p.latencyP50Ms} ms, bench ${p.cpu.clientPercent}% (user ${p.clientUserPercent}, kernel ${p.clientSystemPercent}), other ${p.cpu.otherPercent}%${p.why.length ? ` (${p.why.join('; ')})` : ''}`);
      points.push(p);
      return p;
    };
    const { sustained, firstFail } = await searchCapacity(viewerCounts, measure, { keepGoing: false, bisect: !args['no-search'] });
    report.viewers = { points, sustained, firstFail };
    lines.push(
      `SRT viewers of one ${sourceMbps} Mbit/s stream (publisher: this process over SRT), ${viewerDuration} s windows; pass = every viewer >= ${minRatio} of the publisher's TS bytes, no gap > ${STALL_MS} ms (video frames for ${sampledViewers} sampled viewers, which also give the latency; deliveries for the rest)`,
      '',
      '| viewers | result | engine % of core | ok | bytes ratio min / median | stalled | packets lost / dropped / received | delivered Mbit/s | latency p50 / p95 ms | core 0 busy % | bench process % | other processes % |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...points.map((p) => `| ${p.viewers} | ${p.pass ? 'pass' : `fail: ${p.why.join('; ')}`}${noisyMark(p.cpu.otherPercent)} | ${p.cpu.enginePercent} | ${p.passed} | ${p.minRatio} / ${p.medianRatio} | ${p.stalled} | ${p.receiver.lost} / ${p.receiver.dropped} / ${p.receiver.received} | ${p.deliveredMbps} | ${p.latencyP50Ms} / ${p.latencyP95Ms} | ${p.cpu.serverCoreBusyPercent} | ${p.cpu.clientPercent} | ${p.cpu.otherPercent} |`),
      '',
      `SRT viewers one core serves: **${sustained}**${firstFail ? ` (first failing: ${firstFail})` : ' (no count failed: raise --viewer-counts)'}.`,
      '',
    );
  }
  if (phases.has('latency')) {
    const runs: LatencyRun[] = [];
    for (const relay of ['weir', 'srt-live-transmit'] as const) {
      log(`bench: latency through ${relay}...`);
      const r = await latencyThrough(relay, schedule);
      log(`bench:   p50 ${r.p50} ms, p95 ${r.p95} ms, ${r.samples} samples, ${r.stalls} stalls`);
      runs.push(r);
    }
    report.latency = runs;
    const [w, s] = runs;
    lines.push(
      `Glass-to-glass latency at ${latencyMs} ms SRT latency: publisher (this process) writes a video frame's last byte -> the viewer (this process) has it after TSBPD; ${latencyDuration} s, one viewer`,
      '',
      '| relay | frames sampled | p50 ms | p95 ms | p99 ms | min / max ms | stalls | relay % of core | other processes % |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...runs.map((r) => `| ${r.relay} | ${r.samples} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.min} / ${r.max} | ${r.stalls} | ${r.relayPercent} | ${r.otherPercent} |`),
      '',
      w && s && w.p50 !== null && s.p50 !== null ? `Weir adds **${round(w.p50 - s.p50)} ms** (p50) over srt-live-transmit.` : 'No latency difference: a run had no samples.',
      '',
    );
  }
  finishReport('srt', report, lines, started, args.out);
}

runMain(main);
