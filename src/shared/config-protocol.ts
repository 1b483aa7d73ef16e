// The contract between the engine and the control plane, both directions, over localhost HTTP.
// Every request carries `Authorization: Bearer <engine secret>`; the secret is created by the
// control plane at first start (data dir file `engine-secret`) or given as WEIR_ENGINE_SECRET.
//
// Config server (control plane, default 127.0.0.1:8089), asked by the engine:
//   GET  /v1/config                -> ConfigSnapshot         (at start, and after a reload notice)
//   POST /v1/admission             AdmissionQuery -> AdmissionAnswer   (every publish and play)
//   POST /v1/events                EngineEvent[] -> 204      (publish/unpublish/play/stop, best effort)
// Engine API (engine, default 127.0.0.1:8087), asked by the control plane:
//   GET    /v1/status              -> EngineStatus
//   GET    /v1/streams             -> LiveStreamState[]
//   GET    /v1/clients             -> ClientState[]
//   DELETE /v1/clients/{id}        -> 204 | 404              (kick a publisher or viewer)
//   POST   /v1/reload              -> 202                    (configuration changed: fetch it again)
//   GET    /v1/relays              -> RelayStatus[]          (pulls, forwards, edge pulls)
//   GET    /v1/recordings/{app}    -> { app, streams: [{ stream, ranges, segments }] }  (recording index; 404: no settings)

export const ENGINE_SECRET_FILE = 'engine-secret';
export const CONFIG_PROTOCOL_VERSION = 1;

