// Graceful shutdown of a running engine (SIGTERM): stop accepting (RTMP listener closed, HTTP
// server stops taking connections while the responses it started finish), end every stream
// (publishers disconnected; RTMP players get StreamEOF and NetStream.Play.Stop through
// endPlay; HTTP-FLV responses and WebSocket-FLV sockets end after what is queued; HLS outputs
// close their open segment and write EXT-X-ENDLIST, which a blocked playlist request still
// receives), then wait for the connections to finish, up to a bound, and stop whatever is left.
import type { Logger } from '../shared/logger.ts';
import type { EngineContext } from './engine-context.ts';
import type { HttpMediaServer } from './http-server.ts';
import type { RtmpListener } from './rtmp-listener.ts';

export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;

export interface DrainableEngine {
  readonly context: EngineContext;
  readonly rtmp: RtmpListener;
  readonly http: HttpMediaServer;
  /** stops everything at once (what drain ends with) */
  stop(): void;
}

export type DrainReport = Readonly<{
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
  const httpFinished = http.stopAccepting();
  const live = ctx.streams.list().filter((s) => s.publisher !== null);
  const hlsOutputs = live.map((s) => ctx.hls.find(s.path)).filter((o) => o !== undefined);
  log.info('draining', { streams: live.length, clients: ctx.clients.size, timeoutMs });

  ctx.streams.closeAll();
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

  const openConnections = (): number => rtmp.connections.size + http.openResponses;
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
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  const leftOver = openConnections();
  engine.stop();
  const report: DrainReport = { drained, streams: live.length, leftOver, elapsedMs: Math.round(performance.now() - startedMs) };
  if (drained) log.info('drained', { streams: report.streams, elapsedMs: report.elapsedMs });
  else log.warn('drain timed out: closing the rest', { leftOver, elapsedMs: report.elapsedMs });
  return report;
}
