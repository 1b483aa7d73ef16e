// Builds a running engine from a configuration: hub, outputs, listeners. Used by the
// executable and by tests, which start it on port 0.
import { StreamRegistry } from './hub/stream-registry.ts';
import { HlsRegistry } from './outputs/hls/hls-registry.ts';
import { OutputRegistry } from './outputs/output-registry.ts';
import { AppListAdmission, type Admission } from './server/admission.ts';
import type { EngineContext } from './server/engine-context.ts';
import { HttpMediaServer } from './server/http-server.ts';
import { RtmpListener } from './server/rtmp-listener.ts';
import type { EngineConfig } from './shared/engine-config.ts';
import { createLogger, type Logger } from './shared/logger.ts';

export interface RunningEngine {
  readonly rtmpPort: number;
  readonly httpPort: number;
  readonly context: EngineContext;
  readonly rtmp: RtmpListener;
  stop(): void;
}

export function startEngine(config: EngineConfig, options: { logger?: Logger; admission?: Admission } = {}): RunningEngine {
  const logger = options.logger ?? createLogger();
  let connectionCounter = 0;
  const streams = new StreamRegistry({
    waitForPublisherMs: config.streams.waitForPublisherMs,
    publisherTakeover: config.streams.publisherTakeover,
    gopLimits: { maxPackets: config.streams.gopMaxPackets, maxBytes: config.streams.gopMaxBytes },
  });
  const getConfig = (): EngineConfig => config;
  const hls = new HlsRegistry(
    () => ({
      classic: config.hls.enabled,
      lowLatency: config.hls.lowLatencyEnabled,
      targetDurationMs: config.hls.targetDurationMs,
      partTargetMs: config.hls.partTargetMs,
      windowSegments: config.hls.windowSegments,
    }),
    logger,
  );
  streams.onPublish((stream) => hls.attach(stream));
  const context: EngineContext = {
    config: getConfig,
    streams,
    outputs: new OutputRegistry(streams),
    hls,
    admission: options.admission ?? new AppListAdmission(getConfig),
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
  return {
    rtmpPort: rtmp.port,
    httpPort: http.port,
    context,
    rtmp,
    stop: () => {
      rtmp.stop();
      http.stop();
      streams.closeAll();
      hls.closeAll();
    },
  };
}