/** The one list of each policy: the engine checks snapshots against it, the control plane validates and offers it. */
export const PUBLISH_POLICIES = ['open', 'stream-key', 'signed-url', 'hook'] as const;
export type PublishPolicy = (typeof PUBLISH_POLICIES)[number];
export const PLAY_POLICIES = ['open', 'signed-url', 'hook'] as const;
export type PlayPolicy = (typeof PLAY_POLICIES)[number];
/** 'push': publishers bring the streams; 'pull': the engine fetches them from the app's pull sources */
export const SOURCE_TYPES = ['push', 'pull'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/**
 * What the engine does with a publish or play it cannot ask the config server about (connection
 * refused, timeout, 5xx): 'admitted' reuses an allow the server gave for the same request within
 * the engine's stale bound and refuses anything new; 'closed' refuses everything that needs a
 * check; 'open' admits everyone. Requests the app's policy admits without a check ('open') are
 * admitted in every case.
 */
export const OUTAGE_POLICIES = ['admitted', 'closed', 'open'] as const;
export type OutagePolicy = (typeof OUTAGE_POLICIES)[number];
export const DEFAULT_OUTAGE_POLICY: OutagePolicy = 'admitted';

/**
 * The longest query string (keys, tokens, expiry) a publish or play may carry. The engine refuses
 * longer ones, and ones with control characters, itself; the config server answers 400 to them.
 * 4096 characters keep the JSON of any admission query under the server's body limit.
 */
export const ADMISSION_QUERY_MAX_CHARS = 4096;

/** Recording container: self-contained fragmented MP4 (init + one fragment per file) or MPEG-TS. */
export type RecordingFormat = 'fmp4' | 'ts';
export const RECORDING_FORMATS: readonly RecordingFormat[] = ['fmp4', 'ts'];

/** Per-app recording (issue 13): files go to `{path}/{app}/{stream}/`. */
export type RecordingSettings = Readonly<{
  enabled: boolean;
  format: RecordingFormat;
  /** files are cut at the first keyframe at or after this many seconds */
  segmentDurationSec: number;
  /** absolute directory on the engine's host */
  path: string;
  /** files older than this many days are deleted; 0: kept for ever */
  retentionDays: number;
  /** the app's files together stay under this many MiB, oldest deleted first; 0: no quota */
  quotaMb: number;
}>;

/**
 * Per-app snapshots (issue 13): every intervalSec the engine decodes the latest keyframe of each live
 * stream of the app to a JPEG (with ffmpeg) and keeps the newest `keep` of them in memory.
 */
export type SnapshotSettings = Readonly<{
  enabled: boolean;
  intervalSec: number;
  /** 1: the latest only; N: the latest N */
  keep: number;
}>;

export const SNAPSHOT_LIMITS = { intervalSec: { min: 1, max: 3600 }, keep: { min: 1, max: 100 } } as const;

export type AppSettings = Readonly<{
  name: string;
  /** 'live' is an ordinary app; 'pull' apps get their streams from pull sources (relay issue) */
  sourceType: SourceType;
  hls: boolean;
  llHls: boolean;
  publishPolicy: PublishPolicy;
  /** whether playing also needs a signed URL or a hook decision ('open' = anyone may play) */
  playPolicy: PlayPolicy;
  /** SRS-compatible on_publish/on_play callback URL, used by the 'hook' policies */
  hookUrl: string | null;
  /**
   * edge mode for this app: a viewer of a stream that is not live here makes the engine pull it
   * from this URL template ({app}, {stream}; rtmp://, rtmps://, http(s)://); absent or null: the
   * engine-wide --edge-origin, if any
   */
  originUrl?: string | null;
  /**
   * a UDP port on which the engine also listens for SRT callers of this app only: their stream id may
   * be just `{stream}` (the app is implied) or the full form naming this app; absent or null: none
   */
  srtPort?: number | null;
  /** what the engine may decide alone while the config server cannot answer (absent: 'admitted') */
  outagePolicy?: OutagePolicy;
  /** recording of this app's live streams; absent: off */
  recording?: RecordingSettings;
  /** JPEG snapshots of this app's live streams; absent: off */
  snapshot?: SnapshotSettings;
}>;

export type PullSource = Readonly<{ id: string; app: string; stream: string; url: string; enabled: boolean }>;
export type ForwardTarget = Readonly<{ id: string; app: string; stream: string | null; url: string; enabled: boolean }>;

export type ListenSettings = Readonly<{ rtmpHost: string; rtmpPort: number; httpHost: string; httpPort: number }>;

export type ConfigSnapshot = Readonly<{
  protocolVersion: number;
  /** increases with every change; the engine applies a snapshot only if it is newer */
  revision: number;
  listen: ListenSettings;
  hls: Readonly<{
    targetDurationMs: number;
    partTargetMs: number;
    windowSegments: number;
    /** mux every live stream from its start; false: once a player asks for a playlist */
    alwaysRemux: boolean;
    /** an on-demand HLS output no player asked anything of for this long is stopped */
    muxerCloseAfterMs: number;
  }>;
  apps: readonly AppSettings[];
  pulls: readonly PullSource[];
  forwards: readonly ForwardTarget[];
}>;

export type AdmissionQuery = Readonly<{
  action: 'publish' | 'play';
  protocol: 'rtmp' | 'rtsp' | 'http-flv' | 'ws-flv' | 'hls' | 'll-hls' | 'srt' | 'webrtc';
  app: string;
  stream: string;
  /** the raw query string, without '?': keys, tokens, expiry */
  query: string;
  clientAddress: string;
  clientId: string;
}>;

export const ADMISSION_CREDENTIALS = ['stream-key', 'signed-url'] as const;
export type AdmissionCredentials = (typeof ADMISSION_CREDENTIALS)[number];

export type AdmissionAnswer = Readonly<{
  allow: boolean;
  /** why it was refused; shown to the client (onStatus description, HTTP body) */
  reason?: string;
  /**
   * refused for want of a valid stream key or signature, which the client could bring: RTSP then answers 401 with
   * a challenge (clients send user:password only when asked) instead of 403; Digest is offered for signatures only
   */
  credentials?: AdmissionCredentials;
  /** for an allowed publish: where to forward it (relay issue) */
  forwardTargets?: readonly string[];
  /** how long the engine may reuse this answer for the same app/stream/query/action */
  cacheTtlMs: number;
  /**
   * the longest this answer may be reused at all, even while the config server is unreachable
   * (a signed URL's remaining lifetime); absent: the engine's own stale bound
   */
  maxAgeMs?: number;
}>;

export type EngineEvent = Readonly<
  | { type: 'publish-start'; app: string; stream: string; clientId: string; clientAddress: string; atMs: number }
  | { type: 'publish-stop'; app: string; stream: string; clientId: string; atMs: number }
  | { type: 'play-start'; app: string; stream: string; clientId: string; protocol: string; clientAddress: string; atMs: number }
  | { type: 'play-stop'; app: string; stream: string; clientId: string; atMs: number }
>;

export type TrackState = Readonly<{ kind: 'video' | 'audio'; codec: string; width?: number; height?: number; sampleRateHz?: number; channels?: number; fps?: number }>;

export type LiveStreamState = Readonly<{
  app: string;
  stream: string;
  publisherId: string | null;
  publisherAddress: string | null;
  startedAtMs: number;
  tracks: readonly TrackState[];
  bitrateInBps: number;
  bitrateOutBps: number;
  viewers: Readonly<Record<string, number>>;
}>;

export const CLIENT_ROLES = ['publisher', 'viewer', 'idle'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

export type ClientState = Readonly<{
  id: string;
  role: ClientRole;
  protocol: string;
  address: string;
  app: string | null;
  stream: string | null;
  connectedAtMs: number;
  bytesIn: number;
  bytesOut: number;
  /** the transport's own link figures, for protocols that have them (SRT); absent otherwise */
  link?: LinkStats;
}>;

/** A connection's link as its transport measures it (SRT: the ACK/NAK machinery's counters). */
export type LinkStats = Readonly<{
  rttMs: number;
  /** packets the receiving side found missing (before retransmission) */
  packetsLost: number;
  /** packets given up as too late, on either side */
  packetsDropped: number;
  packetsRetransmitted: number;
  /** payload bits per second over the last ACK periods (receiving) */
  receiveRateBps: number;
  /** bits per second put on the wire toward the peer, over the time since the previous reading (at most a few seconds) */
  sendRateBps: number;
}>;

/** A setting of the served configuration the engine could not put into effect. */
export type ConfigApplyError = Readonly<{
  /** which setting, as the REST settings name it: 'listen.rtmp' or 'listen.http' */
  setting: string;
  /** the value it could not apply, e.g. '0.0.0.0:8080' */
  value: string;
  reason: string;
}>;

export type EngineStatus = Readonly<{
  version: string;
  startedAtMs: number;
  configRevision: number;
  /** settings of that revision the engine could not apply (it keeps the previous value); empty or absent when all applied */
  configErrors?: readonly ConfigApplyError[];
  /** true once the engine has a configuration (from the config server or its last known one) */
  ready: boolean;
  streams: number;
  clients: number;
  bytesIn: number;
  bytesOut: number;
  /** recording state (absent from engines without recording) */
  recording?: RecordingStatus;
  /**
   * the ffmpeg the engine decodes snapshots with (its path); null: none found on the engine's PATH,
   * so apps with snapshots on get none. Absent from engines without snapshots.
   */
  snapshotDecoder?: string | null;
  /** the SRT, RTSP and WebRTC listeners, so the control plane can show their URLs (absent from older engines) */
  listeners?: EngineListeners;
}>;

/**
 * One listener the engine's flags configure (the config server does not set these ports).
 * port: where it listens now; null when it is off or not bound (yet).
 */
export type ListenerStatus = Readonly<{ enabled: boolean; port: number | null }>;

export type EngineListeners = Readonly<{
  /** UDP; encrypted: callers must bring the engine's passphrase (--srt-passphrase; never sent here) */
  srt: ListenerStatus & Readonly<{ encrypted: boolean }>;
  /** TCP */
  rtsp: ListenerStatus;
  /** UDP, the one port of every WHEP/WHIP session (--webrtc-port; absent from engines before WebRTC) */
  webrtc?: ListenerStatus;
}>;

/** One storage path the engine records to, as its last free-space check saw it. */
export type RecordingPathStatus = Readonly<{ path: string; freeBytes: number; paused: boolean; apps: readonly string[] }>;

export type RecordingStatus = Readonly<{
  /** the free-space floor (--record-min-free-mb): below it recording pauses on that path */
  minFreeBytes: number;
  paths: readonly RecordingPathStatus[];
  /** streams being recorded now */
  recorders: number;
  segmentsWritten: number;
  /** whole segments dropped because the disk could not keep up */
  segmentsDropped: number;
  segmentsDeleted: number;
}>;

export type RecordingExportState = 'queued' | 'running' | 'done' | 'failed';

/** An MP4 export job as the engine API shows it (GET /v1/recordings/exports[/{id}]); the engine updates it as it runs. */
export type RecordingExportJob = {
  id: string;
  app: string;
  stream: string;
  startMs: number;
  endMs: number;
  /** the name the download is offered under */
  fileName: string;
  state: RecordingExportState;
  /** 0..1 */
  progress: number;
  createdAtMs: number;
  finishedAtMs: number | null;
  /** set when done: the MP4's size, its first sample's wall clock and its duration */
  sizeBytes: number | null;
  firstMs: number | null;
  durationMs: number | null;
  error: string | null;
};

/** One relay as the engine runs it (GET /v1/relays): a pull source, a forward, or an edge pull. */
export type RelayStatus = Readonly<{
  /** the pull source or forward target id from the configuration; generated for admission-hook forwards ('admission-N') and edge pulls ('edge-{app}/{stream}') */
  id: string;
  kind: 'pull' | 'forward' | 'edge';
  app: string;
  stream: string;
  /** the URL with its query and password hidden */
  url: string;
  state: 'connecting' | 'live' | 'retrying' | 'stopped';
  lastError: string | null;
  /** when the current connection went live (0 when not live) */
  liveSinceMs: number;
  /** when the next attempt is due while retrying (0 otherwise) */
  nextRetryAtMs: number;
  retries: number;
  bytesIn: number;
  bytesOut: number;
  /** forward: media messages dropped because the target was too slow */
  droppedMessages: number;
  /** srt:// relays while connected: the connection's link figures, as for an SRT client */
  link?: LinkStats;
}>;
