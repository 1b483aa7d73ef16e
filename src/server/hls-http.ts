// Serves HLS and LL-HLS from memory: playlists (with blocking reload and delta updates for
// LL-HLS, rfc8216bis §6.2.5), segments, parts and init segments, with cache headers that let
// any HTTP cache or CDN sit in front: playlists are not cached, media is immutable.
// A playlist can carry its request's query (a play token) into every URI it lists, so the
// segment, part and init requests a player makes from it carry the same token.
import type { HlsOutput } from '../outputs/hls/hls-output.ts';
import type { HlsVariant } from '../outputs/hls/hls-variant.ts';

export const HlsContentType = {
  Playlist: 'application/vnd.apple.mpegurl',
  Ts: 'video/mp2t',
  Mp4: 'video/mp4',
} as const;

const IMMUTABLE = 'public, max-age=86400, immutable';
const PLAYLIST_CACHE = 'no-cache';

export type HlsResponder = (status: number, body: string | Uint8Array | null, headers: Record<string, string>) => Response;

export type HlsRequest = Readonly<{
  file: string;
  search: URLSearchParams;
  /** appended to every URI of a playlist response (already encoded, without '?'); empty: none */
  uriQuery?: string;
}>;

/** Query parameters that steer LL-HLS delivery (rfc8216bis §6.2.5) rather than say who is asking. */
const DELIVERY_DIRECTIVE = /^_HLS_/;

/**
 * The part of a request's query that identifies the viewer (keys, tokens, expiry): what
 * admission is asked about and what playlists hand on to media URIs. Re-encoded, so it holds
 * no quote, space or line break and fits in a quoted playlist attribute.
 */
export function viewerQuery(search: URLSearchParams): string {
  const kept = new URLSearchParams();
  for (const [key, value] of search) if (!DELIVERY_DIRECTIVE.test(key)) kept.append(key, value);
  return kept.toString();
}

/** Appends `query` to every URI of a media playlist: URI lines and URI="..." attributes. */
export function appendQueryToUris(playlist: string, query: string): string {
  if (query.length === 0) return playlist;
  const withQuery = (uri: string): string => uri + (uri.includes('?') ? '&' : '?') + query;
  return playlist
    .split('\n')
    .map((line) => {
      if (line.length === 0) return line;
      if (!line.startsWith('#')) return withQuery(line);
      return line.replace(/URI="([^"]*)"/g, (_, uri: string) => `URI="${withQuery(uri)}"`);
    })
    .join('\n');
}

/** How long a request may wait for media that is about to exist (first segment, next part). */
function firstContentWaitMs(variant: HlsVariant): number {
  return variant.options.targetDurationSec * 3000;
}

export async function serveHls(output: HlsOutput, request: HlsRequest, respond: HlsResponder): Promise<Response> {
  const { file, search } = request;
  const uriQuery = request.uriQuery ?? '';
  if (file === 'index.m3u8') return servePlaylist(output.ts, search, respond, false, uriQuery);
  if (file === 'll.m3u8') return servePlaylist(output.ll, search, respond, true, uriQuery);
  if (file.endsWith('.ts') && output.ts) {
    const segment = output.ts.findSegment(file);
    return segment?.bytes ? media(respond, segment.bytes, HlsContentType.Ts) : notFound(respond);
  }
  const ll = output.ll;
  if (!ll) return notFound(respond);
  if (file.endsWith('.mp4')) {
    return ll.init && ll.init.uri === file ? media(respond, ll.init.bytes, HlsContentType.Mp4) : notFound(respond);
  }
  if (file.endsWith('.m4s')) {
    const segment = ll.findSegment(file);
    if (segment?.bytes) return media(respond, segment.bytes, HlsContentType.Mp4);
    let part = ll.findPart(file);
    if (!part && isNextPart(ll, file)) {
      // A preload hint: hold the request until the part exists (rfc8216bis §6.2.6).
      await ll.waitUntil(() => ll.findPart(file) !== undefined || ll.ended, firstContentWaitMs(ll));
      part = ll.findPart(file);
    }
    return part ? media(respond, part.bytes, HlsContentType.Mp4) : notFound(respond);
  }
  return notFound(respond);
}

function isNextPart(ll: HlsVariant, file: string): boolean {
  const open = ll.open;
  const next = open ? ll.partUri(open.msn, open.parts.length) : ll.partUri(ll.upcomingMsn, 0);
  return next === file;
}

async function servePlaylist(
  variant: HlsVariant | null,
  search: URLSearchParams,
  respond: HlsResponder,
  lowLatency: boolean,
  uriQuery: string,
): Promise<Response> {
  if (!variant) return notFound(respond, 'this HLS variant is not enabled');
  if (variant.unavailable && !variant.hasContent) return notFound(respond, "this stream's codecs cannot be carried in this HLS variant");
  const waitMs = firstContentWaitMs(variant);
  const hasSegments = () => variant.segments.length > 0 || variant.ended;
  if (!(await variant.waitUntil(hasSegments, waitMs))) {
    return notFound(respond, 'no HLS media for this stream (not live yet, or its codecs cannot be carried)');
  }
  const msnParam = search.get('_HLS_msn');
  const partParam = search.get('_HLS_part');
  if (lowLatency && msnParam !== null) {
    const msn = Number(msnParam);
    const part = partParam === null ? 0 : Number(partParam);
    if (!Number.isInteger(msn) || msn < 0 || !Number.isInteger(part) || part < 0) {
      return respond(400, 'bad _HLS_msn or _HLS_part\n', { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
    }
    if (msn > variant.upcomingMsn + 1) {
      return respond(400, '_HLS_msn is too far in the future\n', { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
    }
    // Without _HLS_part a client waits for the whole segment.
    const ready =
      partParam === null
        ? () => variant.ended || variant.segments.some((s) => s.msn >= msn)
        : () => variant.hasPart(msn, part);
    const ok = await variant.waitUntil(ready, waitMs);
    if (!ok) return respond(503, 'the requested part did not arrive in time\n', { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
  }
  const skipParam = search.get('_HLS_skip');
  const skip = lowLatency && (skipParam === 'YES' || skipParam === 'v2');
  const playlist = appendQueryToUris(variant.playlist(skip), uriQuery);
  return respond(200, playlist, { 'Content-Type': HlsContentType.Playlist, 'Cache-Control': PLAYLIST_CACHE });
}

function media(respond: HlsResponder, bytes: Uint8Array, contentType: string): Response {
  return respond(200, bytes, { 'Content-Type': contentType, 'Cache-Control': IMMUTABLE });
}

function notFound(respond: HlsResponder, message = 'not found'): Response {
  return respond(404, message + '\n', { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
}
