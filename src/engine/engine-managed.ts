// The engine under a control plane: the engine API comes up at once (so /healthz can say
// "not ready yet"), the configuration is fetched from the config server (or read from the
// cache file when it cannot be reached), then the engine starts on it with remote admission
// and event reporting, and every newer snapshot is applied live. Without a config URL it is
// the plain engine on its flags, plus the engine API (its /v1 routes refuse every request when
// no secret is known; /healthz and /metrics stay open).
import { startEngine, type RunningEngine } from './engine-runtime.ts';
import { ConfigClient, type ConfigClientOptions } from './control-link/config-client.ts';
import { ControlPlaneHttp, type FetchLike } from './control-link/control-plane-http.ts';
import { EngineApi } from './engine-api.ts';
import { bindOrExplain } from '../shared/listen-error.ts';
import type { SecretSource } from './control-link/engine-secret.ts';
import { EventReporter } from './control-link/event-reporter.ts';
import { EngineMetrics } from './engine-metrics.ts';
import type { DrainReport } from './graceful-shutdown.ts';
import { RemoteAdmission } from './control-link/remote-admission.ts';
import type { AdmissionQuery, ConfigApplyError, ConfigSnapshot, EngineEvent } from '../shared/config-protocol.ts';
import { engineConfigFromSnapshot, type EngineConfig, type ListenOverrides } from '../shared/engine-config.ts';
import type { Logger } from '../shared/logger.ts';

export type ManagedEngineOptions = Readonly<{
  /** the configuration from flags and defaults; a snapshot overrides listen, HLS durations and apps */
  baseConfig: EngineConfig;
  configUrl: string | null;
  /** listen settings from flags, which win over the snapshot's */
  listenOverrides?: ListenOverrides;
  secret: SecretSource | null;
  dataDir: string | null;
  /** where the engine API listens; null: no engine API */
  api: Readonly<{ host: string; port: number }> | null;
  version: string;
  logger: Logger;
  fetch?: FetchLike;
  /** test knobs for the config client (poll interval, backoff) */
  configClient?: Partial<Pick<ConfigClientOptions, 'pollIntervalMs' | 'initialBackoffMs' | 'maxBackoffMs' | 'startGraceMs'>>;
  eventFlushIntervalMs?: number;
  admissionTimeoutMs?: number;
}>;

export interface ManagedEngine {
  readonly api: EngineApi | null;
  readonly configClient: ConfigClient | null;
  readonly events: EventReporter | null;
  /** the running engine, null until it has a configuration */
  engine(): RunningEngine | null;
  admission(): RemoteAdmission | null;
  /** resolves once the engine runs; rejects if its listeners cannot be bound */
  readonly ready: Promise<RunningEngine>;
  /** the Prometheus metrics (GET /metrics on the engine API); the relay registers its status here */
  readonly metrics: EngineMetrics;
  stop(): void;
  /** SIGTERM: not ready any more, stop fetching configuration, drain the engine (bounded), send the last events, stop. */
  drain(timeoutMs?: number): Promise<DrainReport | null>;
}

