// Weir load tool: one real-time RTMP publisher and N viewers (RTMP, HTTP-FLV or WebSocket-FLV)
// in one process; per viewer it measures delivered bitrate, stalls, first-frame time and
// end-to-end latency, and optionally the CPU time the server under test spent meanwhile.
//
//   bun run bench/load.ts --url http://127.0.0.1:8080/live/bench.flv --publish-url rtmp://127.0.0.1:1935/live/bench \
//       --viewers 1000 --duration 20 --ramp 200 [--server-pid PID] [--json]
import { parseArgs } from 'node:util';
import { readFlvFile } from './lib/flv-file.ts';
import { LatencyHistogram, percentile, round, SendTimeTable, ViewerMetrics, type WindowCounters } from './lib/metrics.ts';
import { cpuTimes, ksoftirqdSeconds, treeCpuSeconds, treeRssBytes, type CpuTimes } from './lib/proc-cpu.ts';
import { RssSampler } from './lib/rss-sampler.ts';
import { Publisher } from './lib/publisher.ts';
import { createViewer, parseEndpoint, type RtmpReaderKind, type Viewer, type ViewerProtocol } from './lib/viewers.ts';

const DEFAULT_FILE = new URL('./.cache/src-720p-2500k.flv', import.meta.url).pathname;

const USAGE = `usage: bun run bench/load.ts [options]
  --url URL            viewer URL: rtmp://h:p/app/stream | http://h:p/app/stream.flv | ws://h:p/app/stream.flv
  --protocol P         rtmp | flv | ws (default: from the URL's scheme)
  --publish-url URL    where the in-process publisher sends (default: rtmp://127.0.0.1:1935/live/bench)
  --no-publish         do not publish (an external publisher feeds the stream; no latency figures)
  --file PATH          FLV file to publish (default bench/.cache/src-720p-2500k.flv, made by bench/setup.sh)
  --viewers N          viewers (default 10)
  --ramp R             viewers connected per second (default 200)
  --preroll S          seconds between publish start and the first viewer (default 1.5)
  --warmup S           seconds between the last viewer connecting and the measured window (default 2)
  --duration S         length of the measured window in seconds (default 20)
  --stall-ms MS        a gap between two video frames longer than this is a stall (default 1000)
  --min-ratio X        a viewer passes at >= X of the source bitrate (default 0.95)
  --rtmp-reader K      counter (default: parse chunk headers, do not reassemble media) | chunk (src/rtmp ChunkReader)
  --server-pid PID     measure this process tree's CPU time over the window (repeatable)
  --json               print the report as JSON
  --per-viewer         include one row per viewer in the JSON report
`;

