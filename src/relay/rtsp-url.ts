// Splits an rtsp:// or rtsps:// pull URL (RFC 2326 §3.2, RFC 7826 §18.2) into what the client needs: where to connect,
// the request URL without userinfo (credentials travel only in Authorization headers), the decoded credentials, and
// Weir's own `transport=udp|tcp` query option, which is taken out of the URL the camera sees.
import type { Credentials } from '../rtsp/rtsp-auth.ts';

export const RTSP_DEFAULT_PORT = 554;
/** RFC 7826 §22.14 registers 322 for rtsps */
export const RTSPS_DEFAULT_PORT = 322;

// RtspEndpoint is alike in shape to control/store/user-store.ts's record types: declarations only.
export type RtspTransportChoice = 'tcp' | 'udp';

export type RtspEndpoint = Readonly<{
  tls: boolean;
  host: string;
  port: number;
  /** the URL sent in requests: no userinfo, no transport option */
  requestUrl: string;
  credentials: Credentials | undefined;
  transport: RtspTransportChoice;
}>;

const TRANSPORT_OPTION = 'transport';

export function isRtspUrl(url: string): boolean {
  return /^rtsps?:\/\//i.test(url);
}

export function parseRtspUrl(url: string): RtspEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('not a valid rtsp:// URL');
  }
  const tls = parsed.protocol === 'rtsps:';
  if (!tls && parsed.protocol !== 'rtsp:') throw new Error('not an rtsp:// or rtsps:// URL');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new Error('RTSP URL has no host');
  const port = parsed.port ? Number(parsed.port) : tls ? RTSPS_DEFAULT_PORT : RTSP_DEFAULT_PORT;
  const credentials =
    parsed.username !== '' || parsed.password !== ''
      ? { username: safeDecode(parsed.username), password: safeDecode(parsed.password) }
      : undefined;
  const option = parsed.searchParams.get(TRANSPORT_OPTION)?.toLowerCase();
  if (option !== undefined && option !== 'tcp' && option !== 'udp') throw new Error(`RTSP URL option transport must be tcp or udp`);
  const transport: RtspTransportChoice = option === 'udp' ? 'udp' : 'tcp';
  // rebuild the query by hand: URLSearchParams would re-encode what the camera expects verbatim
  const query = parsed.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && pair.split('=')[0]!.toLowerCase() !== TRANSPORT_OPTION)
    .join('&');
  const requestUrl = `${parsed.protocol}//${parsed.host}${parsed.pathname}${query ? `?${query}` : ''}`;
  return { tls, host, port, requestUrl, credentials, transport };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
