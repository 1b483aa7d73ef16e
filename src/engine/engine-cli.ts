// Command-line flags and environment variables of weir-engine, over the built-in defaults.
import { isIP } from 'node:net';
import { DEFAULT_RELAY_SETTINGS } from '../relay/relay-manager.ts';
import { relaySchemeOf } from '../relay/relay-url.ts';
import { resolve as resolvePath } from 'node:path';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RECORDING_SETTINGS, DEFAULT_RTSP_SETTINGS, DEFAULT_SRT_SETTINGS, DEFAULT_WEBRTC_SETTINGS, type EngineConfig, type ListenOverrides } from '../shared/engine-config.ts';
import { checkPassphrase } from '../srt/index.ts';
import type { LogLevel } from '../shared/logger.ts';
import { DEFAULT_COLLECTOR_POLICY } from './buffer-collector.ts';

export type EngineCliOptions = {
  config: EngineConfig;
  /** listen addresses given as flags: they win over the config server's settings */
  listenOverrides: ListenOverrides;
  /** the config server; null: run on the flags alone */
  configUrl: string | null;
  engineSecretFile: string | null;
  dataDir: string | null;
  apiHost: string;
  apiPort: number;
  logLevel: LogLevel;
  logJson: boolean;
  /** how often the engine checks whether dead stream buffers are worth a collection (0: never) */
  gcEveryMs: number;
  help: boolean;
  version: boolean;
};

