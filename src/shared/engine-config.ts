// The engine's whole configuration: built-in defaults and flags, over which the config
// server's snapshot (listen addresses, HLS durations, apps) is laid when there is one.
import type { AppSettings, ConfigSnapshot, ForwardTarget, PullSource, RecordingSettings, SnapshotSettings } from './config-protocol.ts';

export type AppConfig = Readonly<{
  name: string;
  /** classic HLS for this app's new streams (absent: on); ANDed with hls.enabled */
  hls?: boolean;
  /** LL-HLS for this app's new streams (absent: on); ANDed with hls.lowLatencyEnabled */
  llHls?: boolean;
  /** what the engine may decide alone when the config server cannot be asked (absent: open) */
  publishPolicy?: AppSettings['publishPolicy'];
  playPolicy?: AppSettings['playPolicy'];
  /** what the engine decides alone while the config server cannot answer (absent: 'admitted') */
  outagePolicy?: AppSettings['outagePolicy'];
  /** edge mode for this app: origin URL template ({app}, {stream}); absent or null: relay.edgeOriginTemplate */
  originUrl?: string | null;
  /** a UDP port with an SRT listener for this app alone (stream id `{stream}` or `{app}/{stream}`); absent or null: none */
  srtPort?: number | null;
  /** recording of this app's new streams; absent: off */
  recording?: RecordingSettings;
  /** JPEG snapshots of this app's live streams; absent: off */
  snapshot?: SnapshotSettings;
}>;

/** Engine-wide recording knobs (flags). */
export type RecordingEngineSettings = Readonly<{
  /** below this much free space on a storage path, recording there pauses */
  minFreeBytes: number;
  /** how often free space, retention and quotas are checked */
  checkIntervalMs: number;
  /** completed segments one recorder may have waiting for the disk; more are dropped whole */
  maxQueuedSegments: number;
}>;

export const DEFAULT_RECORDING_SETTINGS: RecordingEngineSettings = { minFreeBytes: 1024 * 1024 * 1024, checkIntervalMs: 10_000, maxQueuedSegments: 4 };

export type EngineConfig = Readonly<{
  rtmp: Readonly<{
    host: string;
    port: number;
    /** chunk size the engine sends with; every RTMP viewer gets the same chunks */
    outChunkSize: number;
    maxMessageSizeBytes: number;
    /**
     * a connection must have asked to publish or play this long after it was accepted (handshake,
     * connect, createStream and publish/play), or it is closed; bytes trickling in do not extend it
     */
    handshakeTimeoutMs: number;
    /** a publisher (or a connection that neither publishes nor plays) silent this long is closed */
    idleTimeoutMs: number;
    maxConnections: number;
    /** connections one client address (an IPv6 /64) may hold; 0: no per-address cap */
    maxConnectionsPerAddress: number;
    /** streams one client address may publish (or be admitted to publish) at once; 0: no cap */
    maxPublishesPerAddress: number;
  }>;
  http: Readonly<{
    host: string;
    port: number;
    /** value of Access-Control-Allow-Origin on media responses */
    corsOrigin: string;
    /** HTTP-FLV and WebSocket-FLV viewers, and FLV requests waiting for admission or a publisher */
    maxConnections: number;
    /**
     * what one client address (an IPv6 /64) may hold of those; separately, as many HLS requests
     * in progress; 0: no per-address cap
     */
    maxConnectionsPerAddress: number;
  }>;
  streams: Readonly<{
    waitForPublisherMs: number;
    /** how long viewers stay after the publisher left (HLS then ends with EXT-X-ENDLIST); null: waitForPublisherMs */
    publisherGraceMs?: number | null;
    publisherTakeover: boolean;
    gopMaxPackets: number;
    gopMaxBytes: number;
  }>;
  /** how every connection's writer batches and bounds what it sends: viewers, the acks and
   * control messages of publishers, and forwards alike (hence not "viewers") */
  writers: Readonly<{
    /** media may wait this long to share one write with what follows (0: end of the tick) */
    mergeWriteMs: number;
    softLimitBytes: number;
    hardLimitBytes: number;
  }>;
  hls: Readonly<{
    /** classic HLS (MPEG-TS) at /{app}/{stream}/index.m3u8 */
    enabled: boolean;
    /** LL-HLS (fMP4 parts) at /{app}/{stream}/ll.m3u8 */
    lowLatencyEnabled: boolean;
    /** segments are cut on the first keyframe at or after this duration */
    targetDurationMs: number;
    partTargetMs: number;
    windowSegments: number;
    /** all a stream's HLS variants may hold (segments, parts, the open segment); see outputs/hls/hls-memory-caps.ts */
    maxBufferBytes: number;
    /**
     * mux every live stream from its first packet; false: only once a player asks for a playlist
     * (starting from the stream's current GOP), as MediaMTX's hlsAlwaysRemux
     */
    alwaysRemux: boolean;
    /** an on-demand HLS output no player asked anything of for this long is stopped */
    muxerCloseAfterMs: number;
  }>;
  apps: readonly AppConfig[];
  /** pull sources from the config server (relay: src/relay); absent: none */
  pulls?: readonly PullSource[];
  /** forward targets from the config server; applied to pulled streams (pushed ones get theirs from admission) */
  forwards?: readonly ForwardTarget[];
  /** relay knobs (flags); absent: defaults of src/relay/relay-manager.ts */
  relay?: RelaySettings;
  /** recording knobs; absent: DEFAULT_RECORDING_SETTINGS */
  recording?: RecordingEngineSettings;
  /** the SRT listener (engine flags only; the config server does not set it); absent: off (weir-engine's flags turn it on at :10080) */
  srt?: SrtSettings;
  /** the RTSP server (src/server/rtsp-*.ts); absent: no RTSP listener (the CLI always sets it) */
  rtsp?: RtspSettings;
  /** the WebRTC UDP port for WHEP (src/server/webrtc-*.ts); absent: no WebRTC (the CLI sets it unless --webrtc-port 0) */
  webrtc?: WebRtcSettings;
  /** VOD from a media folder at /vod/ on the HTTP port (engine flag --vod-dir only); absent: no VOD */
  vod?: VodSettings;
}>;

