// The engine's relays: configured pull sources (started at start, reconciled on every new
// configuration), forwards of admitted publishes (the admission answer's targets, plus the
// configured targets for pulled streams, and configured targets added while a stream is live),
// and edge on-demand pulls from an origin template.
import type { LiveStream } from '../hub/live-stream.ts';
import type { EngineContext } from '../server/engine-context.ts';
import type { ForwardTarget, PullSource } from '../shared/config-protocol.ts';
import type { EngineConfig, RelaySettings } from '../shared/engine-config.ts';
import type { Logger } from '../shared/logger.ts';
import type { BackoffOptions } from './backoff.ts';
import { ForwardTargetMemo } from './forward-memo.ts';
import type { PullClientFactory } from './pull-client.ts';
import { createPullClient } from './pull-clients.ts';
import { fillOriginTemplate, relaySchemeOf } from './relay-url.ts';
import type { RelayStatus } from './relay-status.ts';
import { StreamForward } from './stream-forward.ts';
import { TsForward } from './ts-forward.ts';
import { StreamPull } from './stream-pull.ts';

export const DEFAULT_RELAY_SETTINGS: RelaySettings = {
  edgeOriginTemplate: null,
  edgeIdleMs: 10_000,
  // certificates are checked unless the operator says otherwise (--relay-insecure-tls, read by engine-cli.ts)
  insecureTls: false,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
};

const EDGE_CHECK_INTERVAL_MS = 500;

export type RelayManagerOptions = Readonly<{
  ctx: EngineContext;
  memo: ForwardTargetMemo;
  /** viewers of a stream across every protocol (RTMP, FLV, HLS), forwards excluded */
  viewerCount: (stream: LiveStream) => number;
  createClient?: PullClientFactory;
}>;

/** an RTMP(S) publish, or MPEG-TS to an SRT listener or a UDP address */
type Forward = StreamForward | TsForward;

type EdgePull = { pull: StreamPull; lastWantedAtMs: number };

function pullKey(source: PullSource): string {
  return JSON.stringify([source.app, source.stream, source.url]);
}

export class RelayManager {
  private readonly pulls = new Map<string, { key: string; pull: StreamPull }>();
  private readonly edges = new Map<string, EdgePull>();
  private readonly forwards = new Set<Forward>();
  /** the forward of each (stream, target URL), so a new configuration neither doubles nor forgets one */
  private readonly forwardsByKey = new Map<string, Forward>();
  private readonly log: Logger;
  private readonly createClient: PullClientFactory;
  private edgeTimer: ReturnType<typeof setInterval> | null = null;
  private admissionForwardCounter = 0;
  private stopped = false;

  constructor(private readonly options: RelayManagerOptions) {
    this.log = options.ctx.logger.child({ component: 'relay' });
    this.createClient = options.createClient ?? createPullClient;
    const { streams } = options.ctx;
    streams.onPublish((stream) => this.onPublish(stream));
    streams.onDemand((stream) => this.onDemand(stream));
  }

  private settings(): RelaySettings {
    return this.options.ctx.config().relay ?? DEFAULT_RELAY_SETTINGS;
  }

  private backoff(): BackoffOptions {
    const s = this.settings();
    return { initialMs: s.backoffInitialMs, maxMs: s.backoffMaxMs, jitter: 0.5 };
  }

  /** Starts pulls that are new, stops those that are gone or changed; call with every configuration. */
  apply(config: EngineConfig): void {
    if (this.stopped) return;
    const apps = new Set(config.apps.map((a) => a.name));
    const wanted = new Map<string, PullSource>();
    for (const source of config.pulls ?? []) {
      if (source.enabled && apps.has(source.app)) wanted.set(source.id, source);
    }
    for (const [id, entry] of this.pulls) {
      const source = wanted.get(id);
      if (source && pullKey(source) === entry.key) continue;
      entry.pull.stop();
      this.pulls.delete(id);
    }
    for (const [id, source] of wanted) {
      if (this.pulls.has(id)) continue;
      // A configured pull takes over from an edge pull of the same stream.
      const edge = this.edges.get(`${source.app}/${source.stream}`);
      if (edge) {
        edge.pull.stop();
        this.edges.delete(`${source.app}/${source.stream}`);
      }
      const pull = this.newPull(source.id, 'pull', source.app, source.stream, source.url);
      this.pulls.set(id, { key: pullKey(source), pull });
      pull.start();
    }
    this.reconcileForwards(config);
  }

  status(): RelayStatus[] {
    return [
      ...[...this.pulls.values()].map((e) => e.pull.status.snapshot()),
      ...[...this.edges.values()].map((e) => e.pull.status.snapshot()),
      ...[...this.forwards].map((f) => f.status.snapshot()),
    ];
  }

  stop(): void {
    this.stopped = true;
    if (this.edgeTimer) clearInterval(this.edgeTimer);
    this.edgeTimer = null;
    for (const { pull } of this.pulls.values()) pull.stop();
    for (const { pull } of this.edges.values()) pull.stop();
    for (const forward of [...this.forwards]) forward.stop('engine stopping');
    this.pulls.clear();
    this.edges.clear();
    this.forwards.clear();
    this.forwardsByKey.clear();
  }

  private newPull(id: string, kind: 'pull' | 'edge', app: string, stream: string, url: string): StreamPull {
    const ctx = this.options.ctx;
    return new StreamPull({
      id,
      kind,
      app,
      stream,
      url,
      streams: ctx.streams,
      createClient: this.createClient,
      clientOptions: { insecureTls: this.settings().insecureTls },
      backoff: this.backoff(),
      logger: ctx.logger,
      onBytesIn: (n) => {
        ctx.counters.bytesIn += n;
      },
    });
  }

