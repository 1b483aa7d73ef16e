// Splits relay URLs: rtmp[s]://host[:port]/app[/more]/stream[?query] into what an RTMP client
// session needs. The app is the first path segment (as FMLE, OBS and YouTube use it), the stream
// name is the rest of the path with the query (stream keys often ride in it).
import { isFetchableUrl } from '../shared/upstream-url.ts';

export type RtmpEndpoint = Readonly<{
  tls: boolean;
  host: string;
  port: number;
  app: string;
  /** stream name as sent in play/publish, query included */
  streamName: string;
  tcUrl: string;
}>;

export const RTMP_DEFAULT_PORT = 1935;
export const RTMPS_DEFAULT_PORT = 443;

/** Every kind of upstream the relay speaks; `relaySchemeOf` answers one of these. */
export const RELAY_SCHEMES = ['rtmp', 'rtsp', 'http-flv', 'hls', 'srt', 'udp'] as const;
export type RelayScheme = (typeof RELAY_SCHEMES)[number];

/** Which client fetches a URL; null for schemes the relay does not speak (file:, data:, s3:…) and host-less URLs. */
export function relaySchemeOf(url: string): RelayScheme | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'rtmp:' || parsed.protocol === 'rtmps:') return parsed.hostname === '' ? null : 'rtmp';
  if (parsed.protocol === 'rtsp:' || parsed.protocol === 'rtsps:') return parsed.hostname === '' ? null : 'rtsp';
  if (parsed.protocol === 'srt:' || parsed.protocol === 'udp:') return parsed.hostname === '' ? null : parsed.protocol === 'srt:' ? 'srt' : 'udp';
  if (isFetchableUrl(url)) {
    return parsed.pathname.toLowerCase().endsWith('.m3u8') ? 'hls' : 'http-flv';
  }
  return null;
}

export function parseRtmpUrl(url: string): RtmpEndpoint {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'rtmps:';
  if (!tls && parsed.protocol !== 'rtmp:') throw new Error(`not an rtmp:// or rtmps:// URL: ${url}`);
  const segments = parsed.pathname.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
  if (segments.length < 2) throw new Error(`RTMP URL needs /app/stream: ${url}`);
  const app = segments[0]!;
  const streamName = segments.slice(1).join('/') + parsed.search;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port ? Number(parsed.port) : tls ? RTMPS_DEFAULT_PORT : RTMP_DEFAULT_PORT;
  const tcUrl = `${parsed.protocol}//${parsed.host}/${app}`;
  return { tls, host, port, app, streamName, tcUrl };
}

/** Hides secrets (stream keys, tokens in the query, credentials) in a URL shown in logs and the API. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.search) parsed.search = '?***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Fills an edge origin template: {app} and {stream} are replaced by the (URL-safe) names. */
export function fillOriginTemplate(template: string, app: string, stream: string): string {
  return template.replaceAll('{app}', encodeURIComponent(app)).replaceAll('{stream}', encodeURIComponent(stream));
}
