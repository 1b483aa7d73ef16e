// The engine API the control plane calls (default 127.0.0.1:8087): live state (status,
// streams, clients), kicking a client, and the reload notice. Every /v1 route needs the
// shared engine secret as a Bearer token (compared in constant time); GET /healthz does not.
import type { Server } from 'bun';
import type { ConfigApplyError, EngineListeners, EngineStatus, LiveStreamState, RelayStatus } from '../shared/config-protocol.ts';
import { routeRecordings, type ExportView, type RecordingView } from './engine-api-recordings.ts';
import { guardFetch, productionServe } from '../shared/http-errors.ts';
import type { LogContext, Logger } from '../shared/logger.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../shared/prometheus.ts';
import { error, json, safeDecode } from './engine-api-responses.ts';
import type { EngineContext } from '../server/engine-context.ts';
import type { SecretSource } from './control-link/engine-secret.ts';
import type { HlsViewerTracker } from '../server/http/hls-viewers.ts';
import { describeTracks, type BitrateMeter } from '../server/stream-stats.ts';
import { constantTimeEqual } from '../shared/constant-time.ts';
import type { SnapshotAnswer } from '../recorder/snapshot-manager.ts';

/** The parts of a running engine the API reads. */
export interface EngineView {
  readonly context: EngineContext;
  readonly bitrates: BitrateMeter;
  readonly hlsViewers: HlsViewerTracker;
  /** pulls, forwards and edge pulls (GET /v1/relays) */
  readonly relays?: { status(): readonly RelayStatus[] };
  /** recording state and index (GET /v1/recordings, /v1/recordings/{app}, DELETE /v1/recordings/{app}/{stream}) */
  readonly recordings?: RecordingView;
  /** JPEG snapshots (GET /v1/snapshots/{app}/{stream}) and the decoder in status */
  readonly snapshots?: Readonly<{ decoder: string | null; find(app: string, stream: string, index?: number): SnapshotAnswer }>;
  /** MP4 export jobs (/v1/exports) */
  readonly exports?: ExportView;
  /** where the RTSP and SRT listeners are bound; null: not running (absent: the engine has none) */
  readonly rtspPort?: number | null;
  readonly srtPort?: number | null;
  /** where the WebRTC (WHEP/WHIP) UDP listener is bound; null: not running (absent: the engine has none) */
  readonly webrtcPort?: number | null;
}

export type EngineApiOptions = Readonly<{
  /** null: no secret is configured, so every /v1 request is refused */
  secret: SecretSource | null;
  version: string;
  startedAtMs: number;
  /** null until the engine has a configuration and runs */
  engine: () => EngineView | null;
  configRevision: () => number;
  /** what the last configuration asked for that could not be applied */
  configErrors?: () => readonly ConfigApplyError[];
  /** asks the config client to fetch again; null when the engine has no config server */
  reload: (() => void) | null;
  logger: Logger;
  /** GET /metrics (no auth: the engine API binds loopback by default); absent: 404 */
  metrics?: () => string;
  /** false while shutting down: /healthz answers 503 (default: ready once the engine runs) */
  ready?: () => boolean;
}>;

const KICK_REASON = 'kicked through the engine API';

export class EngineApi {
  private server: Server<undefined> | null = null;

  constructor(private readonly options: EngineApiOptions) {}

  get port(): number {
    if (!this.server) throw new Error('engine API is not running');
    return this.server.port!;
  }

  start(host: string, port: number): void {
    const logError = (message: string, fields: LogContext) => this.options.logger.error(`engine API: ${message}`, fields);
    this.server = Bun.serve({ hostname: host, port, ...productionServe(logError), fetch: guardFetch((req) => this.route(req), logError) });
    this.options.logger.info('engine API listening', { host, port: this.server.port });
  }

  stop(): void {
    this.server?.stop(true);
    this.server = null;
  }

  private route(req: Request): Response | Promise<Response> {
    const { pathname } = new URL(req.url);
    const engine = this.options.engine();
    if (pathname === '/healthz') {
      const ready = engine !== null && (this.options.ready?.() ?? true);
      return req.method === 'GET' || req.method === 'HEAD' ? json(ready ? 200 : 503, { ready }) : error(405, 'method not allowed');
    }
    if (pathname === '/metrics' && this.options.metrics) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, 'method not allowed');
      return new Response(this.options.metrics(), { headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' } });
    }
    if (!pathname.startsWith('/v1/')) return error(404, 'not found');
    if (!this.authorized(req)) {
      return new Response(JSON.stringify({ error: 'missing or wrong engine secret' }) + '\n', {
        status: 401,
        headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="weir-engine"' },
      });
    }
    const method = req.method;
    if (pathname === '/v1/status') return method === 'GET' ? json(200, this.status(engine)) : error(405, 'method not allowed');
    if (pathname === '/v1/streams') return method === 'GET' ? json(200, engine ? streamStates(engine) : []) : error(405, 'method not allowed');
    if (pathname === '/v1/clients') return method === 'GET' ? json(200, engine ? engine.context.clients.list() : []) : error(405, 'method not allowed');
    if (pathname.startsWith('/v1/clients/')) {
      if (method !== 'DELETE') return error(405, 'method not allowed');
      const id = safeDecode(pathname.slice('/v1/clients/'.length));
      if (!id || !engine?.context.clients.kick(id, KICK_REASON)) return error(404, `no client '${id ?? ''}'`);
      this.options.logger.info('client kicked', { conn: id, by: 'engine API' });
      return new Response(null, { status: 204 });
    }
    const recordingAnswer = routeRecordings(req, new URL(req.url), engine?.recordings, engine?.exports);
    if (recordingAnswer) return recordingAnswer;
    if (pathname.startsWith('/v1/snapshots/')) {
      if (method !== 'GET') return error(405, 'method not allowed');
      return snapshot(engine, pathname.slice('/v1/snapshots/'.length), new URL(req.url).searchParams.get('n'));
    }
    if (pathname === '/v1/relays') return method === 'GET' ? json(200, engine?.relays?.status() ?? []) : error(405, 'method not allowed');
    if (pathname === '/v1/reload') {
      if (method !== 'POST') return error(405, 'method not allowed');
      if (!this.options.reload) return error(409, 'this engine has no config server (--config-url)');
      this.options.reload();
      return json(202, { accepted: true });
    }
    return error(404, 'not found');
  }

