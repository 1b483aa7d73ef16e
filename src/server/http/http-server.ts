// The engine's HTTP listener: HTTP-FLV and WebSocket-FLV at /{app}/{stream}.flv, HLS under
// /{app}/{stream}/, with CORS. Admission and the wait for a publisher happen before the
// response starts, so a stream that never goes live is a clean 404 and a refused viewer a 403
// with the reason. It can move to another address while running (rebind): the new server is
// bound first, then the old one stops accepting and ends once its responses have.
// Every FLV request holds a slot from arrival (admission, the wait for a publisher, the viewer's
// whole life on HTTP or WebSocket) under http.maxConnections and the per-address cap; HLS
// requests in progress have their own per-address count. Unexpected errors answer a bare 500
// problem document: nothing of the engine's files, paths or stack reaches a client.
import type { Server, ServerWebSocket } from 'bun';
import type { Logger } from '../../shared/logger.ts';
import type { ByteSink } from '../connection-writer.ts';
import { AddressSlots, type SlotRefusal } from '../address-slots.ts';
import { countRefusal, type EngineContext } from '../engine-context.ts';
import { attachFlvViewer, type FlvViewerHandle, type FlvViewerIdentity } from './flv-viewer.ts';
import type { HlsOutput } from '../../outputs/hls/hls-output.ts';
import { hlsSessionId, serveHls, viewerQuery, type HlsResponder } from './hls-http.ts';
import { HlsViewerTracker, type HlsViewerProtocol } from './hls-viewers.ts';
import { isLookbackRequest, serveLookback, type RecordingSource } from './lookback-http.ts';
import { parseMediaRoute } from './media-route.ts';
import type { MediaProtocol } from '../admission.ts';
import type { LiveStream } from '../../hub/live-stream.ts';
import { VOD_PREFIX, VodHttp } from './vod-http.ts';
import { VodLibrary } from '../../recorder/vod-library.ts';
import { WHEP_CORS_HEADERS, type WhepHttp } from '../webrtc/whep-http.ts';
import { parseWhepRoute, type WhepRoute } from '../webrtc/webrtc-route.ts';

type WsData = {
  stream: LiveStream;
  log: Logger;
  viewer: FlvViewerHandle | null;
  blocked: boolean;
  id: string;
  address: string;
  /** gives back this viewer's connection slot */
  release: () => void;
};

/** An HLS request as routed: who asks, and for which file of which stream. */
type HlsAsk = Readonly<{ req: Request; server: Server<WsData>; app: string; stream: string; file: string; search: URLSearchParams }>;

/** /{app}/{stream}/snapshot.jpg: the stream's latest JPEG snapshot */
export const SNAPSHOT_FILE = 'snapshot.jpg';

export class HttpMediaServer {
  private server: Server<WsData> | null = null;
  /** servers left behind by rebind, finishing the responses they had started */
  private readonly draining = new Set<Server<WsData>>();
  private activeConnections = 0;
  /** the address asked for (port 0 stays 0 here; `port` is the one the OS gave) */
  bound: { host: string; port: number } | null = null;
  readonly hlsViewers = new HlsViewerTracker();
  /** FLV requests from arrival to end, WebSocket-FLV included (http.maxConnections, http.maxConnectionsPerAddress) */
  readonly viewerSlots: AddressSlots;
  /** HLS requests in progress (blocking playlist reloads wait): per address only */
  readonly hlsSlots: AddressSlots;
  /** shutting down: only HLS is answered (final playlists with EXT-X-ENDLIST), everything else 503 */
  private hlsOnly = false;
  /** /vod/ routes when the engine has a media folder (--vod-dir) */
  private readonly vod: VodHttp | null;
  /** WHEP signalling (whep-http.ts); null: WebRTC is off and its paths are 404 */
  whep: WhepHttp | null = null;

  constructor(
    private readonly ctx: EngineContext,
    /** look-back and time-shift HLS read the recordings through it (lookback-http.ts); absent: none */
    private readonly recordings?: RecordingSource,
  ) {
    const vodDir = ctx.config().vod?.dir;
    const vodLog = ctx.logger.child({ component: 'vod' });
    this.vod = vodDir ? new VodHttp(new VodLibrary(vodDir, vodLog), ctx.admission, ctx.counters, vodLog) : null;
    this.viewerSlots = new AddressSlots(() => ({ total: ctx.config().http.maxConnections, perAddress: ctx.config().http.maxConnectionsPerAddress }));
    this.hlsSlots = new AddressSlots(() => ({ total: Infinity, perAddress: ctx.config().http.maxConnectionsPerAddress }));
  }

