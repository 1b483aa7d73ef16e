// Load-test viewers over RTMP, HTTP-FLV and WebSocket-FLV on raw Bun sockets. Each viewer
// parses only what it must: RTMP runs the chunk reader (media payloads are not decoded), FLV
// runs the tag-boundary scanner over the HTTP body or the WebSocket payloads.
import type { Socket } from 'bun';
import { ClientSession, type ClientSessionEvent, type ClientSessionOptions } from '../../src/rtmp/client-session.ts';
import { FlvTagScanner, type FlvTagSink } from './flv-tag-scanner.ts';
import { HttpResponseReader, type HttpHead } from './http-response-reader.ts';
import { tail32Of } from './media-probe.ts';
import { RtmpMediaCounter } from './rtmp-media-counter.ts';
import type { ViewerMetrics } from './metrics.ts';
import { delegatingHandlers } from './socket-handlers.ts';
import { SocketWriter } from './socket-writer.ts';
import { buildUpgradeRequest, encodeClientControlFrame, WsFrameReader, WsOpcode } from './ws-frame-reader.ts';

export type ViewerProtocol = 'rtmp' | 'flv' | 'ws';

export type Endpoint = {
  protocol: ViewerProtocol;
  host: string;
  port: number;
  /** HTTP path with query (flv, ws) */
  path: string;
  /** RTMP app and stream (rtmp) */
  app: string;
  streamName: string;
  tcUrl: string;
};

export function parseEndpoint(url: string, protocol?: ViewerProtocol): Endpoint {
  const u = new URL(url);
  const scheme = u.protocol.replace(':', '');
  const inferred: ViewerProtocol | undefined =
    scheme === 'rtmp' ? 'rtmp' : scheme === 'http' ? 'flv' : scheme === 'ws' ? 'ws' : undefined;
  const p = protocol ?? inferred;
  if (!p) throw new Error(`cannot tell the protocol of ${url}`);
  const segments = u.pathname.split('/').filter((s) => s.length > 0);
  const app = segments.slice(0, -1).join('/') || 'live';
  const streamName = (segments.at(-1) ?? 'bench').replace(/\.flv$/, '') + u.search;
  const defaultPort = p === 'rtmp' ? 1935 : 80;
  return {
    protocol: p,
    host: u.hostname,
    port: u.port ? Number(u.port) : defaultPort,
    path: u.pathname + u.search,
    app,
    streamName,
    tcUrl: `rtmp://${u.host}/${app}`,
  };
}

export abstract class Viewer {
  protected socket: Socket<Viewer> | undefined;
  protected writer: SocketWriter | undefined;
  private closing = false;

  constructor(
    readonly metrics: ViewerMetrics,
    protected readonly endpoint: Endpoint,
  ) {}

  connect(): void {
    this.metrics.connectStartMs = performance.now();
    Bun.connect<Viewer>({
      hostname: this.endpoint.host,
      port: this.endpoint.port,
      data: this,
      socket: HANDLERS,
    }).catch((err: unknown) => this.fail(`connect: ${String(err)}`));
  }

  /** close by the load tool (end of run): not an early close */
  close(): void {
    this.closing = true;
    this.socket?.end();
  }

  onOpen(socket: Socket<Viewer>): void {
    this.socket = socket;
    this.writer = new SocketWriter(socket as Socket<unknown>);
    this.metrics.connectedMs = performance.now();
    this.opened();
  }

  onData(bytes: Uint8Array): void {
    const m = this.metrics;
    m.now = performance.now();
    if (m.firstByteMs < 0) m.firstByteMs = m.now;
    m.wireBytes += bytes.length;
    try {
      this.received(bytes);
    } catch (err) {
      this.fail(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    }
  }

  onDrain(): void {
    this.writer?.drain();
  }

  onClose(): void {
    if (this.metrics.closedMs < 0 && !this.closing) {
      this.metrics.closedMs = performance.now();
      this.metrics.error ??= 'closed by server';
    }
  }

  onSocketError(_socket: Socket<Viewer>, error: Error): void {
    this.fail(`socket: ${error.message}`);
  }

  onConnectError(error: Error): void {
    this.fail(`connect: ${error.message}`);
  }

  fail(reason: string): void {
    this.metrics.error ??= reason;
    if (this.metrics.closedMs < 0) this.metrics.closedMs = performance.now();
    this.closing = true;
    this.socket?.end();
  }

  protected abstract opened(): void;
  protected abstract received(bytes: Uint8Array): void;
}

const HANDLERS = delegatingHandlers<Viewer>();

/** FLV tags to metrics */
class TagSink implements FlvTagSink {
  constructor(private readonly metrics: ViewerMetrics) {}
  onTag(tagType: number, bodySizeBytes: number, _ts: number, b0: number, b1: number, tail32: number): void {
    this.metrics.onMedia(tagType, bodySizeBytes, b0, b1, tail32);
  }
}

/**
 * How RTMP viewers read chunks: 'counter' (default) parses every chunk header but does not
 * reassemble audio/video (the cheapest client, so the server saturates first); 'chunk' runs
 * src/rtmp/chunk-reader.ts, which copies every media payload into a message buffer.
 */
export type RtmpReaderKind = 'counter' | 'chunk';

/** the RTMP client session of a bench publisher or viewer of `endpoint` */
export function rtmpClientSession(endpoint: Endpoint, role: 'publish' | 'play', extra: Partial<ClientSessionOptions> = {}): ClientSession {
  return new ClientSession({
    app: endpoint.app,
    tcUrl: endpoint.tcUrl,
    role,
    streamName: endpoint.streamName,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    epochMs: 0,
    ...extra,
  });
}

export class RtmpViewer extends Viewer {
  private readonly session: ClientSession;

