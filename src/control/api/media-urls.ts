// The URLs a client would use for a stream, on the host the API was reached at and the
// engine's configured ports (README: URL forms for RTMP, HTTP-FLV, WS-FLV, HLS, LL-HLS).
import type { Settings } from '../services/types.ts';

const RTMP_DEFAULT_PORT = 1935;
const HTTP_DEFAULT_PORT = 80;

/** the host name the caller used to reach us (IPv6 keeps its brackets) */
export function requestHost(request: Request): string {
  return new URL(request.url).hostname || '127.0.0.1';
}

const withPort = (host: string, port: number, defaultPort: number): string => (port === defaultPort ? host : `${host}:${port}`);
const withQuery = (path: string, query: string): string => (query === '' ? path : `${path}?${query}`);
const enc = (name: string): string => encodeURIComponent(name);

export type PlayUrls = Readonly<{ rtmp: string; httpFlv: string; wsFlv: string; hls: string | null; llHls: string | null }>;

export function rtmpUrl(host: string, settings: Settings, app: string, stream: string, query: string): string {
  return withQuery(`rtmp://${withPort(host, settings.listen.rtmpPort, RTMP_DEFAULT_PORT)}/${enc(app)}/${enc(stream)}`, query);
}

export function playUrls(
  host: string,
  settings: Settings,
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
  };
}