export function startManagedEngine(options: ManagedEngineOptions): ManagedEngine {
  const { logger, baseConfig } = options;
  const startedAtMs = Date.now();
  let running: RunningEngine | null = null;
  let remoteAdmission: RemoteAdmission | null = null;
  let stopped = false;
  let draining = false;
  const metrics = new EngineMetrics(options.version);
  metrics.setEngine(() => running);

  const wire =
    options.configUrl && options.secret
      ? new ControlPlaneHttp({ baseUrl: options.configUrl, secret: options.secret, ...(options.fetch ? { fetch: options.fetch } : {}) })
      : null;
  if (options.configUrl && !options.secret) {
    throw new Error('a config URL needs the engine secret (--engine-secret-file, WEIR_ENGINE_SECRET or --data-dir)');
  }
  const configClient = wire
    ? new ConfigClient({
        fetchSnapshot: () => wire.getJson('/v1/config'),
        logger: logger.child({ component: 'config' }),
        dataDir: options.dataDir,
        ...options.configClient,
      })
    : null;
  const events = wire
    ? new EventReporter({
        send: (batch: readonly EngineEvent[]) => wire.postJson('/v1/events', batch),
        logger: logger.child({ component: 'events' }),
        ...(options.eventFlushIntervalMs ? { flushIntervalMs: options.eventFlushIntervalMs } : {}),
      })
    : null;
  events?.start();

  let api = options.api
    ? new EngineApi({
        secret: options.secret,
        version: options.version,
        startedAtMs,
        engine: () => running,
        configRevision: () => configClient?.current?.revision ?? 0,
        // app SRT ports bind after the apply returns: their failures are read when asked
        configErrors: () => [...applyErrors, ...(running?.srtApps?.errors() ?? [])],
        reload: configClient ? () => configClient.refresh() : null,
        logger: logger.child({ component: 'api' }),
        metrics: () => metrics.render(),
        ready: () => !draining,
      })
    : null;
  if (api && options.api) {
    const { host, port } = options.api;
    const starting = api;
    try {
      bindOrExplain('engine API', host, port, () => starting.start(host, port));
    } catch (err) {
      // The control plane cannot reach an engine without its API; a standalone engine can stream without it.
      if (wire) throw err;
      logger.warn('engine API not started: streaming goes on without /healthz and /metrics on it', { reason: (err as Error).message });
      api = null;
    }
  }

  // Snapshots that arrive after the first but before the engine runs are applied once it does.
  let pending: ConfigSnapshot | null = null;
  // What the last snapshot asked for that the engine could not do; the engine API reports it
  // so the control plane shows the setting as not applied instead of "current".
  let applyErrors: readonly ConfigApplyError[] = [];
  const apply = (snapshot: ConfigSnapshot): void => {
    if (!running) {
      pending = snapshot;
      return;
    }
    const report = running.applyConfig(engineConfigFromSnapshot(baseConfig, snapshot, options.listenOverrides));
    applyErrors = report.errors;
    for (const error of report.errors) logger.error('a setting could not be applied; the engine keeps its previous value', { revision: snapshot.revision, ...error });
    logger.info('configuration applied', {
      revision: snapshot.revision,
      rtmpMoved: report.rtmpMoved,
      httpMoved: report.httpMoved,
      removedApps: report.removedApps.join(',') || undefined,
    });
  };
  configClient?.onSnapshot(apply);

  const ready = (async (): Promise<RunningEngine> => {
    const config = configClient ? engineConfigFromSnapshot(baseConfig, await configClient.start(), options.listenOverrides) : baseConfig;
    if (stopped) throw new Error('engine stopped before it was ready');
    const engine = startEngine(config, {
      logger,
      metrics,
      ...(wire
        ? {
            admission: (getConfig: () => EngineConfig) =>
              (remoteAdmission = new RemoteAdmission({
                ask: (query: AdmissionQuery) => wire.postJson('/v1/admission', query, options.admissionTimeoutMs ?? 2000),
                getConfig,
                logger: logger.child({ component: 'admission' }),
              })),
            onConfigApplied: () => remoteAdmission?.expireAll(),
          }
        : {}),
      ...(events ? { events } : {}),
    });
    running = engine;
    await engine.ready;
    const late: ConfigSnapshot | null = pending;
    pending = null;
    if (late) apply(late);
    return engine;
  })();

  return {
    api,
    configClient,
    events,
    engine: () => running,
    admission: () => remoteAdmission,
    ready,
    metrics,
    drain: async (timeoutMs) => {
      draining = true;
      stopped = true;
      configClient?.stop();
      const engine = running;
      const report = engine ? await engine.drain(timeoutMs) : null;
      running = null;
      // the publish-stop and play-stop events of the drain, best effort and briefly
      if (events) await Promise.race([events.flush(), Bun.sleep(1000)]);
      events?.stop();
      api?.stop();
      return report;
    },
    stop: () => {
      stopped = true;
      configClient?.stop();
      events?.stop();
      api?.stop();
      running?.stop();
      running = null;
    },
  };
}