export const ENGINE_HELP = `weir-engine: the Weir streaming engine (RTMP, SRT and RTSP in; RTMP, SRT, RTSP, HTTP-FLV, WebSocket-FLV, HLS and LL-HLS out)

Usage: weir-engine [options]

Options (environment variable in brackets):
  --rtmp-host ADDR     RTMP listen address            [WEIR_RTMP_HOST]  default 0.0.0.0
  --rtmp-port PORT     RTMP listen port (0 = any)     [WEIR_RTMP_PORT]  default 1935
  --http-host ADDR     HTTP-FLV/WS-FLV listen address [WEIR_HTTP_HOST]  default 0.0.0.0
  --http-port PORT     HTTP listen port (0 = any)     [WEIR_HTTP_PORT]  default 8080
  --rtsp-host ADDR     RTSP listen address            [WEIR_RTSP_HOST]  default 0.0.0.0
  --rtsp-port PORT     RTSP listen port (0 = any)     [WEIR_RTSP_PORT]  default 8554
  --rtsp-rtp-port-min PORT, --rtsp-rtp-port-max PORT  UDP ports handed out as RTP/RTCP server_port
                       pairs to RTSP clients that play or publish over UDP
                       [WEIR_RTSP_RTP_PORT_MIN, WEIR_RTSP_RTP_PORT_MAX] default 30000-30999
  --rtsp-session-timeout-ms MS  an RTSP session not heard from this long ends (UDP viewers: requests
                       or RTCP; publishers: their RTP) [WEIR_RTSP_SESSION_TIMEOUT_MS] default 60000
  --no-rtsp            no RTSP server                 [WEIR_RTSP=0]
  --webrtc-host ADDR   WebRTC (WHEP) UDP address      [WEIR_WEBRTC_HOST] default 0.0.0.0
  --webrtc-port PORT   the one UDP port of every WebRTC session (0 = no WebRTC) [WEIR_WEBRTC_PORT] default 8189
  --webrtc-public-ip ADDR  also announce ADDR as a candidate (host behind 1:1 NAT; repeatable)
                       [WEIR_WEBRTC_PUBLIC_IP, comma-separated] default none
  --webrtc-max-sessions N  WebRTC sessions in all [WEIR_WEBRTC_MAX_SESSIONS] default 1000
  --webrtc-max-per-address N  WebRTC sessions per client address (0 = no cap) [WEIR_WEBRTC_MAX_PER_ADDRESS] default 20
  --webrtc-ice-timeout-ms MS  a WebRTC session not heard from this long (no ICE check, DTLS or RTCP)
                       is closed [WEIR_WEBRTC_ICE_TIMEOUT_MS] default 30000
  --app NAME           an app open to publishers (repeatable) [WEIR_APPS, comma-separated] default live
  --wait-ms MS         how long a viewer waits for a publisher [WEIR_WAIT_MS] default 10000
  --publisher-grace-ms MS  how long viewers stay for a publisher that left before the stream ends
                       (HLS adds EXT-X-ENDLIST then) [WEIR_PUBLISHER_GRACE_MS] default: --wait-ms
  --merge-write-ms MS  media waits up to MS to share a write (fewer syscalls per viewer) [WEIR_MERGE_WRITE_MS] default 90
  --hls-target-ms MS   HLS segment target duration    [WEIR_HLS_TARGET_MS] default 2000
  --hls-part-ms MS     LL-HLS part target duration    [WEIR_HLS_PART_MS]   default 150
  --hls-window N       segments in the HLS playlist   [WEIR_HLS_WINDOW]    default 6 (LL-HLS keeps 2x)
  --hls-buffer-mb N    all a stream's HLS variants may hold [WEIR_HLS_BUFFER_MB] default 96
  --no-hls             no classic HLS (index.m3u8)    [WEIR_HLS=0]
  --no-ll-hls          no LL-HLS (ll.m3u8)            [WEIR_LL_HLS=0]
  --hls-always-remux   mux HLS for every live stream from its start; without it a stream is muxed
                       once a player asks for a playlist [WEIR_HLS_ALWAYS_REMUX=1]
  --hls-close-after-ms MS  an on-demand HLS output no player asked for in MS stops
                       [WEIR_HLS_CLOSE_AFTER_MS] default 60000
  --edge-origin URL    edge mode: a viewer of a stream nobody publishes here makes the engine pull it
                       from URL, a template with {app} and {stream}, e.g. rtmp://origin/{app}/{stream}
                       [WEIR_EDGE_ORIGIN] default none
  --edge-idle-ms MS    an edge pull stops after its last viewer left this long ago [WEIR_EDGE_IDLE_MS] default 10000
  --relay-insecure-tls pulls and forwards over rtmps:// and https:// skip certificate checks
                       [WEIR_RELAY_INSECURE_TLS=1]
  --record-min-free-mb N  recording (per app, set in the control plane) pauses on a storage path with
                       less free space than this; live streaming goes on [WEIR_RECORD_MIN_FREE_MB] default 1024
  --record-check-ms MS how often free space, retention and quotas are checked [WEIR_RECORD_CHECK_MS] default 10000
  --vod-dir DIR        serve MP4 files (H.264/HEVC + AAC) under DIR/{app}/ as /vod/{app}/.../file.mp4
                       (progressive, Range) and /vod/{app}/.../file.mp4/index.m3u8 (HLS); viewers are
                       admitted as HLS viewers of {app}/{next path part} [WEIR_VOD_DIR] default none (off)

SRT (MPEG-TS over SRT; stream id #!::r=APP/STREAM,m=publish or m=request, or APP/STREAM?query;
OBS: srt://HOST:10080?streamid=#!::r=live/cam,m=publish):
  --srt-host ADDR      SRT listen address (UDP)       [WEIR_SRT_HOST]   default 0.0.0.0
  --srt-port PORT      SRT listen port (0 = no SRT)   [WEIR_SRT_PORT]   default 10080
  --srt-passphrase P   callers must encrypt with this passphrase (10 to 79 characters); without
                       it only unencrypted callers are admitted [WEIR_SRT_PASSPHRASE] default none
  --srt-latency-ms MS  receive latency (TSBPD) asked of callers; the larger of both sides applies
                       [WEIR_SRT_LATENCY_MS] default 120
  --srt-max-connections N  SRT connections in all  [WEIR_SRT_MAX_CONNECTIONS] default 1000
  --srt-max-per-address N  SRT connections per address [WEIR_SRT_MAX_PER_ADDRESS] default 50

Limits (per address: one IPv4 address or IPv6 /64; loopback is no exception; 0 = no per-address
cap, e.g. behind a proxy all clients come through):
  --rtmp-max-connections N         RTMP connections in all [WEIR_RTMP_MAX_CONNECTIONS] default 10000
  --rtmp-max-per-address N         RTMP connections per address [WEIR_RTMP_MAX_PER_ADDRESS] default 100
  --rtmp-max-publishes-per-address N  streams published at once per address
                       [WEIR_RTMP_MAX_PUBLISHES_PER_ADDRESS] default 20
  --rtmp-handshake-timeout-ms MS   an RTMP connection must ask to publish or play this long after
                       it was accepted; bytes trickling in do not extend it [WEIR_RTMP_HANDSHAKE_TIMEOUT_MS] default 10000
  --rtsp-max-connections N         RTSP connections in all [WEIR_RTSP_MAX_CONNECTIONS] default 10000
  --rtsp-max-per-address N         RTSP connections per address [WEIR_RTSP_MAX_PER_ADDRESS] default 100
  --rtsp-max-publishes-per-address N  streams published over RTSP at once per address
                       [WEIR_RTSP_MAX_PUBLISHES_PER_ADDRESS] default 20
  --rtsp-setup-timeout-ms MS       an RTSP connection must start to play or record this long after
                       it was accepted [WEIR_RTSP_SETUP_TIMEOUT_MS] default 10000
  --http-max-connections N         HTTP-FLV and WebSocket-FLV viewers and FLV requests waiting for a
                       publisher, in all [WEIR_HTTP_MAX_CONNECTIONS] default 10000
  --http-max-per-address N         of those per address (and as many HLS requests in progress)
                       [WEIR_HTTP_MAX_PER_ADDRESS] default 100

Control plane (with --config-url, the config server's snapshot sets the listen addresses,
HLS durations and apps in place of those flags, and the config server admits every publish
and play; --no-hls/--no-ll-hls still switch HLS off engine-wide. The flags --rtmp-host,
--rtmp-port, --http-host and --http-port win over the served listen settings; their
environment variables do not):
  --config-url URL     config server, e.g. http://127.0.0.1:8089 [WEIR_CONFIG_URL] default none
  --engine-secret-file PATH  file holding the shared engine secret [WEIR_ENGINE_SECRET_FILE]
                       (else WEIR_ENGINE_SECRET, else {data dir}/engine-secret)
  --data-dir DIR       where the engine secret is read and the last configuration is cached
                       [WEIR_DATA_DIR] default none
  --api-host ADDR      engine API listen address      [WEIR_API_HOST]   default 127.0.0.1
  --api-port PORT      engine API port (0 = any)      [WEIR_API_PORT]   default 8087
                       (always on: /healthz and /metrics are open, /v1 needs the engine secret)

  --log-level LEVEL    debug | info | warn | error    [WEIR_LOG_LEVEL]  default info
  --log-json           JSON log lines                 [WEIR_LOG_JSON=1]
  --gc-every-ms MS     check this often whether the memory of dead stream buffers grew by 2 MiB, and
                       collect it if so (at most 2% of the time); 0 leaves it to the runtime, which
                       lets several seconds of them pile up [WEIR_GC_EVERY_MS] default 1000
Environment only:
  WEIR_DRAIN_TIMEOUT_MS  on SIGTERM/SIGINT, how long publishers and viewers get to finish
                       before the engine exits anyway   default 5000
  --help               show this help
  --version            print the version
`;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 8087;

function parseHttpUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${flag}: '${value}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${flag}: '${value}' is not an http(s) URL`);
  return url.toString().replace(/\/+$/, '');
}

export class CliError extends Error {}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${flag}: '${value}' is not a port number`);
  return port;
}

function parsePositive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag}: '${value}' is not a positive number`);
  return n;
}

/** A whole number of at least `min` (connections, publishes, milliseconds). */
function parseCount(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${flag}: '${value}' is not a whole number of at least ${min}`);
  return n;
}

function parseNonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag}: '${value}' is not a non-negative number`);
  return n;
}

const MIB = 1024 * 1024;
/** libsrt accepts latencies up to minutes; past a minute is a typo, not a link */
const MAX_SRT_LATENCY_MS = 60_000;

function parseLatency(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_SRT_LATENCY_MS) throw new CliError(`${flag}: '${value}' is not a whole number of milliseconds from 0 to ${MAX_SRT_LATENCY_MS}`);
  return n;
}

export function parseEngineCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): EngineCliOptions {
  const base = DEFAULT_ENGINE_CONFIG;
  let rtmpHost = env.WEIR_RTMP_HOST ?? base.rtmp.host;
  let rtmpPort = env.WEIR_RTMP_PORT ? parsePort(env.WEIR_RTMP_PORT, 'WEIR_RTMP_PORT') : base.rtmp.port;
  let httpHost = env.WEIR_HTTP_HOST ?? base.http.host;
  let httpPort = env.WEIR_HTTP_PORT ? parsePort(env.WEIR_HTTP_PORT, 'WEIR_HTTP_PORT') : base.http.port;
  let mergeWriteMs = env.WEIR_MERGE_WRITE_MS ? parseNonNegative(env.WEIR_MERGE_WRITE_MS, 'WEIR_MERGE_WRITE_MS') : base.writers.mergeWriteMs;
  let publisherGraceMs: number | null = env.WEIR_PUBLISHER_GRACE_MS ? parseNonNegative(env.WEIR_PUBLISHER_GRACE_MS, 'WEIR_PUBLISHER_GRACE_MS') : null;
  let waitMs = env.WEIR_WAIT_MS ? parseNonNegative(env.WEIR_WAIT_MS, 'WEIR_WAIT_MS') : base.streams.waitForPublisherMs;
  let apps: string[] = env.WEIR_APPS ? env.WEIR_APPS.split(',').filter(Boolean) : [];
  const num = (name: string, fallback: number): number => {
    const raw = env[name];
    return raw ? parsePositive(raw, name) : fallback;
  };
  let hlsTargetMs = num('WEIR_HLS_TARGET_MS', base.hls.targetDurationMs);
  let hlsPartMs = num('WEIR_HLS_PART_MS', base.hls.partTargetMs);
  let hlsWindow = num('WEIR_HLS_WINDOW', base.hls.windowSegments);
  let hlsBufferBytes = num('WEIR_HLS_BUFFER_MB', base.hls.maxBufferBytes / MIB) * MIB;
  let hlsAlwaysRemux = env.WEIR_HLS_ALWAYS_REMUX ? env.WEIR_HLS_ALWAYS_REMUX === '1' : base.hls.alwaysRemux;
  let hlsCloseAfterMs = num('WEIR_HLS_CLOSE_AFTER_MS', base.hls.muxerCloseAfterMs);
  let edgeOrigin = env.WEIR_EDGE_ORIGIN || null;
  let edgeIdleMs = env.WEIR_EDGE_IDLE_MS ? parseNonNegative(env.WEIR_EDGE_IDLE_MS, 'WEIR_EDGE_IDLE_MS') : DEFAULT_RELAY_SETTINGS.edgeIdleMs;
  let relayInsecureTls = env.WEIR_RELAY_INSECURE_TLS === '1';
  const count = (name: string, fallback: number, min: number): number => (env[name] ? parseCount(env[name]!, name, min) : fallback);
  const rtmpLimits = {
    maxConnections: count('WEIR_RTMP_MAX_CONNECTIONS', base.rtmp.maxConnections, 1),
    maxConnectionsPerAddress: count('WEIR_RTMP_MAX_PER_ADDRESS', base.rtmp.maxConnectionsPerAddress, 0),
    maxPublishesPerAddress: count('WEIR_RTMP_MAX_PUBLISHES_PER_ADDRESS', base.rtmp.maxPublishesPerAddress, 0),
    handshakeTimeoutMs: count('WEIR_RTMP_HANDSHAKE_TIMEOUT_MS', base.rtmp.handshakeTimeoutMs, 1),
  };
  const httpLimits = {
    maxConnections: count('WEIR_HTTP_MAX_CONNECTIONS', base.http.maxConnections, 1),
    maxConnectionsPerAddress: count('WEIR_HTTP_MAX_PER_ADDRESS', base.http.maxConnectionsPerAddress, 0),
  };
  const srt = {
    host: env.WEIR_SRT_HOST ?? DEFAULT_SRT_SETTINGS.host,
    port: env.WEIR_SRT_PORT ? parsePort(env.WEIR_SRT_PORT, 'WEIR_SRT_PORT') : DEFAULT_SRT_SETTINGS.port,
    passphrase: env.WEIR_SRT_PASSPHRASE || DEFAULT_SRT_SETTINGS.passphrase,
    latencyMs: env.WEIR_SRT_LATENCY_MS ? parseLatency(env.WEIR_SRT_LATENCY_MS, 'WEIR_SRT_LATENCY_MS') : DEFAULT_SRT_SETTINGS.latencyMs,
    maxConnections: count('WEIR_SRT_MAX_CONNECTIONS', DEFAULT_SRT_SETTINGS.maxConnections, 1),
    maxConnectionsPerAddress: count('WEIR_SRT_MAX_PER_ADDRESS', DEFAULT_SRT_SETTINGS.maxConnectionsPerAddress, 0),
  };
  let recordMinFreeBytes = env.WEIR_RECORD_MIN_FREE_MB
    ? parseNonNegative(env.WEIR_RECORD_MIN_FREE_MB, 'WEIR_RECORD_MIN_FREE_MB') * MIB
    : (base.recording ?? DEFAULT_RECORDING_SETTINGS).minFreeBytes;
  let vodDir = env.WEIR_VOD_DIR || null;
  let recordCheckMs = env.WEIR_RECORD_CHECK_MS ? parseCount(env.WEIR_RECORD_CHECK_MS, 'WEIR_RECORD_CHECK_MS', 100) : (base.recording ?? DEFAULT_RECORDING_SETTINGS).checkIntervalMs;
  const rtsp = {
    host: env.WEIR_RTSP_HOST || DEFAULT_RTSP_SETTINGS.host,
    port: env.WEIR_RTSP_PORT ? parsePort(env.WEIR_RTSP_PORT, 'WEIR_RTSP_PORT') : DEFAULT_RTSP_SETTINGS.port,
    rtpPortMin: env.WEIR_RTSP_RTP_PORT_MIN ? parsePort(env.WEIR_RTSP_RTP_PORT_MIN, 'WEIR_RTSP_RTP_PORT_MIN') : DEFAULT_RTSP_SETTINGS.rtpPortMin,
    rtpPortMax: env.WEIR_RTSP_RTP_PORT_MAX ? parsePort(env.WEIR_RTSP_RTP_PORT_MAX, 'WEIR_RTSP_RTP_PORT_MAX') : DEFAULT_RTSP_SETTINGS.rtpPortMax,
    maxConnections: count('WEIR_RTSP_MAX_CONNECTIONS', DEFAULT_RTSP_SETTINGS.maxConnections, 1),
    maxConnectionsPerAddress: count('WEIR_RTSP_MAX_PER_ADDRESS', DEFAULT_RTSP_SETTINGS.maxConnectionsPerAddress, 0),
    maxPublishesPerAddress: count('WEIR_RTSP_MAX_PUBLISHES_PER_ADDRESS', DEFAULT_RTSP_SETTINGS.maxPublishesPerAddress, 0),
    setupTimeoutMs: count('WEIR_RTSP_SETUP_TIMEOUT_MS', DEFAULT_RTSP_SETTINGS.setupTimeoutMs, 1),
    sessionTimeoutMs: count('WEIR_RTSP_SESSION_TIMEOUT_MS', DEFAULT_RTSP_SETTINGS.sessionTimeoutMs, 1000),
  };
  let rtspEnabled = env.WEIR_RTSP !== '0';
  const webrtc = {
    host: env.WEIR_WEBRTC_HOST || DEFAULT_WEBRTC_SETTINGS.host,
    port: env.WEIR_WEBRTC_PORT ? parsePort(env.WEIR_WEBRTC_PORT, 'WEIR_WEBRTC_PORT') : DEFAULT_WEBRTC_SETTINGS.port,
    publicIps: env.WEIR_WEBRTC_PUBLIC_IP ? env.WEIR_WEBRTC_PUBLIC_IP.split(',').filter(Boolean) : [...DEFAULT_WEBRTC_SETTINGS.publicIps],
    maxSessions: count('WEIR_WEBRTC_MAX_SESSIONS', DEFAULT_WEBRTC_SETTINGS.maxSessions, 1),
    maxSessionsPerAddress: count('WEIR_WEBRTC_MAX_PER_ADDRESS', DEFAULT_WEBRTC_SETTINGS.maxSessionsPerAddress, 0),
    iceTimeoutMs: count('WEIR_WEBRTC_ICE_TIMEOUT_MS', DEFAULT_WEBRTC_SETTINGS.iceTimeoutMs, 1000),
  };
  let webrtcPublicIpFlags: string[] | null = null;
  let hls = env.WEIR_HLS !== '0';
  let llHls = env.WEIR_LL_HLS !== '0';
  let configUrl = env.WEIR_CONFIG_URL || null;
  let engineSecretFile = env.WEIR_ENGINE_SECRET_FILE || null;
  let dataDir = env.WEIR_DATA_DIR || null;
  let apiHost = env.WEIR_API_HOST || DEFAULT_API_HOST;
  let apiPort = env.WEIR_API_PORT ? parsePort(env.WEIR_API_PORT, 'WEIR_API_PORT') : DEFAULT_API_PORT;
  let logLevel = (env.WEIR_LOG_LEVEL ?? 'info') as LogLevel;
  let logJson = env.WEIR_LOG_JSON === '1';
  let gcEveryMs = env.WEIR_GC_EVERY_MS ? parseNonNegative(env.WEIR_GC_EVERY_MS, 'WEIR_GC_EVERY_MS') : DEFAULT_COLLECTOR_POLICY.everyMs;
  // Only flags: install.sh's weir.env sets WEIR_RTMP_PORT/WEIR_HTTP_PORT for every unit, and
  // they must not pin an engine whose ports the control plane's settings move.
  const listenOverrides: { -readonly [K in keyof ListenOverrides]: ListenOverrides[K] } = {};
  let help = false;
  let version = false;

  // Alike in shape to control-plane-cli.ts's flag loop: the two processes share no CLI code, and each throws its own error.
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new CliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--rtmp-host': rtmpHost = listenOverrides.rtmpHost = value(); break;
      case '--rtmp-port': rtmpPort = listenOverrides.rtmpPort = parsePort(value(), flag); break;
      case '--http-host': httpHost = listenOverrides.httpHost = value(); break;
      case '--http-port': httpPort = listenOverrides.httpPort = parsePort(value(), flag); break;
      case '--rtsp-host': rtsp.host = value(); break;
      case '--rtsp-port': rtsp.port = parsePort(value(), flag); break;
      case '--rtsp-rtp-port-min': rtsp.rtpPortMin = parsePort(value(), flag); break;
      case '--rtsp-rtp-port-max': rtsp.rtpPortMax = parsePort(value(), flag); break;
      case '--rtsp-max-connections': rtsp.maxConnections = parseCount(value(), flag, 1); break;
      case '--rtsp-max-per-address': rtsp.maxConnectionsPerAddress = parseCount(value(), flag, 0); break;
      case '--rtsp-max-publishes-per-address': rtsp.maxPublishesPerAddress = parseCount(value(), flag, 0); break;
      case '--rtsp-setup-timeout-ms': rtsp.setupTimeoutMs = parseCount(value(), flag, 1); break;
      case '--rtsp-session-timeout-ms': rtsp.sessionTimeoutMs = parseCount(value(), flag, 1000); break;
      case '--no-rtsp': rtspEnabled = false; break;
      case '--webrtc-host': webrtc.host = value(); break;
      case '--webrtc-port': webrtc.port = parsePort(value(), flag); break;
      case '--webrtc-public-ip': (webrtcPublicIpFlags ??= []).push(value()); break;
      case '--webrtc-max-sessions': webrtc.maxSessions = parseCount(value(), flag, 1); break;
      case '--webrtc-max-per-address': webrtc.maxSessionsPerAddress = parseCount(value(), flag, 0); break;
      case '--webrtc-ice-timeout-ms': webrtc.iceTimeoutMs = parseCount(value(), flag, 1000); break;
      case '--app': apps.push(value()); break;
      case '--wait-ms': waitMs = parseNonNegative(value(), flag); break;
      case '--publisher-grace-ms': publisherGraceMs = parseNonNegative(value(), flag); break;
      case '--merge-write-ms': mergeWriteMs = parseNonNegative(value(), flag); break;
      case '--hls-target-ms': hlsTargetMs = parsePositive(value(), flag); break;
      case '--hls-part-ms': hlsPartMs = parsePositive(value(), flag); break;
      case '--hls-window': hlsWindow = Math.round(parsePositive(value(), flag)); break;
      case '--hls-buffer-mb': hlsBufferBytes = parsePositive(value(), flag) * MIB; break;
      case '--no-hls': hls = false; break;
      case '--no-ll-hls': llHls = false; break;
      case '--hls-always-remux': hlsAlwaysRemux = true; break;
      case '--hls-close-after-ms': hlsCloseAfterMs = parsePositive(value(), flag); break;
      case '--edge-origin': edgeOrigin = value(); break;
      case '--edge-idle-ms': edgeIdleMs = parseNonNegative(value(), flag); break;
      case '--relay-insecure-tls': relayInsecureTls = true; break;
      case '--record-min-free-mb': recordMinFreeBytes = parseNonNegative(value(), flag) * MIB; break;
      case '--record-check-ms': recordCheckMs = parseCount(value(), flag, 100); break;
      case '--vod-dir': vodDir = value(); break;
      case '--rtmp-max-connections': rtmpLimits.maxConnections = parseCount(value(), flag, 1); break;
      case '--rtmp-max-per-address': rtmpLimits.maxConnectionsPerAddress = parseCount(value(), flag, 0); break;
      case '--rtmp-max-publishes-per-address': rtmpLimits.maxPublishesPerAddress = parseCount(value(), flag, 0); break;
      case '--rtmp-handshake-timeout-ms': rtmpLimits.handshakeTimeoutMs = parseCount(value(), flag, 1); break;
      case '--http-max-connections': httpLimits.maxConnections = parseCount(value(), flag, 1); break;
      case '--http-max-per-address': httpLimits.maxConnectionsPerAddress = parseCount(value(), flag, 0); break;
      case '--srt-host': srt.host = value(); break;
      case '--srt-port': srt.port = parsePort(value(), flag); break;
      case '--srt-passphrase': srt.passphrase = value(); break;
      case '--srt-latency-ms': srt.latencyMs = parseLatency(value(), flag); break;
      case '--srt-max-connections': srt.maxConnections = parseCount(value(), flag, 1); break;
      case '--srt-max-per-address': srt.maxConnectionsPerAddress = parseCount(value(), flag, 0); break;
      case '--config-url': configUrl = value(); break;
      case '--engine-secret-file': engineSecretFile = value(); break;
      case '--data-dir': dataDir = value(); break;
      case '--api-host': apiHost = value(); break;
      case '--api-port': apiPort = parsePort(value(), flag); break;
      case '--log-level': logLevel = value() as LogLevel; break;
      case '--log-json': logJson = true; break;
      case '--gc-every-ms': gcEveryMs = parseNonNegative(value(), flag); break;
      case '--help': case '-h': help = true; break;
      case '--version': case '-v': version = true; break;
      default: throw new CliError(`unknown option '${flag}' (see --help)`);
    }
  }
  if (!LOG_LEVELS.includes(logLevel)) throw new CliError(`--log-level: '${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`);
  if (apps.length === 0) apps = base.apps.map((a) => a.name);
  if (hlsPartMs * 3 > hlsTargetMs) throw new CliError('--hls-part-ms must be at most a third of --hls-target-ms');
  if (configUrl !== null) configUrl = parseHttpUrl(configUrl, '--config-url');
  if (srt.passphrase !== null) {
    try {
      checkPassphrase(srt.passphrase);
    } catch (err) {
      throw new CliError(`--srt-passphrase: ${(err as Error).message}`);
    }
  }
  // pairs start on an even port: a range must hold at least one
  if (rtsp.rtpPortMax - rtsp.rtpPortMin < (rtsp.rtpPortMin % 2 === 0 ? 1 : 2)) {
    throw new CliError(`--rtsp-rtp-port-min/max: ${rtsp.rtpPortMin}-${rtsp.rtpPortMax} holds no even/odd port pair`);
  }
  if (webrtcPublicIpFlags) webrtc.publicIps = webrtcPublicIpFlags;
  for (const ip of webrtc.publicIps) {
    if (isIP(ip) === 0) throw new CliError(`--webrtc-public-ip: '${ip}' is not an IP address`);
  }
  if (edgeOrigin !== null && relaySchemeOf(edgeOrigin.replaceAll('{app}', 'a').replaceAll('{stream}', 's')) === null) {
    throw new CliError(`--edge-origin: '${edgeOrigin}' is not an rtmp://, rtmps://, http:// or https:// URL template`);
  }

  // the folder is taken as given on the command line, from where the engine was started
  if (vodDir !== null) vodDir = resolvePath(vodDir);

  const config: EngineConfig = {
    ...base,
    rtmp: { ...base.rtmp, ...rtmpLimits, host: rtmpHost, port: rtmpPort },
    http: { ...base.http, ...httpLimits, host: httpHost, port: httpPort },
    streams: { ...base.streams, waitForPublisherMs: waitMs, publisherGraceMs },
    writers: { ...base.writers, mergeWriteMs },
    hls: { enabled: hls, lowLatencyEnabled: llHls, targetDurationMs: hlsTargetMs, partTargetMs: hlsPartMs, windowSegments: hlsWindow, maxBufferBytes: hlsBufferBytes,
      alwaysRemux: hlsAlwaysRemux, muxerCloseAfterMs: hlsCloseAfterMs },
    apps: apps.map((name) => ({ name })),
    relay: { ...(base.relay ?? DEFAULT_RELAY_SETTINGS), edgeOriginTemplate: edgeOrigin, edgeIdleMs, insecureTls: relayInsecureTls },
    recording: { ...(base.recording ?? DEFAULT_RECORDING_SETTINGS), minFreeBytes: recordMinFreeBytes, checkIntervalMs: recordCheckMs },
    // port 0 switches SRT off (unlike RTMP/HTTP's "any port"): callers must be told a port
    srt: { ...DEFAULT_SRT_SETTINGS, ...srt, enabled: srt.port !== 0 },
    ...(rtspEnabled ? { rtsp } : {}),
    ...(vodDir !== null ? { vod: { dir: vodDir } } : {}),
    // port 0 switches WebRTC off (as SRT): browsers must be told the port in the SDP answer
    ...(webrtc.port !== 0 ? { webrtc } : {}),
  };
  return { config, listenOverrides, configUrl, engineSecretFile, dataDir, apiHost, apiPort, logLevel, logJson, gcEveryMs, help, version };
}
