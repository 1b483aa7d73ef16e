// Builds a running engine from a configuration: hub, outputs, listeners. Used by the
// executable and by tests, which start it on port 0. The configuration is a live value:
// applyConfig() moves listeners and drops removed apps without a restart.
import { StreamRegistry } from './hub/stream-registry.ts';
import { setMergeWriteMs } from './server/flush-scheduler.ts';
import { HlsRegistry } from './outputs/hls/hls-registry.ts';
import { OutputRegistry } from './outputs/output-registry.ts';
import { AppListAdmission, type Admission } from './server/admission.ts';
import { ClientRegistry } from './server/client-registry.ts';
import { applyEngineConfig, type ApplyReport } from './server/config-applier.ts';
import type { EngineContext, EngineCounters } from './server/engine-context.ts';
import { NO_EVENTS, type EngineEventSink } from './server/event-reporter.ts';
import type { HlsViewerTracker } from './server/hls-viewers.ts';
import { HttpMediaServer } from './server/http-server.ts';
import { RtmpListener } from './server/rtmp-listener.ts';
import { BitrateMeter } from './server/stream-stats.ts';
import { hlsVariantsFor, type EngineConfig } from './shared/engine-config.ts';
import { createLogger, type Logger } from './shared/logger.ts';

export interface RunningEngine {
  /** the port the RTMP listener is on now (it may move with applyConfig) */
  readonly rtmpPort: number;
  readonly httpPort: number;
  readonly context: EngineContext;
  readonly rtmp: RtmpListener;
  readonly http: HttpMediaServer;
  readonly bitrates: BitrateMeter;
  readonly hlsViewers: HlsViewerTracker;
  /** Applies a new configuration to the running engine (see server/config-applier.ts). */
  applyConfig(next: EngineConfig): ApplyReport;
  stop(): void;
}

export type StartEngineOptions = {
  logger?: Logger;
  /** an admission in place of the app list; a function gets the live configuration */
  admission?: Admission | ((config: () => EngineConfig) => Admission);
  events?: EngineEventSink;
  /** called after each applyConfig */
  onConfigApplied?: () => void;
};

export function startEngine(config: EngineConfig, options: StartEngineOptions = {}): RunningEngine {
  const logger = options.logger ?? createLogger();
  setMergeWriteMs(config.viewers.mergeWriteMs);
  let current = config;
  let connectionCounter = 0;
  const streams = new StreamRegistry({
    waitForPublisherMs: config.streams.waitForPublisherMs,
    publisherTakeover: config.streams.publisherTakeover,
    gopLimits: { maxPackets: config.streams.gopMaxPackets, maxBytes: config.streams.gopMaxBytes },
  });
  const getConfig = (): EngineConfig => current;
  const hls = new HlsRegistry((stream) => {
    const variants = hlsVariantsFor(current, stream.app);
    return {
      classic: variants.classic,
      lowLatency: variants.lowLatency,
      targetDurationMs: current.hls.targetDurationMs,
      partTargetMs: current.hls.partTargetMs,
      windowSegments: current.hls.windowSegments,
    };
  }, logger);
  streams.onPublish((stream) => hls.attach(stream));
  const admission =
    typeof options.admission === 'function' ? options.admission(getConfig) : (options.admission ?? new AppListAdmission(getConfig));
  const counters: EngineCounters = { bytesIn: 0, bytesOut: 0 };
  const context: EngineContext = {
    config: getConfig,
    streams,
    outputs: new OutputRegistry(streams),
    hls,
    admission,
    clients: new ClientRegistry(),
    events: options.events ?? NO_EVENTS,
    counters,
    logger,
    nextConnectionId: () => `c${++connectionCounter}`,
  };
  const rtmp = new RtmpListener(context);
  const http = new HttpMediaServer(context);
  rtmp.start(config.rtmp.host, config.rtmp.port);
  try {
    http.start(config.http.host, config.http.port);
  } catch (err) {
    rtmp.stop();
    throw err;
  }
  const bitrates = new BitrateMeter(() => streams.list());
  bitrates.start();
  return {
    get rtmpPort() {
      return rtmp.port;
    },
    get httpPort() {
      return http.port;
    },
    context,
    rtmp,
    http,
    bitrates,
    hlsViewers: http.hlsViewers,
    applyConfig: (next) =>
      applyEngineConfig(
        {
          ctx: context,
          rtmp,
          http,
          setConfig: (c) => {
            current = c;
          },
          ...(options.onConfigApplied ? { onApplied: options.onConfigApplied } : {}),
        },
        next,
      ),
    stop: () => {
      bitrates.stop();
      rtmp.stop();
      http.stop();
      streams.closeAll();
      hls.closeAll();
    },
  };
}
