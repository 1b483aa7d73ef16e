// The engine's HTTP listener: HTTP-FLV and WebSocket-FLV at /{app}/{stream}.flv, with CORS.
// Admission and the wait for a publisher happen before the response starts, so a stream
// that never goes live is a clean 404.
import type { Server, ServerWebSocket } from 'bun';
import type { Logger } from '../shared/logger.ts';
import type { ByteSink } from './connection-writer.ts';
import type { EngineContext } from './engine-context.ts';
import { attachFlvViewer, type FlvViewerHandle } from './flv-viewer.ts';
import { serveHls } from './hls-http.ts';
import { parseMediaRoute } from './media-route.ts';
import type { MediaProtocol } from './admission.ts';
import type { LiveStream } from '../hub/live-stream.ts';

type WsData = { stream: LiveStream; log: Logger; viewer: FlvViewerHandle | null; blocked: boolean };

export class HttpMediaServer {
  private server: Server<WsData> | null = null;
  private activeConnections = 0;

  constructor(private readonly ctx: EngineContext) {}

  get port(): number {
    if (!this.server) throw new Error('HTTP listener is not running');
    return this.server.port!;
  }

  start(host: string, port: number): void {
    this.server = Bun.serve<WsData>({
      hostname: host,
      port,
      // Production mode: no error pages or stack traces for dropped viewers.
      development: false,
      fetch: (req, server) => this.route(req, server),
      websocket: {
        open: (ws) => this.openWebSocket(ws),
        message: () => {},
        drain: (ws) => {
          ws.data.blocked = false;
          ws.data.viewer?.writer.resume();
        },
        close: (ws) => ws.data.viewer?.detach(),
      },
    });
    this.ctx.logger.info('HTTP listening', { host, port: this.server.port });
  }

  stop(): void {
    this.server?.stop(true);
    this.server = null;
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

  private async route(req: Request, server: Server<WsData>): Promise<Response | undefined> {
    if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: this.corsHeaders() });
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.text(405, 'method not allowed');
    const url = new URL(req.url);
    const route = parseMediaRoute(url.pathname);
    if (!route) return this.text(404, 'not found');
    if (route.kind === 'hls') return this.serveHls(req, server, route.app, route.stream, route.file, url.searchParams);
    const isWebSocket = req.headers.get('upgrade')?.toLowerCase() === 'websocket';
    const protocol: MediaProtocol = isWebSocket ? 'ws-flv' : 'http-flv';
    if (this.activeConnections >= this.ctx.config().http.maxConnections) return this.text(503, 'too many viewers');
    const clientAddress = server.requestIP(req)?.address ?? '';
    const decision = await this.ctx.admission.decide({
      action: 'play',
      protocol,
      app: route.app,
      stream: route.stream,
      query: url.search.slice(1),
      clientAddress,
    });
    if (!decision.allow) return this.text(decision.reason.startsWith('unknown app') ? 404 : 403, decision.reason);
    const stream = await this.ctx.streams.waitUntilLive(route.app, route.stream, req.signal);
    if (!stream) return this.text(404, `stream '${route.app}/${route.stream}' is not live`);
    const log = this.ctx.logger.child({ conn: this.ctx.nextConnectionId(), peer: clientAddress, stream: stream.path, protocol });
    if (isWebSocket) {
      const upgraded = server.upgrade(req, {
        headers: this.corsHeaders(),
        data: { stream, log, viewer: null, blocked: false },
      });
      return upgraded ? undefined : this.text(400, 'WebSocket upgrade failed');
    }
    if (req.method === 'HEAD') {
      return new Response(null, { headers: { ...this.corsHeaders(), 'Content-Type': 'video/x-flv' } });
    }
    server.timeout(req, 0);
    return this.streamFlv(req, stream, log);
  }

  private async serveHls(
    req: Request,
    server: Server<WsData>,
    app: string,
    stream: string,
    file: string,
    search: URLSearchParams,
  ): Promise<Response> {
    const isPlaylist = file.endsWith('.m3u8');
    if (isPlaylist) {
      const decision = await this.ctx.admission.decide({
        action: 'play',
        protocol: file === 'll.m3u8' ? 'll-hls' : 'hls',
        app,
        stream,
        query: search.toString(),
        clientAddress: server.requestIP(req)?.address ?? '',
      });
      if (!decision.allow) return this.text(decision.reason.startsWith('unknown app') ? 404 : 403, decision.reason);
    }
    const output = this.ctx.hls.find(`${app}/${stream}`);
    if (!output) return this.text(404, `stream '${app}/${stream}' is not live`);
    // Blocking playlist requests may wait longer than Bun's default idle timeout.
    server.timeout(req, 30);
    const cors = this.corsHeaders();
    return serveHls(output, { file, search }, (status, body, headers) =>
      new Response(req.method === 'HEAD' ? null : body, { status, headers: { ...cors, ...headers } }),
    );
  }

  private streamFlv(req: Request, stream: LiveStream, log: Logger): Response {
    const ctx = this.ctx;
    let viewer: FlvViewerHandle | null = null;
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
          viewer = attachFlvViewer(ctx, stream, sink, log);
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
    data.viewer = attachFlvViewer(this.ctx, data.stream, sink, data.log);
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
