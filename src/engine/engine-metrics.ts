// The engine's Prometheus metrics (GET /metrics on the engine API, text format 0.0.4). Live
// state (streams, viewers, per-stream bytes) is read from the engine at scrape time, so the
// per-stream series are exactly the streams with a publisher now (bounded cardinality); events
// (admission decisions, drops, slow-viewer cut-offs) are counted where they happen.
import { Registry, registerProcessMetrics, type Labels } from '../shared/prometheus.ts';
import type { Admission, AdmissionDecision, AdmissionRequest } from '../server/admission.ts';
import type { EngineContext } from '../server/engine-context.ts';
import type { HlsViewerTracker } from '../server/http/hls-viewers.ts';
import type { RelayStatus } from '../shared/config-protocol.ts';

/** The parts of a running engine the metrics read (a RunningEngine has them). */
export interface MetricsEngineView {
  readonly context: EngineContext;
  readonly hlsViewers: HlsViewerTracker;
  /** pulls, forwards and edge pulls as they are now (the relay manager) */
  readonly relays: Readonly<{ status(): readonly RelayStatus[] }>;
  /** recording (recorder/recording-manager.ts); absent: no recording series */
  readonly recordings?: Readonly<{
    appStates(): ReadonlyArray<{ app: string; paused: boolean }>;
    readonly counters: Readonly<{ segmentsWritten: number; segmentsDropped: number; segmentsDeleted: number; bytesWritten: number }>;
  }>;
}

export const VIEWER_PROTOCOLS = ['rtmp', 'rtsp', 'http-flv', 'ws-flv', 'hls', 'll-hls', 'srt', 'webrtc'] as const;

