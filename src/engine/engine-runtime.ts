// Builds a running engine from a configuration: hub, outputs, listeners. Used by the
// executable and by tests, which start it on port 0. The configuration is a live value:
// applyConfig() moves listeners and drops removed apps without a restart.
import { StreamRegistry } from '../hub/stream-registry.ts';
import { ForwardTargetMemo } from '../relay/forward-memo.ts';
import { RelayManager } from '../relay/relay-manager.ts';
import { HlsRegistry } from '../outputs/hls/hls-registry.ts';
import { OutputRegistry } from '../outputs/output-registry.ts';
import { AppListAdmission, type Admission } from '../server/admission.ts';
import { ClientRegistry } from '../server/client-registry.ts';
import { applyEngineConfig, type ApplyReport } from './config-applier.ts';
import type { EngineContext, EngineCounters } from '../server/engine-context.ts';
import { NO_EVENTS, type EngineEventSink } from '../server/engine-events.ts';
import type { HlsViewerTracker } from '../server/http/hls-viewers.ts';
import { HttpMediaServer } from '../server/http/http-server.ts';
import { bindOrExplain } from '../shared/listen-error.ts';
import { RtmpListener } from '../server/rtmp/rtmp-listener.ts';
import { RtspListener } from '../server/rtsp/rtsp-listener.ts';
import { RtpOutputs } from '../outputs/rtp-output.ts';
import { WebRtcListener } from '../server/webrtc/webrtc-listener.ts';
import { OpusTranscoders } from '../server/webrtc/opus-transcoder.ts';
import { WhepHttp } from '../server/webrtc/whep-http.ts';
import { SrtListener } from '../server/srt/srt-listener.ts';
import { SrtAppListeners } from '../server/srt/srt-app-listeners.ts';
import { BitrateMeter } from '../server/stream-stats.ts';
import type { EngineMetrics } from './engine-metrics.ts';
import { DEFAULT_DRAIN_TIMEOUT_MS, drainEngine, type DrainReport } from './graceful-shutdown.ts';
import { hlsVariantsFor, type EngineConfig } from '../shared/engine-config.ts';
import { hlsMemoryCaps } from '../outputs/hls/hls-memory-caps.ts';
import { timestampJumpLogger } from './timestamp-jump-log.ts';
import { RecordingExporter } from '../recorder/recording-export.ts';
import { RecordingManager } from '../recorder/recording-manager.ts';
import { findSnapshotDecoder } from '../recorder/snapshot-decoder.ts';
import { SnapshotManager } from '../recorder/snapshot-manager.ts';
import { createLogger, type Logger } from '../shared/logger.ts';

export interface RunningEngine {
  /** the port the RTMP listener is on now (it may move with applyConfig) */
  readonly rtmpPort: number;
  readonly httpPort: number;
  readonly context: EngineContext;
  readonly rtmp: RtmpListener;
  /** the RTSP server; null when the configuration has no rtsp section */
  readonly rtsp: RtspListener | null;
  /** the port the RTSP listener is on; null without one (a getter that threw would break `{ ...engine }`) */
  readonly rtspPort: number | null;
  readonly http: HttpMediaServer;
  readonly bitrates: BitrateMeter;
  readonly hlsViewers: HlsViewerTracker;
  /** pulls, forwards and edge pulls (src/relay) */
  readonly relays: RelayManager;
  /** recording of live streams to disk, retention, the free-space floor (recorder/recording-manager.ts) */
  readonly recordings: RecordingManager;
  /** JPEG snapshots of the live streams of apps that want them (recorder/snapshot-manager.ts) */
  readonly snapshots: SnapshotManager;
  /** MP4 export jobs over the recordings (recorder/recording-export.ts) */
  readonly exports: RecordingExporter;
  /** the WebRTC (WHEP) UDP listener (config.webrtc set), else null */
  readonly webrtc: WebRtcListener | null;
  /** the UDP port the WebRTC listener is bound to; null without one or before it is bound */
  readonly webrtcPort: number | null;
  /** the SRT listener (config.srt enabled), else null */
  readonly srt: SrtListener | null;
  /** the UDP port the SRT listener is bound to; null without one or before it is bound */
  readonly srtPort: number | null;
  /** the apps' own SRT ports (AppConfig.srtPort), opened and closed on config reload; null when SRT is off */
  readonly srtApps: SrtAppListeners | null;
  /** resolves once every listener is bound; rejects (the engine stopped) when the SRT port cannot be bound */
  readonly ready: Promise<void>;
  /** Applies a new configuration to the running engine (see engine/config-applier.ts). */
  applyConfig(next: EngineConfig): ApplyReport;
  stop(): void;
  /** Graceful shutdown (see engine/graceful-shutdown.ts): ends streams, waits up to timeoutMs, then stops. */
  drain(timeoutMs?: number): Promise<DrainReport>;
}