  constructor(metrics: ViewerMetrics, endpoint: Endpoint, reader: RtmpReaderKind) {
    super(metrics, endpoint);
    this.session = rtmpClientSession(endpoint, 'play', reader === 'counter' ? { createReader: (max: number) => new RtmpMediaCounter(metrics, max) } : {});
  }

  protected opened(): void {
    this.session.start();
    this.writer!.writeAll(this.session.takeOutgoing());
  }

  protected received(bytes: Uint8Array): void {
    const events = this.session.push(bytes);
    for (let k = 0; k < events.length; k++) this.handle(events[k]!);
    const out = this.session.takeOutgoing();
    if (out.length > 0) this.writer!.writeAll(out);
  }

  private handle(event: ClientSessionEvent): void {
    if (event.type === 'media') {
      const p = event.message.payload;
      this.metrics.onMedia(event.message.typeId, p.length, p.length > 0 ? p[0]! : -1, p.length > 1 ? p[1]! : -1, tail32Of(p));
    } else if (event.type === 'rejected') {
      this.fail(`rejected at ${event.stage}: ${event.code} ${event.description}`);
    } else if (event.type === 'stream-eof') {
      this.fail('stream EOF');
    }
  }
}

export class HttpFlvViewer extends Viewer {
  private readonly scanner = new FlvTagScanner(new TagSink(this.metrics));
  private readonly http = new HttpResponseReader(
    (head) => this.onHead(head),
    (body) => this.scanner.push(body),
  );

  protected opened(): void {
    const e = this.endpoint;
    this.writer!.write(
      new TextEncoder().encode(
        `GET ${e.path} HTTP/1.1\r\nHost: ${e.host}:${e.port}\r\nUser-Agent: weir-bench\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n`,
      ),
    );
  }

  private onHead(head: HttpHead): void {
    if (head.status !== 200) throw new Error(`HTTP ${head.status}`);
  }

  protected received(bytes: Uint8Array): void {
    this.http.push(bytes);
    if (this.http.done) this.fail('HTTP body ended');
  }
}

export class WsFlvViewer extends Viewer {
  private readonly scanner = new FlvTagScanner(new TagSink(this.metrics));
  private readonly frames = new WsFrameReader({
    onData: (bytes) => this.scanner.push(bytes),
    onControl: (opcode, payload) => this.onControl(opcode, payload),
  });
  private readonly http = new HttpResponseReader(
    (head) => {
      if (head.status !== 101) throw new Error(`WebSocket upgrade answered HTTP ${head.status}`);
    },
    (bytes) => this.frames.push(bytes),
  );

  protected opened(): void {
    const e = this.endpoint;
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
    this.writer!.write(new TextEncoder().encode(buildUpgradeRequest(`${e.host}:${e.port}`, e.path, key)));
  }

  protected received(bytes: Uint8Array): void {
    this.http.push(bytes);
  }

  private onControl(opcode: number, payload: Uint8Array): void {
    const mask = crypto.getRandomValues(new Uint8Array(4));
    if (opcode === WsOpcode.Ping) {
      this.writer!.write(encodeClientControlFrame(WsOpcode.Pong, payload, mask));
    } else if (opcode === WsOpcode.Close) {
      this.writer!.write(encodeClientControlFrame(WsOpcode.Close, payload.subarray(0, 2), mask));
      this.fail('WebSocket closed by server');
    }
  }
}

export function createViewer(metrics: ViewerMetrics, endpoint: Endpoint, rtmpReader: RtmpReaderKind = 'counter'): Viewer {
  switch (endpoint.protocol) {
    case 'rtmp':
      return new RtmpViewer(metrics, endpoint, rtmpReader);
    case 'flv':
      return new HttpFlvViewer(metrics, endpoint);
    case 'ws':
      return new WsFlvViewer(metrics, endpoint);
  }
}
