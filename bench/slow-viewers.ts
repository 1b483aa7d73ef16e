// Slow viewers stay live: one real-time publisher, 200 HTTP-FLV viewers of which 40 read at half
// the source bitrate (a token bucket pauses their sockets), for 120 s. Reports whether the normal
// viewers stayed healthy, whether the slow ones are still connected and playing (audio
// continuous, video at keyframes), how far behind live the slow ones are in the first and the
// last third, and the engine's RSS over time. The engine (src/ of this checkout) runs pinned
// to core 0, this tool to core 1.
//
//   bun run bench/slow-viewers.ts [--seconds 120] [--viewers 200] [--slow 40] [--slow-ratio 0.5] [--rev REV]
//   (--rev runs the engine of that commit, copied out with git archive, to compare with before)
import { createConnection, type Socket } from 'node:net';
import { numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { readFlvFile } from './lib/flv-file.ts';
import { FlvTagScanner, type FlvTagSink } from './lib/flv-tag-scanner.ts';
import { freePort } from './lib/free-port.ts';
import { HttpResponseReader } from './lib/http-response-reader.ts';
import { isAudioFrame, isVideoFrame, isVideoKeyframe } from './lib/media-probe.ts';
import { SendTimeTable, ViewerMetrics } from './lib/metrics.ts';
import { treeRssBytes } from './lib/proc-cpu.ts';
import { Publisher } from './lib/publisher.ts';
import { archiveRev, BUN, REPO } from './lib/repo.ts';
import { createViewer, parseEndpoint, type Viewer } from './lib/viewers.ts';
import { SOLO_ENGINE_ENV, soloEngineFlags } from './lib/weir-engine.ts';

const FILE = `${REPO}/bench/.cache/src-720p-2500k.flv`;

const USAGE = `usage: bun run bench/slow-viewers.ts [options]
  --seconds S          how long the viewers watch (default 120)
  --viewers N          viewers in all (default 200)
  --slow N             of them reading at --slow-ratio of the source bitrate (default 40)
  --slow-ratio R       the slow viewers' share of the source bitrate (default 0.5)
  --merge-write-ms MS  the engine's --merge-write-ms (default 50)
  --rev REV            run the engine of that commit (git archive) instead of this checkout's src/
  --help
Prints a JSON report.`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const values = parseBenchArgs(USAGE, {
  seconds: { type: 'string', default: '120' },
  viewers: { type: 'string', default: '200' },
  slow: { type: 'string', default: '40' },
  'slow-ratio': { type: 'string', default: '0.5' },
  'merge-write-ms': { type: 'string', default: '50' },
  rev: { type: 'string' },
});
const seconds = numberFlag(values.seconds, 'seconds', USAGE, 1);
const total = numberFlag(values.viewers, 'viewers', USAGE);
const slowCount = numberFlag(values.slow, 'slow', USAGE);
const slowRatio = numberFlag(values['slow-ratio'], 'slow-ratio', USAGE);
const mergeWriteMs = numberFlag(values['merge-write-ms'], 'merge-write-ms', USAGE);

const log = (msg: string): void => void process.stderr.write(`[slow-viewers ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** One viewer that reads at most `bytesPerSecond`: its socket is paused whenever it is ahead of that budget. */
class SlowViewer implements FlvTagSink {
  readonly lags: Array<{ atS: number; lagMs: number }> = [];
  audioFrames = 0;
  keyframes = 0;
  interFrames = 0;
  /** longest gap between two audio frames, ms: audio continuous means this stays small */
  longestAudioGapMs = 0;
  closed = false;
  error: string | undefined;
  private lastAudioMs = -1;
  private readBytes = 0;
  private startMs = 0;
  private socket: Socket | undefined;
  private readonly scanner = new FlvTagScanner(this);
  private readonly http = new HttpResponseReader(
    (head) => {
      if (head.status !== 200) this.error = `HTTP ${head.status}`;
    },
    (body) => this.scanner.push(body),
  );
  constructor(private readonly port: number, private readonly bytesPerSecond: number, private readonly table: SendTimeTable, private readonly t0: number) {}

  connect(): void {
    this.startMs = performance.now();
    const socket = createConnection({ host: '127.0.0.1', port: this.port }, () => {
      socket.write(`GET /live/bench.flv HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nConnection: keep-alive\r\n\r\n`);
    });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.readBytes += chunk.byteLength;
      try {
        this.http.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (err) {
        this.error ??= String(err);
      }
      // Ahead of the link's budget: stop reading until the budget catches up.
      const aheadMs = (this.readBytes / this.bytesPerSecond) * 1000 - (performance.now() - this.startMs);
      if (aheadMs > 0) {
        socket.pause();
        setTimeout(() => socket.resume(), aheadMs);
      }
    });
    socket.on('error', (err) => (this.error ??= err.message));
    socket.on('close', () => (this.closed = true));
  }

  close(): void {
    this.socket?.destroy();
  }

  onTag(tagType: number, bodySizeBytes: number, _ts: number, b0: number, b1: number, tail32: number): void {
    const now = performance.now();
    if (tagType === 8 && isAudioFrame(b0, b1)) {
      if (this.lastAudioMs >= 0) this.longestAudioGapMs = Math.max(this.longestAudioGapMs, now - this.lastAudioMs);
      this.lastAudioMs = now;
      this.audioFrames++;
      return;
    }
    if (tagType !== 9 || !isVideoFrame(b0, b1)) return;
    if (isVideoKeyframe(b0, b1)) this.keyframes++;
    else this.interFrames++;
    const sent = this.table.lookup(bodySizeBytes, tail32);
    if (sent !== undefined) this.lags.push({ atS: (now - this.t0) / 1000, lagMs: now - sent });
  }
}

// the upper median, as this report has always given it (metrics.ts percentile(…, 50) takes the lower one)
const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const round = (v: number | null): number | null => (v === null ? null : Math.round(v));

function engineEntry(rev: string | undefined): string {
  return `${rev ? archiveRev(rev).dir : REPO}/src/engine.ts`;
}

const rtmpPort = freePort();
const httpPort = freePort();
const engine = Bun.spawn(['taskset', '-c', '0', BUN, 'run', engineEntry(values.rev), ...soloEngineFlags(rtmpPort, httpPort, mergeWriteMs)], {
  stdout: 'ignore',
  stderr: 'ignore',
  env: { ...process.env, ...SOLO_ENGINE_ENV },
});
const stopAll = (): void => void engine.kill('SIGKILL');
process.on('SIGINT', () => (stopAll(), process.exit(130)));
try {
  await Bun.sleep(1500);
  const tags = readFlvFile(FILE);
  const table = new SendTimeTable();
  const publisher = new Publisher(parseEndpoint(`rtmp://127.0.0.1:${rtmpPort}/live/bench`, 'rtmp'), tags, table);
  await publisher.start();
  await Bun.sleep(1500);
  const sourceBytesPerSecond = publisher.fileBitrateBps / 8;
  const t0 = performance.now();
  table.latencyFromMs = t0;
  const endpoint = parseEndpoint(`http://127.0.0.1:${httpPort}/live/bench.flv`, 'flv');
  const normal: Viewer[] = [];
  for (let i = 0; i < total - slowCount; i++) {
    const v = createViewer(new ViewerMetrics(i, table, 1000), endpoint);
    normal.push(v);
    v.connect();
  }
  const slow: SlowViewer[] = [];
  for (let i = 0; i < slowCount; i++) {
    const v = new SlowViewer(httpPort, sourceBytesPerSecond * slowRatio, table, t0);
    slow.push(v);
    v.connect();
  }
  log(`${total - slowCount} normal + ${slowCount} slow viewers (${((sourceBytesPerSecond * slowRatio * 8) / 1e6).toFixed(2)} Mbit/s of a ${(publisher.fileBitrateBps / 1e6).toFixed(2)} Mbit/s stream) for ${seconds} s`);
  const rss: Array<{ atS: number; MiB: number }> = [];
  const normalStart = new Map<Viewer, number>();
  for (let s = 1; s <= seconds; s++) {
    await Bun.sleep(1000);
    if (s === 5) for (const v of normal) normalStart.set(v, v.metrics.payloadBytes); // after the join burst
    if (s % 5 === 0 || s === seconds) rss.push({ atS: s, MiB: Math.round((treeRssBytes([engine.pid]) / 1048576) * 10) / 10 });
  }
  const windowS = seconds - 5;
  const now = performance.now();
  for (const v of normal) v.metrics.finish(now);
  const healthy = normal.filter((v) => {
    const m = v.metrics;
    const ratio = (m.payloadBytes - (normalStart.get(v) ?? 0)) / (sourceBytesPerSecond * windowS);
    return m.closedMs < 0 && m.stalls === 0 && ratio >= 0.95;
  }).length;
  const third = seconds / 3;
  const lagsIn = (from: number, to: number) => slow.flatMap((v) => v.lags.filter((l) => l.atS >= from && l.atS < to).map((l) => l.lagMs));
  const perViewerLast = slow.map((v) => median(v.lags.filter((l) => l.atS >= 2 * third).map((l) => l.lagMs))).filter((x): x is number => x !== null);
  const report = {
    engine: values.rev ?? 'this checkout', seconds, viewers: total, slowViewers: slowCount, slowLinkMbps: +((sourceBytesPerSecond * slowRatio * 8) / 1e6).toFixed(2),
    sourceMbps: +(publisher.fileBitrateBps / 1e6).toFixed(2), mergeWriteMs,
    normal: { viewers: normal.length, healthy, closed: normal.filter((v) => v.metrics.closedMs >= 0).length, withStall: normal.filter((v) => v.metrics.stalls > 0).length },
    slow: {
      stillConnected: slow.filter((v) => !v.closed && !v.error).length,
      playing: slow.filter((v) => v.keyframes > 0 && v.audioFrames > 0).length,
      audioFramesMedian: median(slow.map((v) => v.audioFrames)),
      longestAudioGapMsMedian: round(median(slow.map((v) => v.longestAudioGapMs))),
      keyframesMedian: median(slow.map((v) => v.keyframes)),
      interFramesMedian: median(slow.map((v) => v.interFrames)),
      lagMs: {
        firstThird: { p50: round(median(lagsIn(0, third))), max: round(Math.max(...lagsIn(0, third))) },
        middleThird: { p50: round(median(lagsIn(third, 2 * third))), max: round(Math.max(...lagsIn(third, 2 * third))) },
        lastThird: { p50: round(median(lagsIn(2 * third, seconds + 1))), max: round(Math.max(...lagsIn(2 * third, seconds + 1))) },
        lastThirdWorstViewerMedian: round(perViewerLast.length > 0 ? Math.max(...perViewerLast) : null),
      },
      errors: slow.filter((v) => v.error).map((v) => v.error).slice(0, 5),
    },
    engineRssMiB: rss,
    publisherMaxLagMs: Math.round(publisher.stats.maxLagMs),
  };
  console.log(JSON.stringify(report, null, 2));
  for (const v of normal) v.close();
  for (const v of slow) v.close();
  publisher.stop();
} finally {
  stopAll();
}
process.exit(0);
