// Phase 1 of the HLS benchmark: glass-to-glass availability latency of classic HLS and LL-HLS.
// One publisher at real-time pace; three watchers on the same stream: classic HLS polling
// index.m3u8, LL-HLS by blocking playlist reload (as hls.js does), LL-HLS by preload hint. For
// every new segment or part: availability time - the time the publisher sent the frame with the
// segment's/part's first video DTS (worst case: that frame waited the whole segment/part) and last
// video DTS (best case).
import type { FlvFileTag } from './flv-file.ts';
import { ClassicHlsClient, LowLatencyHlsClient, type ClientStats, type MediaSample } from './hls-clients.ts';
import { TimestampSendTimes } from './hls-send-times.ts';
import { percentile, round } from './metrics.ts';
import { startCpuWindow, type CpuWindow } from './hls-machine.ts';
import { Publisher } from './publisher.ts';
import type { RunningServer } from './servers.ts';
import { parseEndpoint } from './viewers.ts';

export type Summary = { count: number; min: number | null; p50: number | null; p95: number | null; max: number | null; mean: number | null };

export function summarize(values: readonly number[], digits = 1): Summary {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  return {
    count: n,
    min: round(sorted[0] ?? null, digits),
    p50: round(percentile(sorted, 50), digits),
    p95: round(percentile(sorted, 95), digits),
    max: round(sorted[n - 1] ?? null, digits),
    mean: n === 0 ? null : round(sorted.reduce((a, b) => a + b, 0) / n, digits),
  };
}

// a name union, then a record: the shape of viewers.ts ViewerProtocol and Endpoint, other types
export type WatcherName = 'hls' | 'll-reload' | 'll-hint';

export type WatcherResult = {
  name: WatcherName;
  description: string;
  /** segments or parts that appeared in the window */
  items: number;
  /** items whose first or last DTS had no recorded send time */
  unmatched: number;
  mediaDurationSec: Summary;
  videoFramesPerItem: Summary;
  /** availability = the playlist response that first listed it had arrived */
  listedFirstFrameMs: Summary;
  listedLastFrameMs: Summary;
  /** availability = its bytes were in hand */
  gotFirstFrameMs: Summary;
  gotLastFrameMs: Summary;
  bytesPerSec: { playlist: number; media: number };
  requestsPerSec: { playlist: number; media: number };
  stats: ClientStats;
  lastError: string | undefined;
};

export type LatencyResult = {
  stream: string;
  warmupSec: number;
  durationSec: number;
  pollMs: number;
  publisher: { maxLagMs: number; loops: number; fileBitrateBps: number; error: string | undefined };
  sendTable: { unexpectedRecords: number; scheduleSpreadMs: { min: number; max: number } };
  cpu: CpuWindow;
  watchers: WatcherResult[];
};

export type LatencyOptions = {
  server: RunningServer;
  serverCore: number;
  tags: readonly FlvFileTag[];
  warmupSec: number;
  durationSec: number;
  pollMs: number;
};

type Collected = { samples: MediaSample[] };

