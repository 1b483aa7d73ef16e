// The URLs a client would use for a stream, on the host the API was reached at, the configured
// RTMP/HTTP ports and the SRT/RTSP ports the engine reports (README: URL forms for RTMP,
// HTTP-FLV, WS-FLV, HLS, LL-HLS, SRT, RTSP and WHEP).
import type { EngineStatus } from '../../shared/config-protocol.ts';
import type { EngineResult } from '../engine-client.ts';
import type { Settings } from '../services/types.ts';

const RTMP_DEFAULT_PORT = 1935;
const HTTP_DEFAULT_PORT = 80;
const RTSP_DEFAULT_PORT = 554;

/** the host name the caller used to reach us (IPv6 keeps its brackets) */
export function requestHost(request: Request): string {
  return new URL(request.url).hostname || '127.0.0.1';
}

const withPort = (host: string, port: number, defaultPort: number): string => (port === defaultPort ? host : `${host}:${port}`);
const withQuery = (path: string, query: string): string => (query === '' ? path : `${path}?${query}`);
const enc = (name: string): string => encodeURIComponent(name);

/**
 * Where the engine's SRT and RTSP listeners are: their ports are engine flags, so only the
 * engine's status knows them. null: that listener is off, or the engine could not be asked
 * (no URL is better than one with a guessed port).
 */
export type EngineEndpoints = Readonly<{
  srt: Readonly<{ port: number; encrypted: boolean }> | null;
  rtsp: Readonly<{ port: number }> | null;
  /** WebRTC's UDP port; WHEP itself is signalled on the engine's HTTP port */
  webrtc?: Readonly<{ port: number }> | null;
}>;

export function endpointsFrom(status: EngineResult<EngineStatus>): EngineEndpoints {
  const listeners = status.ok ? status.value.listeners : undefined;
  const srt = listeners?.srt;
  const rtsp = listeners?.rtsp;
  const webrtc = listeners?.webrtc;
  return {
    srt: srt?.enabled && srt.port !== null ? { port: srt.port, encrypted: srt.encrypted } : null,
    rtsp: rtsp?.enabled && rtsp.port !== null ? { port: rtsp.port } : null,
    webrtc: webrtc?.enabled && webrtc.port !== null ? { port: webrtc.port } : null,
  };
}

export type PlayUrls = Readonly<{
  rtmp: string;
  httpFlv: string;
  wsFlv: string;
  hls: string | null;
  llHls: string | null;
  srt: string | null;
  rtsp: string | null;
  /** the WHEP endpoint (POST an SDP offer; the query may instead go as `Authorization: Bearer <query>`); null when the engine runs no WebRTC */
  whep: string | null;
}>;

export type PublishUrlSet = Readonly<{ rtmp: string; srt: string | null; rtsp: string | null }>;

export function rtmpUrl(host: string, settings: Settings, app: string, stream: string, query: string): string {
  return withQuery(`rtmp://${withPort(host, settings.listen.rtmpPort, RTMP_DEFAULT_PORT)}/${enc(app)}/${enc(stream)}`, query);
}

// ffmpeg URL-decodes the streamid value; OBS passes it on as it is. Names, stream keys
// (base64url) and signatures (hex) only use characters both read alike, so the stream id is
// left as it is ("#!::r=live/cam,m=publish"): percent-encoding it would break OBS. Anything
// else is percent-encoded, which at least ffmpeg undoes.
const streamIdSafe = (value: string): string => value.replace(/[^A-Za-z0-9_.~\-#!:=,/]/g, (c) => enc(c));

/**
 * srt://host:port?streamid=#!::r={app}/{stream},m={publish|request}[,key=...|,expires=...,sign=...]: the SRT access
 * control form, with the admission query riding in the stream id as more key=value items (the engine's
 * src/srt/stream-id.ts reads it back; control code does not import engine code, a test holds the two together).
 */
export function srtUrl(host: string, port: number, app: string, stream: string, mode: 'publish' | 'request', query: string): string {
  const items = [`r=${app}/${stream}`, `m=${mode}`, ...[...new URLSearchParams(query)].map(([k, v]) => `${k}=${v}`)];
  return `srt://${host}:${port}?streamid=${streamIdSafe(`#!::${items.join(',')}`)}`;
}

export function rtspUrl(host: string, port: number, app: string, stream: string, query: string): string {
  return withQuery(`rtsp://${withPort(host, port, RTSP_DEFAULT_PORT)}/${enc(app)}/${enc(stream)}`, query);
}

export function playUrls(
  host: string,
  settings: Settings,
  endpoints: EngineEndpoints,
  app: Readonly<{ name: string; hls: boolean; llHls: boolean }>,
  stream: string,
  query: string,
): PlayUrls {
  const http = withPort(host, settings.listen.httpPort, HTTP_DEFAULT_PORT);
  const base = `${enc(app.name)}/${enc(stream)}`;
  return {
    rtmp: rtmpUrl(host, settings, app.name, stream, query),
    httpFlv: withQuery(`http://${http}/${base}.flv`, query),
    wsFlv: withQuery(`ws://${http}/${base}.flv`, query),
    hls: app.hls ? withQuery(`http://${http}/${base}/index.m3u8`, query) : null,
    llHls: app.llHls ? withQuery(`http://${http}/${base}/ll.m3u8`, query) : null,
    srt: endpoints.srt ? srtUrl(host, endpoints.srt.port, app.name, stream, 'request', query) : null,
    rtsp: endpoints.rtsp ? rtspUrl(host, endpoints.rtsp.port, app.name, stream, query) : null,
    whep: endpoints.webrtc ? withQuery(`http://${http}/${base}/whep`, query) : null,
  };
}

export function publishUrlSet(host: string, settings: Settings, endpoints: EngineEndpoints, app: string, stream: string, query: string): PublishUrlSet {
  return {
    rtmp: rtmpUrl(host, settings, app, stream, query),
    srt: endpoints.srt ? srtUrl(host, endpoints.srt.port, app, stream, 'publish', query) : null,
    rtsp: endpoints.rtsp ? rtspUrl(host, endpoints.rtsp.port, app, stream, query) : null,
  };
}
