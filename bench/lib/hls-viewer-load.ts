// Phase 3 of the HLS benchmark: N HLS viewers of one stream, classic then LL-HLS, each counting
// bytes and stalls (the next segment/part not in hand within 1.5x the duration of the one before),
// with the engine's CPU over the window. Viewers only count bytes; they parse playlists, not media.
import type { FlvFileTag } from './flv-file.ts';
import { ClassicHlsClient, LowLatencyHlsClient, type LlMode } from './hls-clients.ts';
import { summarize, type Summary } from './hls-latency.ts';
import { round, SendTimeTable } from './metrics.ts';
import { startCpuWindow } from './hls-machine.ts';
import { Publisher } from './publisher.ts';
import type { RunningServer } from './servers.ts';
import { parseEndpoint } from './viewers.ts';

export type ViewerKind = 'hls' | 'll';

export type ViewerLoadRun = {
  kind: ViewerKind;
  description: string;
  viewers: number;
  durationSec: number;
  /** every viewer's bytes per second, heads included */
  totalBytesPerSec: { playlist: number; media: number };
  /** one viewer's media bytes per second over the source file's media bitrate */
  mediaRatio: Summary;
  requestsPerSec: { playlist: number; media: number };
  stalls: number;
  viewersWithStall: number;
  longestGapMs: number;
  errors: number;
  badStatus: number;
  lastError: string | undefined;
  enginePercentOfCore: number;
  clientPercentOfCore: number;
  /** CPU of other processes on the machine, % of one core */
  otherPercent: number;
};

export type ViewerLoadOptions = {
  server: RunningServer;
  serverCore: number;
  tags: readonly FlvFileTag[];
  viewers: number;
  kinds: readonly ViewerKind[];
  warmupSec: number;
  durationSec: number;
  pollMs: number;
  llMode: LlMode;
  rampMs: number;
};

export async function runViewerPhase(o: ViewerLoadOptions, log: (line: string) => void): Promise<ViewerLoadRun[]> {
  const stream = 'viewers';
  const publisher = new Publisher(parseEndpoint(`rtmp://127.0.0.1:${o.server.rtmpPort}/live/${stream}`), o.tags, new SendTimeTable());
  await publisher.start();
  const sourceBps = publisher.fileBitrateBps;
  const out: ViewerLoadRun[] = [];
  try {
    await Bun.sleep(3000); // complete segments exist before the first viewer
    for (const kind of o.kinds) {
      const base = { host: '127.0.0.1', port: o.server.httpPort, streamPath: `live/${stream}`, parse: false };
      const viewers =
        kind === 'hls'
          ? Array.from({ length: o.viewers }, () => new ClassicHlsClient(base, o.pollMs))
          : Array.from({ length: o.viewers }, () => new LowLatencyHlsClient(base, o.llMode));
      for (let i = 0; i < viewers.length; i++) {
        viewers[i]!.start();
        if (o.rampMs > 0 && viewers.length > 1) await Bun.sleep(o.rampMs / viewers.length);
      }
      await Bun.sleep(o.warmupSec * 1000);
      const t0 = performance.now();
      for (const v of viewers) v.measureFromMs = t0;
      const before = viewers.map((v) => ({ ...v.wireBytes(), p: v.stats.playlistRequests, m: v.stats.mediaRequests, s: v.stats.stalls }));
      const errorsBefore = viewers.reduce((a, v) => a + v.stats.errors, 0);
      const badBefore = viewers.reduce((a, v) => a + v.stats.badStatus, 0);
      const endCpu = startCpuWindow(o.server.pid, o.serverCore);
      await Bun.sleep(o.durationSec * 1000);
      const t1 = performance.now();
      const cpu = endCpu();
      for (const v of viewers) v.stop(t1);
      const span = (t1 - t0) / 1000;
      let playlistBytes = 0;
      let mediaBytes = 0;
      let playlistReqs = 0;
      let mediaReqs = 0;
      let stalls = 0;
      let withStall = 0;
      let longest = 0;
      const ratios: number[] = [];
      viewers.forEach((v, i) => {
        const b = before[i]!;
        const now = v.wireBytes();
        playlistBytes += now.playlist - b.playlist;
        mediaBytes += now.media - b.media;
        playlistReqs += v.stats.playlistRequests - b.p;
        mediaReqs += v.stats.mediaRequests - b.m;
        const s = v.stats.stalls - b.s;
        stalls += s;
        if (s > 0) withStall++;
        longest = Math.max(longest, v.stats.longestGapMs);
        ratios.push(((now.media - b.media) * 8) / span / sourceBps);
      });
      const run: ViewerLoadRun = {
        kind,
        description:
          kind === 'hls'
            ? `classic HLS viewers polling index.m3u8 every ${o.pollMs} ms and fetching each new segment`
            : `LL-HLS viewers (${o.llMode}) fetching every part`,
        viewers: o.viewers,
        durationSec: round(span)!,
        totalBytesPerSec: { playlist: Math.round(playlistBytes / span), media: Math.round(mediaBytes / span) },
        mediaRatio: summarize(ratios, 3),
        requestsPerSec: { playlist: round(playlistReqs / span)!, media: round(mediaReqs / span)! },
        stalls,
        viewersWithStall: withStall,
        longestGapMs: round(longest)!,
        errors: viewers.reduce((a, v) => a + v.stats.errors, 0) - errorsBefore,
        badStatus: viewers.reduce((a, v) => a + v.stats.badStatus, 0) - badBefore,
        lastError: viewers.find((v) => v.lastError !== undefined)?.lastError,
        enginePercentOfCore: round(cpu.enginePercent, 1)!,
        clientPercentOfCore: round(cpu.clientPercent, 1)!,
        otherPercent: round(cpu.otherPercent, 1)!,
      };
      log(
        `  viewers ${kind} x${run.viewers}: ${((run.totalBytesPerSec.media * 8) / 1e6).toFixed(1)} Mbit/s media, ` +
          `stalls ${run.stalls} (${run.viewersWithStall} viewers), engine ${run.enginePercentOfCore}%, client ${run.clientPercentOfCore}%, other ${run.otherPercent}%`,
      );
      out.push(run);
      await Bun.sleep(500);
    }
  } finally {
    publisher.stop();
  }
  return out;
}