export type StartEngineOptions = {
  logger?: Logger;
  /** an admission in place of the app list; a function gets the live configuration */
  admission?: Admission | ((config: () => EngineConfig) => Admission);
  events?: EngineEventSink;
  /** called after each applyConfig */
  onConfigApplied?: () => void;
  /** counts and times admission decisions (the engine's Prometheus metrics) */
  metrics?: EngineMetrics;
  /** the ffmpeg snapshots are decoded with; absent: the one on PATH; null: none */
  snapshotDecoder?: string | null;
};

export function startEngine(config: EngineConfig, options: StartEngineOptions = {}): RunningEngine {
  const logger = options.logger ?? createLogger();
  let current = config;
  let connectionCounter = 0;
  const streams = new StreamRegistry({
    waitForPublisherMs: config.streams.waitForPublisherMs,
    ...(config.streams.publisherGraceMs != null ? { publisherGraceMs: config.streams.publisherGraceMs } : {}),
    publisherTakeover: config.streams.publisherTakeover,
    gopLimits: { maxPackets: config.streams.gopMaxPackets, maxBytes: config.streams.gopMaxBytes },
    streamHooks: { onTimestampJump: timestampJumpLogger(logger) },
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
      ...hlsMemoryCaps(current.hls, variants),
    };
  }, logger, { alwaysRemux: () => current.hls.alwaysRemux, muxerCloseAfterMs: () => current.hls.muxerCloseAfterMs });
  streams.onPublish((stream) => hls.attach(stream));
  const recordings = new RecordingManager(getConfig, logger.child({ component: 'recording' }));
  streams.onPublish((stream) => recordings.attach(stream));
  const exports = new RecordingExporter(recordings, logger.child({ component: 'recording-export' }));
  const decider =
    typeof options.admission === 'function' ? options.admission(getConfig) : (options.admission ?? new AppListAdmission(getConfig));
  const forwardMemo = new ForwardTargetMemo();
  const admission = forwardMemo.wrap(options.metrics ? options.metrics.observeAdmission(decider) : decider);
  const snapshots = new SnapshotManager(getConfig, () => streams.list(), logger.child({ component: 'snapshot' }), {
    decoder: options.snapshotDecoder === undefined ? findSnapshotDecoder() : options.snapshotDecoder,
  });
  const counters: EngineCounters = { bytesIn: 0, bytesOut: 0, writers: { droppedMessages: 0, slowDisconnects: 0, degradations: 0 } };
  const context: EngineContext = {
    config: getConfig,
    streams,
    outputs: new OutputRegistry(streams, () => getConfig().writers.mergeWriteMs, counters),
    hls,
    admission,
    clients: new ClientRegistry(),
    events: options.events ?? NO_EVENTS,
    counters,
    logger,
    nextConnectionId: () => `c${++connectionCounter}`,
    snapshots,
  };
  const rtmp = new RtmpListener(context);
  const http = new HttpMediaServer(context, recordings);
  // the listeners name themselves, the address and the port when they cannot bind (TcpAcceptor)
  rtmp.start(config.rtmp.host, config.rtmp.port);
  const rtsp = config.rtsp ? new RtspListener(context) : null;
  try {
    bindOrExplain('HTTP', config.http.host, config.http.port, () => http.start(config.http.host, config.http.port));
    if (rtsp && config.rtsp) rtsp.start(config.rtsp.host, config.rtsp.port);
  } catch (err) {
    rtmp.stop();
    http.stop();
    throw err;
  }
  recordings.start();
  snapshots.start();
  // RTSP and WebRTC viewers share one RTP packetization per stream
  const rtpOutputs = rtsp?.outputs ?? new RtpOutputs((stream) => streams.collect(stream));
  const webrtcSettings = config.webrtc;
  const webrtc = webrtcSettings ? new WebRtcListener(context, rtpOutputs) : null;
  if (webrtc) {
    http.whep = new WhepHttp(context, () => webrtc);
    webrtc.transcoders = new OpusTranscoders(findSnapshotDecoder(), context.logger);
  }
  // The UDP socket binds asynchronously: `ready` says when (or why not).
  const srtSettings = config.srt;
  const srt = srtSettings?.enabled ? new SrtListener(context, () => current.srt ?? srtSettings) : null;
  const srtApps = srt && srtSettings ? new SrtAppListeners(context, () => current.srt ?? srtSettings, () => srtSettings.port) : null;
  const bitrates = new BitrateMeter(() => streams.list());
  bitrates.start();
  const relays = new RelayManager({
    ctx: context,
    memo: forwardMemo,
    viewerCount: (stream) => {
      let n = 0;
      for (const [family, count] of Object.entries(context.outputs.countViewers(stream))) if (family !== 'forward') n += count;
      for (const count of Object.values(http.hlsViewers.count(stream.path))) n += count ?? 0;
      n += rtpOutputs.find(stream)?.viewerCount ?? 0;
      return n;
    },
  });
  relays.apply(config);
  let srtBound = false;
  const srtReady = srt && srtSettings
    ? srt
        .start(srtSettings.host, srtSettings.port)
        .then(() => {
          srtBound = true;
        }, (err: unknown) => {
          engine.stop();
          const reason = (err as Error)?.message ?? String(err);
          throw new Error(`SRT: cannot listen on udp ${srtSettings.host}:${srtSettings.port}: ${reason}`);
        })
        .then(() => {
          // after the main port is bound, so an app port equal to it is refused by rule, not by a bind race
          srtApps?.apply(current.apps);
          return srtApps?.ready();
        })
    : Promise.resolve();
  const webrtcReady = webrtc && webrtcSettings
    ? webrtc.start(webrtcSettings.host, webrtcSettings.port).catch((err: unknown) => {
        engine.stop();
        const reason = (err as Error)?.message ?? String(err);
        throw new Error(`WebRTC: cannot listen on udp ${webrtcSettings.host}:${webrtcSettings.port}: ${reason}`);
      })
    : Promise.resolve();
  const ready = Promise.all([srtReady, webrtcReady]).then(() => {});
  const engine: RunningEngine = {
    get rtmpPort() {
      return rtmp.port;
    },
    get httpPort() {
      return http.port;
    },
    get rtspPort() {
      return rtsp?.running ? rtsp.port : null;
    },
    context,
    rtmp,
    rtsp,
    http,
    bitrates,
    hlsViewers: http.hlsViewers,
    relays,
    recordings,
    snapshots,
    exports,
    srt,
    get srtPort() {
      return srt && srtBound ? srt.port : null;
    },
    webrtc,
    srtApps,
    get webrtcPort() {
      return webrtc?.running ? webrtc.port : null;
    },
    ready,
    applyConfig: (next) => {
      const report = applyEngineConfig(
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
      );
      relays.apply(current);
      recordings.reconcile(streams.list());
      srtApps?.apply(current.apps);
      return report;
    },
    stop: () => {
      recordings.stop();
      snapshots.stop();
      relays.stop();
      bitrates.stop();
      rtmp.stop();
      rtsp?.stop();
      http.stop();
      srt?.stop();
      srtBound = false;
      webrtc?.stop();
      srtApps?.stop();
      streams.closeAll();
      hls.closeAll();
    },
    drain: async (timeoutMs) => {
      relays.stop(); // pulls would otherwise reconnect and republish while the engine drains
      const report = await drainEngine(engine, timeoutMs === undefined ? {} : { timeoutMs });
      // the segments the ended streams closed are on their way to the disk: let them land (bounded)
      await waitAtMost(recordings.idle(), timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
      return report;
    },
  };
  return engine;
}

function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
}