  private authorized(req: Request): boolean {
    const secret = this.options.secret?.get() ?? null;
    const header = req.headers.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (secret === null || !match) return false;
    return constantTimeEqual(match[1]!, secret);
  }

  private status(engine: EngineView | null): EngineStatus {
    const ctx = engine?.context;
    return {
      version: this.options.version,
      startedAtMs: this.options.startedAtMs,
      configRevision: this.options.configRevision(),
      configErrors: this.options.configErrors?.() ?? [],
      ready: engine !== null,
      streams: ctx ? ctx.streams.list().filter((s) => s.publisher !== null).length : 0,
      clients: ctx?.clients.size ?? 0,
      bytesIn: ctx?.counters.bytesIn ?? 0,
      bytesOut: ctx?.counters.bytesOut ?? 0,
      ...(engine?.recordings ? { recording: engine.recordings.status() } : {}),
      ...(engine?.snapshots ? { snapshotDecoder: engine.snapshots.decoder } : {}),
      ...(engine ? { listeners: listenerStatus(engine) } : {}),
    };
  }
}

/** GET /v1/snapshots/{app}/{stream}[?n=k]: the JPEG, or the reason there is none with its status. */
function snapshot(engine: EngineView | null, rest: string, n: string | null): Response {
  const parts = rest.split('/').map(safeDecode);
  if (parts.length !== 2 || !parts[0] || !parts[1]) return error(404, 'not found: /v1/snapshots/{app}/{stream}');
  if (n !== null && !/^\d{1,3}$/.test(n)) return error(400, 'n must be a whole number: 0 is the newest snapshot');
  const found = engine?.snapshots?.find(parts[0], parts[1], n === null ? 0 : Number(n));
  if (!found) return error(404, 'this engine takes no snapshots');
  if (!found.ok) return error(found.status, found.reason);
  return new Response(found.snapshot.jpeg, {
    headers: { 'Content-Type': 'image/jpeg', 'Cache-Control': 'no-store', 'X-Snapshot-Time-Ms': String(found.snapshot.takenAtMs) },
  });
}

/** The SRT, RTSP and WebRTC listeners as the flags set them and as they are bound now. */
function listenerStatus(engine: EngineView): EngineListeners {
  const config = engine.context.config();
  const srtOn = config.srt?.enabled === true;
  const rtspOn = config.rtsp !== undefined;
  const webrtcOn = config.webrtc !== undefined;
  return {
    srt: { enabled: srtOn, port: srtOn ? (engine.srtPort ?? null) : null, encrypted: srtOn && (config.srt?.passphrase ?? null) !== null },
    rtsp: { enabled: rtspOn, port: rtspOn ? (engine.rtspPort ?? null) : null },
    webrtc: { enabled: webrtcOn, port: webrtcOn ? (engine.webrtcPort ?? null) : null },
  };
}

/** Every stream with a publisher: tracks, bitrates, and viewers per protocol. */
export function streamStates(engine: EngineView): LiveStreamState[] {
  const { streams, clients } = engine.context;
  const viewers = new Map<string, Record<string, number>>();
  for (const client of clients.entries()) {
    if (client.role() !== 'viewer') continue;
    const path = `${client.app()}/${client.stream()}`;
    const counts = viewers.get(path) ?? {};
    counts[client.protocol] = (counts[client.protocol] ?? 0) + 1;
    viewers.set(path, counts);
  }
  return streams
    .list()
    .filter((s) => s.publisher !== null)
    .map((stream) => {
      const publisherId = stream.publisher?.id ?? null;
      const rates = engine.bitrates.rates(stream);
      return {
        app: stream.app,
        stream: stream.name,
        publisherId,
        publisherAddress: publisherId ? (clients.get(publisherId)?.address ?? null) : null,
        startedAtMs: stream.publishedAtMs,
        tracks: describeTracks(stream, engine.bitrates.fps(stream)),
        bitrateInBps: rates.inBps,
        bitrateOutBps: rates.outBps,
        viewers: { ...viewers.get(stream.path), ...engine.hlsViewers.count(stream.path) },
      };
    });
}