type Options = {
  url: string;
  protocol: ViewerProtocol | undefined;
  publishUrl: string;
  publish: boolean;
  file: string;
  viewers: number;
  ramp: number;
  prerollS: number;
  warmupS: number;
  durationS: number;
  stallMs: number;
  minRatio: number;
  serverPids: number[];
  rtmpReader: RtmpReaderKind;
  json: boolean;
  perViewer: boolean;
};

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      protocol: { type: 'string' },
      'publish-url': { type: 'string' },
      'no-publish': { type: 'boolean' },
      file: { type: 'string' },
      viewers: { type: 'string' },
      ramp: { type: 'string' },
      preroll: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      'stall-ms': { type: 'string' },
      'min-ratio': { type: 'string' },
      'server-pid': { type: 'string', multiple: true },
      'rtmp-reader': { type: 'string' },
      json: { type: 'boolean' },
      'per-viewer': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (v: string | undefined, d: number, what: string): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${what}: not a number: ${v}`);
    return n;
  };
  const protocol = values.protocol as ViewerProtocol | undefined;
  if (protocol !== undefined && !['rtmp', 'flv', 'ws'].includes(protocol)) throw new Error(`--protocol: ${protocol}?`);
  const publishUrl = values['publish-url'] ?? 'rtmp://127.0.0.1:1935/live/bench';
  return {
    url: values.url ?? publishUrl,
    protocol,
    publishUrl,
    publish: !values['no-publish'],
    file: values.file ?? DEFAULT_FILE,
    viewers: Math.floor(num(values.viewers, 10, 'viewers')),
    ramp: num(values.ramp, 200, 'ramp') || 200,
    prerollS: num(values.preroll, 1.5, 'preroll'),
    warmupS: num(values.warmup, 2, 'warmup'),
    durationS: num(values.duration, 20, 'duration'),
    stallMs: num(values['stall-ms'], 1000, 'stall-ms'),
    minRatio: num(values['min-ratio'], 0.95, 'min-ratio'),
    serverPids: (values['server-pid'] ?? []).flatMap((s) => s.split(',')).map(Number).filter((n) => n > 0),
    rtmpReader: values['rtmp-reader'] === 'chunk' ? 'chunk' : 'counter',
    json: values.json ?? false,
    perViewer: values['per-viewer'] ?? false,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function log(msg: string): void {
  process.stderr.write(`[load ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

function cpuSecondsSelf(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function cpuSystemSecondsSelf(): number {
  return process.cpuUsage().system / 1e6;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const endpoint = parseEndpoint(o.url, o.protocol);
  const table = new SendTimeTable();
  const tags = readFlvFile(o.file);

  let publisher: Publisher | undefined;
  if (o.publish) {
    publisher = new Publisher(parseEndpoint(o.publishUrl, 'rtmp'), tags, table);
    log(`publishing ${o.file} to ${o.publishUrl}`);
    await Promise.race([
      publisher.start(),
      sleep(10_000).then(() => {
        throw new Error('publisher not ready after 10 s');
      }),
    ]);
  }
  const sourceBps = publisher?.fileBitrateBps ?? fileBitrate(tags);
  await sleep(o.prerollS * 1000);
  // the server with the publisher only: what the viewers add is measured against this
  const serverRssBeforeViewers = o.serverPids.length > 0 ? treeRssBytes(o.serverPids) : 0;

  log(`ramping ${o.viewers} ${endpoint.protocol} viewers at ${o.ramp}/s to ${o.url}`);
  const viewers: Viewer[] = [];
  const rampStart = performance.now();
  while (viewers.length < o.viewers) {
    const due = Math.min(o.viewers, Math.floor(((performance.now() - rampStart) / 1000) * o.ramp) + 1);
    while (viewers.length < due) {
      const v = createViewer(new ViewerMetrics(viewers.length, table, o.stallMs), endpoint, o.rtmpReader);
      viewers.push(v);
      v.connect();
    }
    await sleep(10);
  }
  const rampSeconds = (performance.now() - rampStart) / 1000;
  await sleep(o.warmupS * 1000);

  // measured window
  const w0 = performance.now();
  table.latencyFromMs = w0;
  const start = viewers.map((v) => v.metrics.snapshot());
  const pub0 = publisher ? { ...publisher.stats } : undefined;
  const serverCpu0 = o.serverPids.length > 0 ? treeCpuSeconds(o.serverPids) : 0;
  const selfCpu0 = cpuSecondsSelf();
  const selfSys0 = cpuSystemSecondsSelf();
  const machine0 = cpuTimes();
  const ksoftirqd0 = ksoftirqdSeconds();
  const loopLag = new LoopLagProbe();
  const rssSampler = o.serverPids.length > 0 ? new RssSampler(o.serverPids) : null;
  log(`window open: ${o.durationS} s`);
  await sleep(o.durationS * 1000);
  const w1 = performance.now();
  loopLag.stop();
  const serverCpu1 = o.serverPids.length > 0 ? treeCpuSeconds(o.serverPids) : 0;
  const serverRss = rssSampler?.stop() ?? null;
  const selfCpu1 = cpuSecondsSelf();
  const selfSys1 = cpuSystemSecondsSelf();
  const machine1 = cpuTimes();
  const ksoftirqd1 = ksoftirqdSeconds();
  const end = viewers.map((v) => v.metrics.snapshot());
  const pub1 = publisher ? { ...publisher.stats } : undefined;
  for (const v of viewers) v.metrics.finish(w1);
  log('window closed');

  const windowS = (w1 - w0) / 1000;
  const pubPayloadBytes = pub0 && pub1 ? pub1.payloadBytes - pub0.payloadBytes : (sourceBps / 8) * windowS;
  const report = buildReport(o, viewers, start, end, windowS, rampSeconds, pubPayloadBytes, sourceBps, table);
  const deliveredWire = report.delivered.wireBytes;
  const server =
    o.serverPids.length > 0
      ? {
          pids: o.serverPids,
          cpuSeconds: round(serverCpu1 - serverCpu0, 2),
          cpuPercentOfOneCore: round(((serverCpu1 - serverCpu0) / windowS) * 100, 1),
          cpuSecondsPerGB: deliveredWire > 0 ? round((serverCpu1 - serverCpu0) / (deliveredWire / 1e9), 3) : null,
          /** the median of one reading a second over the window (see lib/rss-sampler.ts) */
          rssMiB: round((serverRss?.medianBytes ?? 0) / 1048576, 1),
          rssMaxMiB: round((serverRss?.maxBytes ?? 0) / 1048576, 1),
          rssEndMiB: round((serverRss?.lastBytes ?? 0) / 1048576, 1),
          rssBeforeViewersMiB: round(serverRssBeforeViewers / 1048576, 1),
        }
      : null;
  const full = {
    ...report,
    server,
    client: {
      cpuSeconds: round(selfCpu1 - selfCpu0, 2),
      systemCpuSeconds: round(selfSys1 - selfSys0, 2),
      cpuPercentOfOneCore: round(((selfCpu1 - selfCpu0) / windowS) * 100, 1),
      /** above ~90% the load tool itself may be what limits the figures */
      saturated: (selfCpu1 - selfCpu0) / windowS > 0.9,
      /**
       * how late a 10 ms timer of this process fired over the window: a frame that arrived while
       * the tool was busy was stamped up to this late, so it bounds the tool's share of latencyMs
       */
      loopLagMs: loopLag.report(),
    },
    machine: machineReport(machine0, machine1, windowS, selfCpu1 - selfCpu0, o.serverPids.length > 0 ? serverCpu1 - serverCpu0 : 0, ksoftirqd1 - ksoftirqd0),
    publisher: publisher
      ? {
          error: publisher.error ?? null,
          loops: publisher.stats.loops,
          maxLagMs: round(publisher.stats.maxLagMs, 1),
          maxQueuedBytes: publisher.stats.maxQueuedBytes,
        }
      : null,
  };

  for (const v of viewers) v.close();
  publisher?.stop();
  await sleep(300);

  if (o.json) process.stdout.write(JSON.stringify(full, null, 2) + '\n');
  else printHuman(full);
  process.exit(0);
}

/**
 * What the cores did over the window. `otherProcessesPercentOfOneCore` is the CPU that neither
 * the server nor the load tool used: other processes (a noisy neighbour on a shared machine),
 * and kernel work done in neither's context but not by ksoftirqd (reported apart). With
 * tick-based accounting softirq time runs in a task's context is charged to that task too, so
 * it is part of the server's and the tool's figures; the per-core softirq share is shown apart.
 */
function machineReport(
  t0: Map<number | 'all', CpuTimes>,
  t1: Map<number | 'all', CpuTimes>,
  windowS: number,
  clientS: number,
  serverS: number,
  ksoftirqdS: number,
) {
  const pct = (v: number) => round((v / windowS) * 100, 1);
  const cores: Record<string, { busyPercent: number | null; softirqPercent: number | null }> = {};
  for (const [k, a] of t0) {
    const b = t1.get(k);
    if (!b) continue;
    cores[String(k)] = { busyPercent: pct(b.busy - a.busy), softirqPercent: pct(b.softirq - a.softirq) };
  }
  const a = t0.get('all');
  const b = t1.get('all');
  const other = a && b ? b.busy - a.busy - clientS - serverS - ksoftirqdS : null;
  return { cores, ksoftirqdPercentOfOneCore: pct(ksoftirqdS), otherProcessesPercentOfOneCore: other === null ? null : pct(other) };
}

const LOOP_LAG_PERIOD_MS = 10;

/** lateness of a 10 ms interval timer: how long this event loop was busy elsewhere */
class LoopLagProbe {
  private readonly histogram = new LatencyHistogram();
  private last = performance.now();
  private readonly timer = setInterval(() => {
    const now = performance.now();
    this.histogram.add(Math.max(0, now - this.last - LOOP_LAG_PERIOD_MS));
    this.last = now;
  }, LOOP_LAG_PERIOD_MS);

  stop(): void {
    clearInterval(this.timer);
  }

  report(): { p50: number | null; p99: number | null; max: number | null } {
    const h = this.histogram;
    return { p50: round(h.percentile(50), 1), p99: round(h.percentile(99), 1), max: h.count > 0 ? round(h.maxMs, 1) : null };
  }
}

function fileBitrate(tags: ReturnType<typeof readFlvFile>): number {
  let bytes = 0;
  for (const t of tags) bytes += t.body.length;
  const span = (tags.at(-1)?.timestampMs ?? 0) - (tags[0]?.timestampMs ?? 0);
  return span > 0 ? (bytes * 8 * 1000) / span : 0;
}

function buildReport(
  o: Options,
  viewers: Viewer[],
  start: WindowCounters[],
  end: WindowCounters[],
  windowS: number,
  rampSeconds: number,
  pubPayloadBytes: number,
  sourceBps: number,
  table: SendTimeTable,
) {
  const ratios: number[] = [];
  const bitrates: number[] = [];
  const firstFrames: number[] = [];
  const errors = new Map<string, number>();
  let connected = 0;
  let gotFirstFrame = 0;
  let closedEarly = 0;
  let stalls = 0;
  let viewersWithStall = 0;
  let longestGapMs = 0;
  let belowRatio = 0;
  let wireBytes = 0;
  let payloadBytes = 0;
  let unmatched = 0;
  let passing = 0;
  const rows = [];
  for (let k = 0; k < viewers.length; k++) {
    const m = viewers[k]!.metrics;
    const s = start[k]!;
    const e = end[k]!;
    const payload = e.payloadBytes - s.payloadBytes;
    const wire = e.wireBytes - s.wireBytes;
    wireBytes += wire;
    payloadBytes += payload;
    const bps = (payload * 8) / windowS;
    const ratio = pubPayloadBytes > 0 ? payload / pubPayloadBytes : 0;
    bitrates.push(bps);
    ratios.push(ratio);
    if (m.connectedMs >= 0) connected++;
    const ff = m.firstKeyframeMs >= 0 ? m.firstKeyframeMs - m.connectStartMs : null;
    if (ff !== null) {
      gotFirstFrame++;
      firstFrames.push(ff);
    }
    if (m.closedMs >= 0) closedEarly++;
    if (m.error) errors.set(m.error, (errors.get(m.error) ?? 0) + 1);
    stalls += m.stalls;
    if (m.stalls > 0) viewersWithStall++;
    if (m.longestGapMs > longestGapMs) longestGapMs = m.longestGapMs;
    if (ratio < o.minRatio) belowRatio++;
    unmatched += m.unmatchedFrames;
    const pass = ff !== null && m.closedMs < 0 && m.stalls === 0 && ratio >= o.minRatio;
    if (pass) passing++;
    if (o.perViewer) {
      rows.push({
        id: m.id,
        pass,
        bitrateBps: Math.round(bps),
        ratio: round(ratio, 4),
        firstFrameMs: round(ff, 1),
        stalls: m.stalls,
        longestGapMs: round(m.longestGapMs, 1),
        latencyMeanMs: m.latencyCount > 0 ? round(m.latencySumMs / m.latencyCount, 1) : null,
        latencyMaxMs: m.latencyCount > 0 ? round(m.latencyMaxMs, 1) : null,
        error: m.error ?? null,
      });
    }
  }
  bitrates.sort((a, b) => a - b);
  ratios.sort((a, b) => a - b);
  firstFrames.sort((a, b) => a - b);
  const h = table.histogram;
  return {
    tool: 'weir-bench/load',
    date: new Date().toISOString(),
    url: o.url,
    protocol: parseEndpoint(o.url, o.protocol).protocol,
    rtmpReader: o.rtmpReader,
    publishUrl: o.publish ? o.publishUrl : null,
    source: {
      file: o.file,
      fileBitrateBps: Math.round(sourceBps),
      publishedBitrateBps: Math.round((pubPayloadBytes * 8) / windowS),
    },
    windowSeconds: round(windowS, 2),
    rampSeconds: round(rampSeconds, 2),
    viewers: {
      requested: o.viewers,
      connected,
      gotFirstFrame,
      closedEarly,
      passing,
      errors: Object.fromEntries(errors),
    },
    bitrate: {
      minBps: Math.round(bitrates[0] ?? 0),
      p5Bps: Math.round(percentile(bitrates, 5) ?? 0),
      medianBps: Math.round(percentile(bitrates, 50) ?? 0),
      minRatio: round(ratios[0] ?? 0, 4),
      p5Ratio: round(percentile(ratios, 5) ?? 0, 4),
      medianRatio: round(percentile(ratios, 50) ?? 0, 4),
      viewersBelowMinRatio: belowRatio,
      threshold: o.minRatio,
    },
    stalls: { thresholdMs: o.stallMs, total: stalls, viewersWithStall, longestGapMs: round(longestGapMs, 1) },
    firstFrameMs: {
      p50: round(percentile(firstFrames, 50), 1),
      p95: round(percentile(firstFrames, 95), 1),
      max: round(firstFrames.at(-1) ?? null, 1),
    },
    latencyMs: {
      samples: h.count,
      unmatchedFrames: unmatched,
      mean: h.count > 0 ? round(h.sumMs / h.count, 1) : null,
      p50: round(h.percentile(50), 1),
      p95: round(h.percentile(95), 1),
      p99: round(h.percentile(99), 1),
      max: h.count > 0 ? round(h.maxMs, 1) : null,
    },
    delivered: {
      wireBytes,
      payloadBytes,
      wireGbps: round((wireBytes * 8) / windowS / 1e9, 3),
    },
    pass: passing === o.viewers,
    perViewer: o.perViewer ? rows : undefined,
  };
}

function printHuman(r: Record<string, unknown> & { pass: boolean }): void {
  const { perViewer: _rows, ...rest } = r;
  const lines: string[] = [];
  const walk = (obj: unknown, indent: string) => {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        lines.push(`${indent}${k}:`);
        walk(v, indent + '  ');
      } else {
        lines.push(`${indent}${k}: ${Array.isArray(v) ? v.join(',') : String(v)}`);
      }
    }
  };
  walk(rest, '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
