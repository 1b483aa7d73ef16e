// The engine's whole configuration: built-in defaults now, the config server's snapshot later.
export type AppConfig = Readonly<{
  name: string;
}>;

export type EngineConfig = Readonly<{
  rtmp: Readonly<{
    host: string;
    port: number;
    /** chunk size the engine sends with; every RTMP viewer gets the same chunks */
    outChunkSize: number;
    maxMessageSizeBytes: number;
    handshakeTimeoutMs: number;
    /** a publisher (or a connection that neither publishes nor plays) silent this long is closed */
    idleTimeoutMs: number;
    maxConnections: number;
  }>;
  http: Readonly<{
    host: string;
    port: number;
    /** value of Access-Control-Allow-Origin on media responses */
    corsOrigin: string;
    maxConnections: number;
  }>;
  streams: Readonly<{
    waitForPublisherMs: number;
    publisherTakeover: boolean;
    gopMaxPackets: number;
    gopMaxBytes: number;
  }>;
  viewers: Readonly<{
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
  }>;
  apps: readonly AppConfig[];
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
  },
  http: { host: '0.0.0.0', port: 8080, corsOrigin: '*', maxConnections: 10_000 },
  streams: {
    waitForPublisherMs: 10_000,
    publisherTakeover: true,
    gopMaxPackets: 8192,
    gopMaxBytes: 64 * 1024 * 1024,
  },
  viewers: { softLimitBytes: 4 * 1024 * 1024, hardLimitBytes: 16 * 1024 * 1024 },
  hls: { enabled: true, lowLatencyEnabled: true, targetDurationMs: 2000, partTargetMs: 334, windowSegments: 6 },
  apps: [{ name: 'live' }],
};