export type VodSettings = Readonly<{
  /** the media folder; files are served from its subfolders named after apps */
  dir: string;
}>;

export type WebRtcSettings = Readonly<{
  host: string;
  /** the one UDP port every WebRTC session shares (ICE, DTLS, SRTP: demultiplexed by ufrag and 5-tuple) */
  port: number;
  /** addresses announced as extra host candidates (the public address of a host behind 1:1 NAT) */
  publicIps: readonly string[];
  maxSessions: number;
  /** sessions one client address (an IPv6 /64) may hold; 0: no per-address cap */
  maxSessionsPerAddress: number;
  /** a session not heard from this long (no ICE check, DTLS or RTCP) is closed: RFC 7675 consent expiry is 30 s */
  iceTimeoutMs: number;
}>;

export const DEFAULT_WEBRTC_SETTINGS: WebRtcSettings = {
  host: '0.0.0.0',
  port: 8189,
  publicIps: [],
  maxSessions: 1000,
  maxSessionsPerAddress: 20,
  iceTimeoutMs: 30_000,
};

export type SrtSettings = Readonly<{
  /** false: no SRT listener */
  enabled: boolean;
  host: string;
  port: number;
  /** callers must offer this passphrase (AES, 10 to 79 characters); null: unencrypted only */
  passphrase: string | null;
  /** receive latency we ask for (TSBPD); the larger of ours and the peer's applies */
  latencyMs: number;
  /** SRT connections in all, and per client address (IPv4 or IPv6 /64; 0: no per-address cap) */
  maxConnections: number;
  maxConnectionsPerAddress: number;
}>;

export const DEFAULT_SRT_SETTINGS: SrtSettings = {
  enabled: true,
  host: '0.0.0.0',
  port: 10080,
  passphrase: null,
  latencyMs: 120,
  maxConnections: 1000,
  maxConnectionsPerAddress: 50,
};

export type RtspSettings = Readonly<{
  host: string;
  port: number;
  /** UDP ports handed out as RTP/RTCP server_port pairs (RTP even, RTCP the odd one after it) */
  rtpPortMin: number;
  rtpPortMax: number;
  maxConnections: number;
  /** connections one client address (an IPv6 /64) may hold; 0: no per-address cap */
  maxConnectionsPerAddress: number;
  /** streams one client address may publish at once over RTSP; 0: no cap */
  maxPublishesPerAddress: number;
  /** a connection must have started to play or record this long after it was accepted, or it is closed */
  setupTimeoutMs: number;
  /** a session not heard from this long (requests, RTCP, RTP of a publisher) ends; sent as Session timeout= */
  sessionTimeoutMs: number;
}>;

