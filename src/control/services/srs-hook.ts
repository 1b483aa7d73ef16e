// Calls an SRS-compatible HTTP callback (on_publish / on_play): POST JSON, allow iff HTTP 200
// and the body is `0` or JSON with `code: 0`, as SRS does. JSON answers may add forward
// targets (`forward_targets`, `urls` or `data.urls`: rtmp:// or rtmps:// URLs).
import type { AdmissionQuery } from '../../shared/config-protocol.ts';
import { isFetchableUrl } from '../../shared/upstream-url.ts';

export const SRS_DEFAULT_VHOST = '__defaultVhost__';
export const HOOK_SERVER_ID = 'weir';
const MAX_HOOK_BODY_CHARS = 64 * 1024;

export type HookFetch = (input: string, init: RequestInit) => Promise<Response>;

export type SrsHookBody = Readonly<{
  action: 'on_publish' | 'on_play';
  server_id: string;
  service_id: string;
  client_id: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  /** '?' + the raw query, or '' without one */
  param: string;
  stream_url: string;
  stream_id: string;
  /** SRS sends it for on_play; empty here */
  pageUrl?: string;
  /** Weir extension: rtmp, http-flv, ws-flv, hls, ll-hls, srt */
  protocol: AdmissionQuery['protocol'];
}>;

export type HookVerdict = Readonly<
  { allow: true; forwardUrls: readonly string[] } | { allow: false; reason: string }
>;

export function srsHookBody(query: AdmissionQuery): SrsHookBody {
  const body: SrsHookBody = {
    action: query.action === 'publish' ? 'on_publish' : 'on_play',
    server_id: HOOK_SERVER_ID,
    service_id: HOOK_SERVER_ID,
    client_id: query.clientId,
    ip: query.clientAddress,
    vhost: SRS_DEFAULT_VHOST,
    app: query.app,
    stream: query.stream,
    param: query.query === '' ? '' : `?${query.query}`,
    stream_url: `/${query.app}/${query.stream}`,
    stream_id: `${query.app}/${query.stream}`,
    protocol: query.protocol,
  };
  return query.action === 'play' ? { ...body, pageUrl: '' } : body;
}

export async function callSrsHook(
  fetchFn: HookFetch,
  url: string,
  query: AdmissionQuery,
  timeoutMs: number,
): Promise<HookVerdict> {
  // Checked where it is used, not only where it was stored: a hook URL is fetched only over http(s).
  if (!isFetchableUrl(url)) return { allow: false, reason: 'authorization hook URL is not http(s)' };
  let status: number;
  let text: string;
  try {
    const res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/plain' },
      body: JSON.stringify(srsHookBody(query)),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    text = await res.text();
  } catch {
    return { allow: false, reason: 'authorization hook unavailable' };
  }
  if (status !== 200 || text.length > MAX_HOOK_BODY_CHARS) return { allow: false, reason: 'denied by hook' };
  return parseHookAnswer(text);
}

/** SRS: a body of `0`, or JSON `0` / `{"code":0,...}`, allows; anything else denies */
export function parseHookAnswer(text: string): HookVerdict {
  const trimmed = text.trim();
  if (trimmed === '0') return { allow: true, forwardUrls: [] };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { allow: false, reason: 'denied by hook' };
  }
  if (json === 0) return { allow: true, forwardUrls: [] };
  if (typeof json !== 'object' || json === null || (json as { code?: unknown }).code !== 0) {
    return { allow: false, reason: 'denied by hook' };
  }
  const o = json as { forward_targets?: unknown; urls?: unknown; data?: { urls?: unknown } | null };
  const data = typeof o.data === 'object' && o.data !== null ? o.data : {};
  const urls = [o.forward_targets, o.urls, data.urls].flatMap((list) => (Array.isArray(list) ? list : []));
  return { allow: true, forwardUrls: urls.filter(isRelayUrl) };
}

function isRelayUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'rtmp:' || u.protocol === 'rtmps:') && u.hostname !== '';
  } catch {
    return false;
  }
}