  get port(): number {
    if (!this.server) throw new Error('HTTP listener is not running');
    return this.server.port!;
  }

  start(host: string, port: number): void {
    this.server = this.listen(host, port);
    this.bound = { host, port };
    this.ctx.logger.info('HTTP listening', { host, port: this.server.port });
  }

  /** Serves on a new address (throws, keeping the old one, if it cannot be bound), then retires the old one. */
  rebind(host: string, port: number): void {
    const previous = this.server;
    this.server = this.listen(host, port);
    this.bound = { host, port };
    if (previous) {
      this.draining.add(previous);
      void previous.stop(false).finally(() => this.draining.delete(previous));
    }
    this.ctx.logger.info('HTTP listening', { host, port: this.server.port, moved: true });
  }

  private listen(host: string, port: number): Server<WsData> {
    return Bun.serve<WsData>({
      hostname: host,
      port,
      // Production mode: no error pages or stack traces for dropped viewers.
      development: false,
      fetch: (req, server) => this.route(req, server),
      error: (err) => this.internalError(err),
      websocket: {
        open: (ws) => this.openWebSocket(ws),
        message: () => {},
        drain: (ws) => {
          ws.data.blocked = false;
          ws.data.viewer?.writer.resume();
        },
        close: (ws) => {
          ws.data.viewer?.detach();
          ws.data.release();
        },
      },
    });
  }

  /** HTTP-FLV responses being streamed now. */
  get openResponses(): number {
    return this.activeConnections;
  }

  /** Shutdown, first step: keep listening for HLS players' last polls only (see graceful-shutdown.ts). */
  serveOnlyHls(): void {
    this.hlsOnly = true;
  }

  /** Shutdown, next step: no new connections; resolves once the responses started have ended (stop() cuts them). */
  stopAccepting(): Promise<void> {
    const previous = this.server;
    this.server = null;
    this.bound = null;
    if (!previous) return Promise.resolve();
    this.draining.add(previous);
    return previous.stop(false).finally(() => this.draining.delete(previous));
  }

  stop(): void {
    this.server?.stop(true);
    this.server = null;
    this.bound = null;
    for (const server of this.draining) void server.stop(true);
    this.draining.clear();
  }

  private corsHeaders(): Record<string, string> {
    return {
      'Access-Control-Allow-Origin': this.ctx.config().http.corsOrigin,
      'Access-Control-Allow-Methods': 'GET, OPTIONS',
      'Access-Control-Allow-Headers': '*',
      'Access-Control-Expose-Headers': 'Content-Length, Content-Type',
    };
  }