export async function runLatencyPhase(o: LatencyOptions): Promise<LatencyResult> {
  const stream = 'latency';
  const table = new TimestampSendTimes(o.tags);
  const publisher = new Publisher(parseEndpoint(`rtmp://127.0.0.1:${o.server.rtmpPort}/live/${stream}`), o.tags, table);
  await publisher.start();
  const base = { host: '127.0.0.1', port: o.server.httpPort, streamPath: `live/${stream}`, parse: true };
  const collected = new Map<WatcherName, Collected>([
    ['hls', { samples: [] }],
    ['ll-reload', { samples: [] }],
    ['ll-hint', { samples: [] }],
  ]);
  const sink = (name: WatcherName) => (s: MediaSample) => collected.get(name)!.samples.push(s);
  const watchers = {
    hls: new ClassicHlsClient({ ...base, onSample: sink('hls') }, o.pollMs),
    'll-reload': new LowLatencyHlsClient({ ...base, onSample: sink('ll-reload') }, 'blocking-reload'),
    'll-hint': new LowLatencyHlsClient({ ...base, onSample: sink('ll-hint') }, 'preload-hint'),
  } as const;
  const descriptions: Record<WatcherName, string> = {
    hls: `classic HLS (MPEG-TS): polls index.m3u8 every ${o.pollMs} ms, fetches each new segment`,
    'll-reload': 'LL-HLS (fMP4) as hls.js: blocking reload ll.m3u8?_HLS_msn&_HLS_part for the next part, then fetches the parts it lists',
    'll-hint': 'LL-HLS (fMP4) by preload hint: blocking reload as above, plus a request for each EXT-X-PRELOAD-HINT part, held by the server until the part exists',
  };
  try {
    for (const w of Object.values(watchers)) w.start();
    await Bun.sleep(o.warmupSec * 1000);
    const windowStart = performance.now();
    for (const w of Object.values(watchers)) w.measureFromMs = windowStart;
    const bytes0 = Object.fromEntries(Object.entries(watchers).map(([k, w]) => [k, { ...w.wireBytes(), ...requests(w.stats) }]));
    const endCpu = startCpuWindow(o.server.pid, o.serverCore);
    await Bun.sleep(o.durationSec * 1000);
    const windowEnd = performance.now();
    const cpu = endCpu();
    const spanSec = (windowEnd - windowStart) / 1000;
    const results: WatcherResult[] = [];
    for (const [name, w] of Object.entries(watchers) as [WatcherName, (typeof watchers)[WatcherName]][]) {
      w.stop(windowEnd);
      const b0 = bytes0[name]!;
      const b1 = { ...w.wireBytes(), ...requests(w.stats) };
      const inWindow = collected.get(name)!.samples.filter((s) => s.gotMs >= windowStart && s.gotMs < windowEnd);
      results.push({
        name,
        description: descriptions[name],
        ...latencies(inWindow, table),
        bytesPerSec: { playlist: Math.round((b1.playlist - b0.playlist) / spanSec), media: Math.round((b1.media - b0.media) / spanSec) },
        requestsPerSec: {
          playlist: round((b1.playlistRequests - b0.playlistRequests) / spanSec)!,
          media: round((b1.mediaRequests - b0.mediaRequests) / spanSec)!,
        },
        stats: w.stats,
        lastError: w.lastError,
      });
    }
    return {
      stream: `live/${stream}`,
      warmupSec: o.warmupSec,
      durationSec: round(spanSec)!,
      pollMs: o.pollMs,
      publisher: {
        maxLagMs: round(publisher.stats.maxLagMs)!,
        loops: publisher.stats.loops,
        fileBitrateBps: Math.round(publisher.fileBitrateBps),
        error: publisher.error,
      },
      sendTable: { unexpectedRecords: table.unexpected, scheduleSpreadMs: mapRound(table.scheduleSpreadMs()) },
      cpu,
      watchers: results,
    };
  } finally {
    for (const w of Object.values(watchers)) w.stop();
    publisher.stop();
  }
}

function requests(s: ClientStats): { playlistRequests: number; mediaRequests: number } {
  return { playlistRequests: s.playlistRequests, mediaRequests: s.mediaRequests };
}

function mapRound(r: { min: number; max: number }): { min: number; max: number } {
  return { min: round(r.min)!, max: round(r.max)! };
}

/** DTS (track timescale) to the RTMP millisecond timestamp it came from; undefined when it is not a whole ms */
function dtsToMs(dts: number, timescale: number): number | undefined {
  const ms = (dts * 1000) / timescale;
  const whole = Math.round(ms);
  return Math.abs(ms - whole) < 1e-6 ? whole : undefined;
}

function latencies(samples: readonly MediaSample[], table: TimestampSendTimes) {
  const listedFirst: number[] = [];
  const listedLast: number[] = [];
  const gotFirst: number[] = [];
  const gotLast: number[] = [];
  const durations: number[] = [];
  const frames: number[] = [];
  let unmatched = 0;
  for (const s of samples) {
    if (!s.dts) {
      unmatched++;
      continue;
    }
    const firstMs = dtsToMs(s.dts.firstDts, s.dts.timescale);
    const lastMs = dtsToMs(s.dts.lastDts, s.dts.timescale);
    const sentFirst = firstMs === undefined ? undefined : table.sendTimeOf(firstMs);
    const sentLast = lastMs === undefined ? undefined : table.sendTimeOf(lastMs);
    if (sentFirst === undefined || sentLast === undefined) {
      unmatched++;
      continue;
    }
    frames.push(s.dts.frames);
    if (s.durationSec > 0) durations.push(s.durationSec * 1000);
    gotFirst.push(s.gotMs - sentFirst);
    gotLast.push(s.gotMs - sentLast);
    if (Number.isFinite(s.listedMs)) {
      listedFirst.push(s.listedMs - sentFirst);
      listedLast.push(s.listedMs - sentLast);
    }
  }
  return {
    items: samples.length,
    unmatched,
    mediaDurationSec: summarize(durations.map((ms) => ms / 1000), 3),
    videoFramesPerItem: summarize(frames),
    listedFirstFrameMs: summarize(listedFirst),
    listedLastFrameMs: summarize(listedLast),
    gotFirstFrameMs: summarize(gotFirst),
    gotLastFrameMs: summarize(gotLast),
  };
}