export const DEFAULT_RTSP_SETTINGS: RtspSettings = {
  host: '0.0.0.0',
  port: 8554,
  rtpPortMin: 30000,
  rtpPortMax: 30999,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 100,
  maxPublishesPerAddress: 20,
  setupTimeoutMs: 10_000,
  sessionTimeoutMs: 60_000,
};

export type RelaySettings = Readonly<{
  /** edge mode: pull a stream nobody publishes here from this URL template ({app}, {stream}); null: off (an app's own originUrl wins) */
  edgeOriginTemplate: string | null;
  /** an edge pull stops after its last viewer has been gone this long */
  edgeIdleMs: number;
  /** skip TLS certificate verification for rtmps:// and https:// relays (self-signed peers, tests) */
  insecureTls: boolean;
  backoffInitialMs: number;
  backoffMaxMs: number;
}>;

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  rtmp: {
    host: '0.0.0.0',
    port: 1935,
    outChunkSize: 4096,
    maxMessageSizeBytes: 8 * 1024 * 1024,
    handshakeTimeoutMs: 10_000,
    idleTimeoutMs: 30_000,
    maxConnections: 10_000,
    maxConnectionsPerAddress: 100,
    maxPublishesPerAddress: 20,
  },
  http: { host: '0.0.0.0', port: 8080, corsOrigin: '*', maxConnections: 10_000, maxConnectionsPerAddress: 100 },
  streams: {
    waitForPublisherMs: 10_000,
    publisherTakeover: true,
    gopMaxPackets: 8192,
    gopMaxBytes: 64 * 1024 * 1024,
  },
  writers: { mergeWriteMs: 90, softLimitBytes: 4 * 1024 * 1024, hardLimitBytes: 16 * 1024 * 1024 },
  hls: {
    enabled: true,
    lowLatencyEnabled: true,
    targetDurationMs: 2000,
    partTargetMs: 150,
    windowSegments: 6,
    maxBufferBytes: 96 * 1024 * 1024,
    alwaysRemux: false,
    muxerCloseAfterMs: 60_000,
  },
  apps: [{ name: 'live' }],
};

/**
 * The configuration a snapshot describes: listen addresses, HLS durations and apps come from
 * the snapshot; everything the contract does not carry (limits, timeouts, the engine-wide
 * HLS switches) stays as `base` has it.
 */
/** Listen settings the engine was started with explicitly (flags, environment). */
export type ListenOverrides = Partial<ConfigSnapshot['listen']>;

export function engineConfigFromSnapshot(base: EngineConfig, snapshot: ConfigSnapshot, overrides: ListenOverrides = {}): EngineConfig {
  const listen = { ...snapshot.listen, ...overrides };
  return {
    ...base,
    rtmp: { ...base.rtmp, host: listen.rtmpHost, port: listen.rtmpPort },
    http: { ...base.http, host: listen.httpHost, port: listen.httpPort },
    hls: {
      ...base.hls,
      targetDurationMs: snapshot.hls.targetDurationMs,
      partTargetMs: snapshot.hls.partTargetMs,
      windowSegments: snapshot.hls.windowSegments,
      alwaysRemux: snapshot.hls.alwaysRemux,
      muxerCloseAfterMs: snapshot.hls.muxerCloseAfterMs,
    },
    apps: snapshot.apps.map((app) => ({
      name: app.name,
      hls: app.hls,
      llHls: app.llHls,
      publishPolicy: app.publishPolicy,
      playPolicy: app.playPolicy,
      ...(app.outagePolicy === undefined ? {} : { outagePolicy: app.outagePolicy }),
      originUrl: app.originUrl ?? null,
      ...(app.srtPort == null ? {} : { srtPort: app.srtPort }),
      ...(app.recording === undefined ? {} : { recording: app.recording }),
      ...(app.snapshot === undefined ? {} : { snapshot: app.snapshot }),
    })),
    pulls: snapshot.pulls ?? [],
    forwards: snapshot.forwards ?? [],
  };
}

/** Whether new streams of `app` get classic HLS and LL-HLS under `config`. */
export function hlsVariantsFor(config: EngineConfig, app: string): { classic: boolean; lowLatency: boolean } {
  const settings = config.apps.find((a) => a.name === app);
  return {
    classic: config.hls.enabled && (settings?.hls ?? true),
    lowLatency: config.hls.lowLatencyEnabled && (settings?.llHls ?? true),
  };
}
