// Graceful shutdown of a running engine (SIGTERM): stop accepting (RTMP listener closed, SRT handshakes ignored, HTTP
// server stops taking connections while the responses it started finish), end every stream
// (publishers disconnected; RTMP players get StreamEOF and NetStream.Play.Stop through
// endPlay; HTTP-FLV responses and WebSocket-FLV sockets end after what is queued; HLS outputs
// close their open segment and write EXT-X-ENDLIST, which a blocked playlist request still
// receives), then wait for the connections to finish, up to a bound, and stop whatever is left.
// HLS players hold no connection between polls, so closing the listener at once would show them
// "connection refused" instead of the end: while any of them was watching, the HTTP listener
// first keeps answering HLS alone (everything else 503, /healthz not ready) for a grace of two
// target durations (at most half the drain bound), cut short once every such player has been
// served the final playlist.
import type { HlsOutput } from '../outputs/hls/hls-output.ts';
import type { Logger } from '../shared/logger.ts';
import type { EngineContext } from '../server/engine-context.ts';
import type { HttpMediaServer } from '../server/http/http-server.ts';
import type { RtmpListener } from '../server/rtmp/rtmp-listener.ts';
import type { RtspListener } from '../server/rtsp/rtsp-listener.ts';
import type { SrtAppListeners } from '../server/srt/srt-app-listeners.ts';
import type { SrtListener } from '../server/srt/srt-listener.ts';

export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;

export interface DrainableEngine {
  readonly context: EngineContext;
  readonly rtmp: RtmpListener;
  readonly rtsp?: RtspListener | null;
  readonly http: HttpMediaServer;
  readonly srt?: SrtListener | null;
  /** the apps' own SRT ports */
  readonly srtApps?: SrtAppListeners | null;
  /** stops everything at once (what drain ends with) */
  stop(): void;
}

export type DrainReport = Readonly<{
  /** how long HLS was still answered after the streams ended (0: no HLS player was watching) */
  hlsGraceMs: number;
  /** every connection finished within the bound (false: the rest were cut off) */
  drained: boolean;
  streams: number;
  /** connections still open when the bound ran out */
  leftOver: number;
  elapsedMs: number;
}>;

export async function drainEngine(
  engine: DrainableEngine,
  options: Readonly<{ timeoutMs?: number; pollMs?: number; logger?: Logger }> = {},
): Promise<DrainReport> {
  const { context: ctx, rtmp, http } = engine;
  const log = options.logger ?? ctx.logger;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const pollMs = options.pollMs ?? 20;
  const startedMs = performance.now();

  rtmp.stopAccepting();
  engine.srt?.stopAccepting();
  engine.srtApps?.stopAccepting();
  engine.rtsp?.stopAccepting();
  http.serveOnlyHls();
  const live = ctx.streams.list().filter((s) => s.publisher !== null);
  const hlsOutputs = live.map((s) => ctx.hls.find(s.path)).filter((o) => o !== undefined);
  log.info('draining', { streams: live.length, clients: ctx.clients.size, timeoutMs });

  ctx.streams.closeAll();
  // Polls answered from now on carry EXT-X-ENDLIST (one ms later: a poll answered in this very ms may not have).
  const endedAtMs = Date.now() + 1;
  for (const output of hlsOutputs) {
    for (const variant of [output.ts, output.ll]) {
      if (!variant) continue;
      log.info('HLS stream finished', {
        stream: output.stream.path,
        variant: variant.lowLatency ? 'll-hls' : 'hls',
        segments: variant.segments.length,
        lastMsn: variant.lastMsn,
        endlist: variant.playlist(false).includes('#EXT-X-ENDLIST'),
      });
    }
  }

  const hlsGraceMs = await hlsGrace(http, hlsOutputs, endedAtMs, Math.min(timeoutMs / 2, maxGraceMs(hlsOutputs)), pollMs);
  if (hlsGraceMs > 0) log.info('HLS grace over', { elapsedMs: hlsGraceMs, stillPolling: http.hlsViewers.waitingSince(endedAtMs, hlsOutputs.map((o) => o.stream.path)) });
  const httpFinished = http.stopAccepting();

  // SRT viewers end once their last packets are acknowledged (or a second passed); publishers at once
  const srtSessions = (): number => (engine.srt?.sessions.size ?? 0) + (engine.srtApps?.listeners().reduce((n, l) => n + l.sessions.size, 0) ?? 0);
  const openConnections = (): number => rtmp.connections.size + http.openResponses + srtSessions();
  let idleClosed = false;
  const allClosed = new Promise<void>((resolve) => {
    const check = (): void => {
      // RTMP connections that neither publish nor play (a play that was waiting was refused
      // with StreamNotFound when its stream ended) get one poll to send that, then close.
      if (idleClosed) for (const c of rtmp.connections) if (c.role === 'idle') c.close();
      idleClosed = true;
      if (openConnections() === 0) resolve();
      else setTimeout(check, pollMs);
    };
    check();
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    allClosed.then(() => httpFinished).then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs - hlsGraceMs)))),
  ]);
  clearTimeout(timer);
  const leftOver = openConnections();
  engine.stop();
  const report: DrainReport = { hlsGraceMs, drained, streams: live.length, leftOver, elapsedMs: Math.round(performance.now() - startedMs) };
  if (drained) log.info('drained', { streams: report.streams, elapsedMs: report.elapsedMs });
  else log.warn('drain timed out: closing the rest', { leftOver, elapsedMs: report.elapsedMs });
  return report;
}

/** Two target durations of the longest variant: every player polls at least once per target duration. */
function maxGraceMs(outputs: readonly HlsOutput[]): number {
  let targetSec = 0;
  for (const o of outputs) for (const v of [o.ts, o.ll]) if (v) targetSec = Math.max(targetSec, v.options.targetDurationSec);
  return 2 * targetSec * 1000;
}

/** Waits while some HLS player that was watching has not been served the final playlist, up to boundMs. */
async function hlsGrace(http: HttpMediaServer, outputs: readonly HlsOutput[], endedAtMs: number, boundMs: number, pollMs: number): Promise<number> {
  const paths = outputs.map((o) => o.stream.path);
  if (outputs.length === 0 || boundMs <= 0 || http.hlsViewers.waitingSince(endedAtMs, paths) === 0) return 0;
  const startedMs = performance.now();
  while (performance.now() - startedMs < boundMs && http.hlsViewers.waitingSince(endedAtMs, paths) > 0) await Bun.sleep(pollMs);
  return Math.round(performance.now() - startedMs);
}