/** Seconds; admission is a cache hit (microseconds) or a round trip to the control plane. */
const ADMISSION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class EngineMetrics {
  readonly registry = new Registry();
  private engine: () => MetricsEngineView | null = () => null;
  private readonly admissionDecisions;
  private readonly admissionLatency;

  constructor(version: string) {
    const r = this.registry;
    registerProcessMetrics(r, 'weir', version);
    r.gauge('weir_ready', '1 once the engine has its configuration and runs, 0 before').collect((m) => m.set({}, this.engine() ? 1 : 0));
    r.gauge('weir_streams', 'Streams with a publisher now').collect((m) => {
      const ctx = this.engine()?.context;
      m.set({}, ctx ? ctx.streams.list().filter((s) => s.publisher !== null).length : 0);
    });
    r.gauge('weir_viewers', 'Viewers now, by protocol (HLS: playback sessions that polled their media playlist in the last 10 s)', ['protocol']).collect((m) => {
      m.reset();
      const counts = this.viewerCounts();
      for (const protocol of VIEWER_PROTOCOLS) m.set({ protocol }, counts[protocol]);
    });
    r.gauge('weir_clients', 'Connected clients now (RTMP connections of any role, HTTP-FLV and WebSocket-FLV viewers)').collect((m) =>
      m.set({}, this.engine()?.context.clients.size ?? 0),
    );
    r.counter('weir_stream_bytes_in_total', 'Media bytes received from the publisher of each live stream (since it went live)', ['app', 'stream']).collect((m) => {
      m.reset();
      for (const s of this.liveStreams()) m.set({ app: s.app, stream: s.name }, s.counters.bytesIn);
    });
    r.counter('weir_stream_bytes_out_total', 'Bytes sent to the viewers of each live stream (since it went live)', ['app', 'stream']).collect((m) => {
      m.reset();
      for (const s of this.liveStreams()) m.set({ app: s.app, stream: s.name }, s.counters.bytesOut);
    });
    r.counter('weir_connections_refused_total', 'Connections, publishes and requests refused by a connection limit, by the limit', ['limit']).collect((m) => {
      m.reset();
      for (const [limit, count] of Object.entries(this.engine()?.context.counters.refusals ?? {})) m.set({ limit }, count);
    });
    r.counter('weir_bytes_in_total', 'Bytes read from every socket of the engine').collect((m) => m.set({}, this.engine()?.context.counters.bytesIn ?? 0));
    r.counter('weir_bytes_out_total', 'Bytes written to every socket of the engine').collect((m) => m.set({}, this.engine()?.context.counters.bytesOut ?? 0));
    r.counter('weir_dropped_frames_total', 'Media messages dropped for slow viewers (skipping to the next keyframe)').collect((m) =>
      m.set({}, this.engine()?.context.counters.writers?.droppedMessages ?? 0),
    );
    r.counter('weir_slow_viewer_disconnects_total', 'Viewers cut off for staying behind after a drop, or over the hard queue limit, or (WebRTC) for a link that cannot carry audio and keyframes').collect((m) => {
      const counters = this.engine()?.context.counters;
      m.set({}, (counters?.writers?.slowDisconnects ?? 0) + (counters?.webrtc?.slowDisconnects ?? 0));
    });
    r.counter('weir_slow_viewer_degradations_total', 'Times a viewer behind live (RTMP and FLV: its queue; WebRTC: its REMB and loss) was degraded to audio and keyframes (inter frames dropped) instead of cut off', ['protocol']).collect((m) => {
      m.set({ protocol: 'rtmp-flv' }, this.engine()?.context.counters.writers?.degradations ?? 0);
      m.set({ protocol: 'webrtc' }, this.engine()?.context.counters.webrtc?.degradations ?? 0);
    });
    this.admissionDecisions = r.counter('weir_admission_decisions_total', 'Publish and play admission decisions', ['action', 'result']);
    for (const action of ['publish', 'play']) for (const result of ['allow', 'deny']) this.admissionDecisions.inc({ action, result }, 0);
    this.admissionLatency = r.histogram('weir_admission_latency_seconds', 'Time to decide a publish or play (cache hits included)', ['action'], ADMISSION_BUCKETS);
    r.gauge('weir_recording_paused', 'Recording apps: 1 while recording is paused because free disk space is below --record-min-free-mb', ['app']).collect((m) => {
      m.reset();
      for (const s of this.engine()?.recordings?.appStates() ?? []) m.set({ app: s.app }, s.paused ? 1 : 0);
    });
    r.counter('weir_recording_segments_written_total', 'Recording segments written to disk').collect((m) => m.set({}, this.engine()?.recordings?.counters.segmentsWritten ?? 0));
    r.counter('weir_recording_segments_dropped_total', 'Recording segments dropped whole because the disk could not keep up or a write failed').collect((m) =>
      m.set({}, this.engine()?.recordings?.counters.segmentsDropped ?? 0),
    );
    r.counter('weir_recording_segments_deleted_total', 'Recording segments deleted by retention or quota').collect((m) => m.set({}, this.engine()?.recordings?.counters.segmentsDeleted ?? 0));
    r.counter('weir_recording_bytes_written_total', 'Bytes of recording segments written to disk').collect((m) => m.set({}, this.engine()?.recordings?.counters.bytesWritten ?? 0));
    r.gauge('weir_hls_outputs', 'Streams with an HLS output now (muxing, or serving its window after the stream ended)').collect((m) =>
      m.set({}, this.engine()?.context.hls.size ?? 0),
    );
    r.counter('weir_hls_demand_starts_total', 'HLS outputs started because a player asked for a playlist (HLS on demand)').collect((m) =>
      m.set({}, this.engine()?.context.hls.demandStarts ?? 0),
    );
    r.counter('weir_hls_idle_stops_total', 'On-demand HLS outputs stopped because no player asked anything of them for --hls-close-after-ms').collect((m) =>
      m.set({}, this.engine()?.context.hls.idleStops ?? 0),
    );
    // Read from the relay manager at each scrape, so removed relays vanish from the output. The
    // target is the status URL, which already hides the password and the query.
    r.gauge('weir_relay_status', 'Relays (pulls, forwards, edge pulls): 1 live, 0 connecting or retrying', ['kind', 'app', 'stream', 'target']).collect((m) => {
      m.reset();
      for (const s of this.engine()?.relays.status() ?? []) m.set({ kind: s.kind, app: s.app, stream: s.stream, target: s.url }, s.state === 'live' ? 1 : 0);
    });
  }

  /** Where the live state is read from at scrape time. */
  setEngine(engine: () => MetricsEngineView | null): void {
    this.engine = engine;
  }

  /** Wraps an admission so every decision is counted and timed. */
  observeAdmission(inner: Admission): Admission {
    return {
      decide: async (request: AdmissionRequest): Promise<AdmissionDecision> => {
        const started = performance.now();
        try {
          const decision = await inner.decide(request);
          this.recordAdmission(request.action, decision.allow ? 'allow' : 'deny', started);
          return decision;
        } catch (err) {
          this.recordAdmission(request.action, 'error', started);
          throw err;
        }
      },
    };
  }

  render(): string {
    return this.registry.render();
  }

  private recordAdmission(action: string, result: string, startedMs: number): void {
    const labels: Labels = { action };
    this.admissionDecisions.inc({ action, result });
    this.admissionLatency.observe(labels, (performance.now() - startedMs) / 1000);
  }

  private liveStreams() {
    return this.engine()?.context.streams.list().filter((s) => s.publisher !== null) ?? [];
  }

  private viewerCounts(): Record<(typeof VIEWER_PROTOCOLS)[number], number> {
    const counts = { rtmp: 0, rtsp: 0, 'http-flv': 0, 'ws-flv': 0, hls: 0, 'll-hls': 0, srt: 0, webrtc: 0 };
    const engine = this.engine();
    if (!engine) return counts;
    for (const client of engine.context.clients.entries()) {
      if (client.role() === 'viewer') counts[client.protocol]++;
    }
    for (const stream of engine.context.streams.list()) {
      const hls = engine.hlsViewers.count(stream.path);
      counts.hls += hls.hls ?? 0;
      counts['ll-hls'] += hls['ll-hls'] ?? 0;
    }
    return counts;
  }
}