  private text(status: number, message: string): Response {
    return new Response(message + '\n', {
      status,
      headers: { ...this.corsHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  }

  /** An error nothing expected: logged here with its reason, answered without it (RFC 9457). */
  private internalError(err: unknown): Response {
    this.ctx.logger.error('internal error answering a request', { reason: err instanceof Error ? err.message : String(err) });
    return new Response(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }), {
      status: 500,
      headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' },
    });
  }

  /** A request over a connection cap: 503 when the engine is full, 429 when it is this address. */
  private overCap(refusal: SlotRefusal, peer: string, protocol: string): Response {
    const perAddress = refusal.limit === 'per-address';
    const limit = perAddress ? 'http.maxConnectionsPerAddress' : 'http.maxConnections';
    countRefusal(this.ctx.counters, limit);
    this.ctx.logger.warn(perAddress ? 'request refused: per-address connection cap reached' : 'request refused: connection cap reached', {
      peer, limit, max: refusal.max, protocol,
    });
    return perAddress ? this.text(429, `too many connections from this address (at most ${refusal.max})`) : this.text(503, 'too many viewers');
  }

  private async route(req: Request, server: Server<WsData>): Promise<Response | undefined> {
    const whepUrl = URL.parse(req.url);
    const whepRoute = whepUrl ? parseWhepRoute(whepUrl.pathname) : null;
    if (whepUrl && whepRoute) return this.serveWhep(req, server, whepRoute, whepUrl);
    if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: this.corsHeaders() });
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.text(405, 'method not allowed');
    // A Host header no URL can be made of (`Host: [`) is the client's mistake, not ours.
    const url = URL.parse(req.url);
    if (!url) return this.text(400, 'bad request: no valid URL can be made of the request target and Host header');
    // This listener exists only once the engine has its configuration: being here is being ready.
    if (url.pathname === '/healthz') return Response.json({ ready: !this.hlsOnly }, { status: this.hlsOnly ? 503 : 200, headers: { 'Cache-Control': 'no-store' } });
    if (this.vod && url.pathname.startsWith(VOD_PREFIX)) return this.serveVod(req, server, url);
    const route = parseMediaRoute(url.pathname);
    if (!route) return this.text(404, 'not found');
    if (this.hlsOnly && route.kind !== 'hls') return this.text(503, 'shutting down');
    if (route.kind === 'hls' && route.file === SNAPSHOT_FILE) return this.serveSnapshot(req, server, route.app, route.stream, url.searchParams);
    if (route.kind === 'hls') return this.serveHls({ req, server, app: route.app, stream: route.stream, file: route.file, search: url.searchParams });
    const isWebSocket = req.headers.get('upgrade')?.toLowerCase() === 'websocket';
    const protocol: MediaProtocol = isWebSocket ? 'ws-flv' : 'http-flv';
    const clientAddress = server.requestIP(req)?.address ?? '';
    const slot = this.viewerSlots.acquire(clientAddress);
    if (!slot.ok) return this.overCap(slot, clientAddress, protocol);
    // Until a viewer takes the slot over (WebSocket close, FLV body end), every way out gives it back.
    let handedOver = false;
    try {
      const hold = { release: slot.release, handOver: () => (handedOver = true) };
      return await this.playFlv(req, server, route, url, protocol, clientAddress, hold);
    } finally {
      if (!handedOver) slot.release();
    }
  }

  private async playFlv(
    req: Request,
    server: Server<WsData>,
    route: Readonly<{ app: string; stream: string }>,
    url: URL,
    protocol: MediaProtocol,
    clientAddress: string,
    hold: Readonly<{ release: () => void; handOver: () => void }>,
  ): Promise<Response | undefined> {
    const { release, handOver } = hold;
    const isWebSocket = protocol === 'ws-flv';
    const id = this.ctx.nextConnectionId();
    const decision = await this.ctx.admission.decide({
      action: 'play',
      protocol,
      app: route.app,
      stream: route.stream,
      query: url.search.slice(1),
      clientAddress,
      clientId: id,
    });
    if (!decision.allow) return this.refuse(decision.reason, { conn: id, peer: clientAddress, stream: `${route.app}/${route.stream}`, protocol });
    // Bun's idle timeout (10 s) would cut a viewer that waits longer for its publisher (--wait-ms).
    server.timeout(req, 0);
    const stream = await this.ctx.streams.waitUntilLive(route.app, route.stream, req.signal);
    if (!stream) return this.text(404, `stream '${route.app}/${route.stream}' is not live`);
    const log = this.ctx.logger.child({ conn: id, peer: clientAddress, stream: stream.path, protocol });
    if (isWebSocket) {
      const upgraded = server.upgrade(req, {
        headers: this.corsHeaders(),
        data: { stream, log, viewer: null, blocked: false, id, address: clientAddress, release },
      });
      if (!upgraded) return this.text(400, 'WebSocket upgrade failed');
      handOver();
      return undefined;
    }
    if (req.method === 'HEAD') {
      return new Response(null, { headers: { ...this.corsHeaders(), 'Content-Type': 'video/x-flv' } });
    }
    server.timeout(req, 0);
    handOver();
    return this.streamFlv(req, stream, log, { id, protocol: 'http-flv', address: clientAddress }, release);
  }

  private serveWhep(req: Request, server: Server<WsData>, route: WhepRoute, url: URL): Promise<Response> | Response {
    const headers = { ...this.corsHeaders(), ...WHEP_CORS_HEADERS };
    if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers });
    const reply = (status: number, body: string | null, extra: Record<string, string> = {}): Response =>
      new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers, ...extra } });
    if (this.hlsOnly) return reply(503, 'shutting down\n');
    if (!this.whep) return reply(404, 'WebRTC is not enabled on this server (--webrtc-port)\n');
    // the wait for a publisher (--wait-ms) may outlast Bun's idle timeout
    server.timeout(req, 0);
    return this.whep.handle(req, route, url, server.requestIP(req)?.address ?? '', reply);
  }

  /** A refused viewer: 404 for an app that does not exist, 403 with the reason otherwise. */
  private refuse(reason: string, context: Record<string, string>): Response {
    this.ctx.logger.info('play refused', { ...context, reason });
    return this.text(reason.startsWith('unknown app') ? 404 : 403, reason);
  }

  /** The stream's latest snapshot (?n=k: the k-th newest kept), admitted as an HLS viewer would be. */
  private async serveSnapshot(req: Request, server: Server<WsData>, app: string, stream: string, search: URLSearchParams): Promise<Response> {
    const clientAddress = server.requestIP(req)?.address ?? '';
    const decision = await this.ctx.admission.decide({ action: 'play', protocol: 'hls', app, stream, query: viewerQuery(search), clientAddress });
    if (!decision.allow) return this.refuse(decision.reason, { peer: clientAddress, stream: `${app}/${stream}`, protocol: 'snapshot' });
    const n = search.get('n') ?? '0';
    if (!/^\d{1,3}$/.test(n)) return this.text(400, 'n must be a whole number: 0 is the newest snapshot');
    const found = this.ctx.snapshots?.find(app, stream, Number(n)) ?? { ok: false, status: 404, reason: 'snapshots are off' };
    if (!found.ok) return this.text(found.status, found.reason);
    const { jpeg, takenAtMs } = found.snapshot;
    if (req.method !== 'HEAD') this.ctx.counters.bytesOut += jpeg.byteLength;
    return new Response(req.method === 'HEAD' ? null : jpeg, {
      headers: {
        ...this.corsHeaders(),
        'Content-Type': 'image/jpeg',
        'Cache-Control': 'no-cache',
        'Last-Modified': new Date(takenAtMs).toUTCString(),
        'X-Snapshot-Time-Ms': String(takenAtMs),
      },
    });
  }

  /** VOD requests share the HLS per-address count (a player's playlist and segment requests). */
  private async serveVod(req: Request, server: Server<WsData>, url: URL): Promise<Response> {
    if (this.hlsOnly) return this.text(503, 'shutting down');
    const vod = this.vod!;
    return this.withHlsSlot(req, server, 'vod', (clientAddress) =>
      vod.serve({ req, pathname: url.pathname, search: url.searchParams, clientAddress }, this.corsHeaders()));
  }

  /** Answers a request while it holds one of its address's HLS slots (VOD shares them), or refuses it over the cap. */
  private async withHlsSlot(req: Request, server: Server<WsData>, protocol: string, answer: (clientAddress: string) => Promise<Response>): Promise<Response> {
    const clientAddress = server.requestIP(req)?.address ?? '';
    const slot = this.hlsSlots.acquire(clientAddress);
    if (!slot.ok) return this.overCap(slot, clientAddress, protocol);
    try {
      return await answer(clientAddress);
    } finally {
      slot.release();
    }
  }

  private async serveHls(ask: HlsAsk): Promise<Response> {
    const { req, server, file, search } = ask;
    // Playlists, segments, parts and init segments are all admitted with the viewer's query
    // (a token the playlist handed on to its URIs): media requests hit the cached decision.
    const protocol: HlsViewerProtocol = file === 'index.m3u8' || file.endsWith('.ts') || isLookbackRequest(file, search) ? 'hls' : 'll-hls';
    const query = viewerQuery(search);
    return this.withHlsSlot(req, server, protocol, (clientAddress) => this.answerHls(ask, protocol, query, clientAddress));
  }

  private async answerHls(ask: HlsAsk, protocol: HlsViewerProtocol, query: string, clientAddress: string): Promise<Response> {
    const { req, server, app, stream, file, search } = ask;
    const decision = await this.ctx.admission.decide({ action: 'play', protocol, app, stream, query, clientAddress });
    if (!decision.allow) return this.refuse(decision.reason, { peer: clientAddress, stream: `${app}/${stream}`, protocol });
    if (this.recordings && isLookbackRequest(file, search)) {
      const request = { app, stream, file, search, uriQuery: query, nowMs: Date.now() };
      return serveLookback(this.recordings, request, this.hlsResponder(req, null), this.ctx.logger);
    }
    const playlist = file.endsWith('.m3u8');
    let output = this.hlsOutputFor(app, stream, playlist);
    if (!output && playlist) {
      // A player that asks before the publisher arrives waits for it, up to --wait-ms, as an FLV
      // viewer does; the playlist then waits for its first media (hls-http.ts).
      server.timeout(req, 0);
      const live = await this.ctx.streams.waitUntilLive(app, stream, req.signal);
      if (live) output = this.ctx.hls.request(live);
    }
    if (!output) return this.text(404, `stream '${app}/${stream}' is not live`);
    const live = output;
    // A player is its session id; a request without one (a blocking reload of a URL that lost it) is its address and token.
    const viewer = hlsSessionId(search) ?? `${clientAddress}?${query}`;
    const onMediaPlaylist = (): void => this.hlsViewers.record(live.stream.path, protocol, viewer);
    // Blocking playlist requests may wait longer than Bun's default idle timeout.
    server.timeout(req, 30);
    const response = await serveHls(live, { file, search, uriQuery: query, onMediaPlaylist }, this.hlsResponder(req, live.stream));
    // a blocking request that waited counts as asking until it was answered
    this.ctx.hls.touch(live);
    return response;
  }

  /**
   * The HLS output a request is for. A playlist of a stream with a publisher starts one if the
   * stream is muxed on demand; anything else is served by the output there is, which a
   * request keeps from being stopped as idle.
   */
  private hlsOutputFor(app: string, name: string, playlist: boolean): HlsOutput | undefined {
    const live = playlist ? this.ctx.streams.find(app, name) : undefined;
    if (live && live.publisher !== null) return this.ctx.hls.request(live);
    const output = this.ctx.hls.find(`${app}/${name}`);
    this.ctx.hls.touch(output);
    return output;
  }

  /** Answers an HLS request with CORS, counting the bytes sent (to the stream's total too, when there is one). */
  private hlsResponder(req: Request, stream: LiveStream | null): HlsResponder {
    const cors = this.corsHeaders();
    const counters = this.ctx.counters;
    return (status, body, headers) => {
      if (req.method !== 'HEAD' && body !== null) {
        const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
        counters.bytesOut += bytes;
        if (stream) stream.counters.bytesOut += bytes;
      }
      return new Response(req.method === 'HEAD' ? null : body, { status, headers: { ...cors, ...headers } });
    };
  }

  private streamFlv(req: Request, stream: LiveStream, log: Logger, who: FlvViewerIdentity, release: () => void): Response {
    const ctx = this.ctx;
    let viewer: FlvViewerHandle | null = null;
    // The body may never be pulled (the client left before it started): the abort gives the slot back then.
    req.signal.addEventListener('abort', release, { once: true });
    const body = new ReadableStream({
      type: 'direct',
      pull: (controller) =>
        new Promise<void>((resolve) => {
          let blocked = false;
          let ended = false;
          const finish = (): void => {
            if (ended) return;
            ended = true;
            this.activeConnections--;
            release();
            viewer?.detach();
            resolve();
          };
          const sink: ByteSink = {
            write: (bytes) => {
              if (blocked || ended) return 0;
              const result = controller.write(bytes);
              if (result instanceof Promise) {
                blocked = true;
                result.then(
                  () => {
                    blocked = false;
                    viewer?.writer.resume();
                  },
                  () => finish(),
                );
              }
              return bytes.byteLength;
            },
            end: () => {
              if (!ended) closeQuietly(() => controller.close());
              finish();
            },
            // An error, unlike a plain close, makes Bun drop the socket instead of waiting for a
            // client that never reads to take what is buffered.
            abort: () => {
              if (!ended) closeQuietly(() => controller.close(new Error('viewer dropped')));
              finish();
            },
          };
          this.activeConnections++;
          req.signal.addEventListener('abort', finish, { once: true });
          viewer = attachFlvViewer(ctx, stream, sink, log, who);
          log.info('play started');
        }),
    });
    return new Response(body, {
      headers: {
        ...this.corsHeaders(),
        'Content-Type': 'video/x-flv',
        'Cache-Control': 'no-cache, no-store',
        Connection: 'keep-alive',
      },
    });
  }

  private openWebSocket(ws: ServerWebSocket<WsData>): void {
    const data = ws.data;
    const sink: ByteSink = {
      write: (bytes) => {
        if (data.blocked) return 0;
        const sent = ws.send(bytes);
        if (sent === 0) throw new Error('WebSocket dropped a message');
        if (sent === -1) data.blocked = true;
        return bytes.byteLength;
      },
      end: () => ws.close(1000, 'stream ended'),
      abort: () => ws.terminate(),
    };
    data.viewer = attachFlvViewer(this.ctx, data.stream, sink, data.log, { id: data.id, protocol: 'ws-flv', address: data.address });
    data.log.info('play started');
  }
}

function closeQuietly(close: () => void): void {
  try {
    close();
  } catch {
    // the client already went away
  }
}