  // ------------------------------------------------------------------ forwards

  private onPublish(stream: LiveStream): void {
    const publisher = stream.publisher;
    if (this.stopped || !publisher) return;
    const config = this.options.ctx.config();
    const targets = new Map<string, string>(); // url -> id
    if (publisher.id.startsWith('edge:')) return; // an edge mirrors its origin; the origin forwards
    for (const url of this.options.memo.take(publisher.id)) targets.set(url, `admission-${++this.admissionForwardCounter}`);
    // Configured targets keep their id (the control plane's admission answer lists them by URL);
    // pulled streams, which no admission saw, get them from the configuration alone.
    for (const target of configuredForwards(config.forwards ?? [], stream)) {
      if (targets.has(target.url) || publisher.id.startsWith('pull:')) targets.set(target.url, target.id);
    }
    for (const [url, id] of targets) this.startForward(stream, id, url);
  }

  /**
   * A new configuration: configured targets added (or enabled) for a stream that is live now
   * start at once instead of at its next publish; removed or disabled ones stop. Forwards the
   * admission hook named are the hook's business and stay.
   */
  private reconcileForwards(config: EngineConfig): void {
    const wanted = new Set<string>();
    for (const stream of this.options.ctx.streams.list()) {
      const publisher = stream.publisher;
      if (!publisher || publisher.id.startsWith('edge:')) continue;
      for (const target of configuredForwards(config.forwards ?? [], stream)) {
        wanted.add(forwardKey(stream, target.url));
        if (!this.forwardsByKey.has(forwardKey(stream, target.url))) this.startForward(stream, target.id, target.url);
      }
    }
    const configuredIds = new Set((config.forwards ?? []).map((f) => f.id));
    for (const [key, forward] of this.forwardsByKey) {
      if (forward.status.id.startsWith('admission-') || wanted.has(key)) continue;
      forward.stop(configuredIds.has(forward.status.id) ? 'the forward target was disabled' : 'the forward target was removed');
    }
  }

  private startForward(stream: LiveStream, id: string, url: string): void {
    const publisher = stream.publisher;
    if (!publisher) return;
    const scheme = relaySchemeOf(url);
    if (scheme !== 'rtmp' && scheme !== 'srt' && scheme !== 'udp') {
      this.log.warn('forward target is not rtmp://, rtmps://, srt:// or udp://; skipped', { stream: stream.path, id });
      return;
    }
    const key = forwardKey(stream, url);
    const common = {
      id,
      url,
      stream,
      publisher,
      outputs: this.options.ctx.outputs,
      backoff: this.backoff(),
      logger: this.options.ctx.logger,
      onBytesOut: (n: number) => {
        this.options.ctx.counters.bytesOut += n;
      },
      onStopped: (done: Forward) => {
        this.forwards.delete(done);
        if (this.forwardsByKey.get(key) === done) this.forwardsByKey.delete(key);
      },
    };
    const forward: Forward = scheme === 'rtmp' ? new StreamForward({ ...common, limits: this.options.ctx.config().writers, insecureTls: this.settings().insecureTls }) : new TsForward({ ...common, kind: scheme });
    this.forwards.add(forward);
    this.forwardsByKey.set(key, forward);
    // Started after the publish event has reached every listener (HLS attaches first).
    queueMicrotask(() => forward.start());
  }

  // ------------------------------------------------------------------ edge

  private onDemand(stream: LiveStream): void {
    if (this.stopped || stream.publisher) return;
    const template = this.edgeOriginFor(stream.app);
    if (!template) return;
    const path = stream.path;
    const existing = this.edges.get(path);
    if (existing) {
      existing.lastWantedAtMs = Date.now();
      return;
    }
    for (const { pull } of this.pulls.values()) {
      if (pull.status.app === stream.app && pull.status.stream === stream.name) return; // configured pull owns it
    }
    const url = fillOriginTemplate(template, stream.app, stream.name);
    const pull = this.newPull(`edge-${path}`, 'edge', stream.app, stream.name, url);
    this.edges.set(path, { pull, lastWantedAtMs: Date.now() });
    this.log.info('edge pull started for a waiting viewer', { stream: path });
    pull.start();
    this.edgeTimer ??= setInterval(() => this.checkEdges(), EDGE_CHECK_INTERVAL_MS);
  }

  /** the app's own origin URL template if it has one, else the engine-wide --edge-origin */
  private edgeOriginFor(app: string): string | null {
    const appOrigin = this.options.ctx.config().apps.find((a) => a.name === app)?.originUrl;
    return appOrigin || this.settings().edgeOriginTemplate;
  }

  private checkEdges(): void {
    const now = Date.now();
    const idleMs = this.settings().edgeIdleMs;
    for (const [path, edge] of this.edges) {
      const stream = edge.pull.stream ?? this.options.ctx.streams.find(edge.pull.status.app, edge.pull.status.stream);
      if (stream && this.options.viewerCount(stream) > 0) edge.lastWantedAtMs = now;
      if (now - edge.lastWantedAtMs < idleMs) continue;
      this.log.info('edge pull stopped: no viewers', { stream: path, idleMs });
      edge.pull.stop();
      this.edges.delete(path);
    }
    if (this.edges.size === 0 && this.edgeTimer) {
      clearInterval(this.edgeTimer);
      this.edgeTimer = null;
    }
  }
}

function forwardKey(stream: LiveStream, url: string): string {
  return `${stream.path} ${url}`;
}

function configuredForwards(forwards: readonly ForwardTarget[], stream: LiveStream): ForwardTarget[] {
  return forwards.filter((f) => f.enabled && f.app === stream.app && (f.stream === null || f.stream === stream.name));
}
