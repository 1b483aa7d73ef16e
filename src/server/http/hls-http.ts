// Serves HLS and LL-HLS from memory: playlists (with blocking reload and delta updates for
// LL-HLS, rfc8216bis §6.2.5), segments, parts and init segments, with cache headers that let
// any HTTP cache or CDN sit in front: playlists are not cached, media is immutable.
// A playlist can carry its request's query (a play token) into every URI it lists, so the
// segment, part and init requests a player makes from it carry the same token.
// Playback sessions: a player that asks for index.m3u8 or ll.m3u8 without a session id gets a
// one-variant multivariant playlist whose only URI is the same playlist with its token and a new
// session id (weir_sid, as Wowza's and Nimble's session playlists do); players reload the media
// playlist by that URI, so each player's polls carry its own id and viewers behind one address
// are told apart. Segment URIs do not carry it: media stays the same URL for every player, as a
// CDN in front needs.
import type { HlsOutput } from '../../outputs/hls/hls-output.ts';
import type { HlsVariant } from '../../outputs/hls/hls-variant.ts';
import { isLookbackParam } from '../../record/lookback-query.ts';

export const HlsContentType = {
  Playlist: 'application/vnd.apple.mpegurl',
  Ts: 'video/mp2t',
  Mp4: 'video/mp4',
} as const;

const IMMUTABLE = 'public, max-age=86400, immutable';
const PLAYLIST_CACHE = 'no-cache';

export type HlsResponder = (status: number, body: string | Uint8Array | null, headers: Record<string, string>) => Response;

// Alike in shape to relay/backoff.ts's options (documented optional fields): a different record.
export type HlsRequest = Readonly<{
  file: string;
  search: URLSearchParams;
  /** appended to every URI of a playlist response (already encoded, without '?'); empty: none */
  uriQuery?: string;
  /** called when a media playlist is answered (a player polled): what viewer counts rest on */
  onMediaPlaylist?: () => void;
}>;

/** Query parameters that steer LL-HLS delivery (rfc8216bis §6.2.5) rather than say who is asking. */
const DELIVERY_DIRECTIVE = /^_HLS_/;

/** The query parameter that carries an HLS playback session id. */
export const HLS_SESSION_PARAM = 'weir_sid';
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const SESSION_ID_BYTES = 12;

/** The request's playback session id, if it carries a well-formed one. */
export function hlsSessionId(search: URLSearchParams): string | undefined {
  const value = search.get(HLS_SESSION_PARAM);
  return value !== null && SESSION_ID_PATTERN.test(value) ? value : undefined;
}

/** 96 random bits, base64url: 16 characters. */
export function newHlsSessionId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(SESSION_ID_BYTES))).toString('base64url');
}

/**
 * The part of a request's query that identifies the viewer (keys, tokens, expiry): what
 * admission is asked about and what playlists hand on to media URIs. Re-encoded, so it holds
 * no quote, space or line break and fits in a quoted playlist attribute.
 */
export function viewerQuery(search: URLSearchParams): string {
  const kept = new URLSearchParams();
  // Look-back and time-shift parameters say what to play, not who asks: media URIs need none of them.
  for (const [key, value] of search) if (!DELIVERY_DIRECTIVE.test(key) && key !== HLS_SESSION_PARAM && !isLookbackParam(key)) kept.append(key, value);
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
  const { file } = request;
  if (file === 'index.m3u8') return servePlaylist(output.ts, request, respond, false);
  if (file === 'll.m3u8') return servePlaylist(output.ll, request, respond, true);
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

async function servePlaylist(variant: HlsVariant | null, request: HlsRequest, respond: HlsResponder, lowLatency: boolean): Promise<Response> {
  const { file, search } = request;
  const uriQuery = request.uriQuery ?? '';
  if (!variant) return notFound(respond, 'this HLS variant is not enabled');
  if (variant.unavailable && !variant.hasContent) return notFound(respond, "this stream's codecs cannot be carried in this HLS variant");
  const waitMs = firstContentWaitMs(variant);
  const hasSegments = () => variant.segments.length > 0 || variant.ended;
  if (!(await variant.waitUntil(hasSegments, waitMs))) {
    return notFound(respond, 'no HLS media for this stream (not live yet, or its codecs cannot be carried)');
  }
  // A blocking or delta request names a media playlist the player already has: never a new session.
  const directed = [...search.keys()].some((key) => DELIVERY_DIRECTIVE.test(key));
  if (hlsSessionId(search) === undefined && !directed) {
    const query = [uriQuery, `${HLS_SESSION_PARAM}=${newHlsSessionId()}`].filter((q) => q.length > 0).join('&');
    return respond(200, sessionPlaylist(variant, `${file}?${query}`), { 'Content-Type': HlsContentType.Playlist, 'Cache-Control': 'private, no-store' });
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
  if (lowLatency && msnParam === null) await freshEdge(variant);
  const skipParam = search.get('_HLS_skip');
  const skip = lowLatency && (skipParam === 'YES' || skipParam === 'v2');
  const playlist = appendQueryToUris(variant.playlist(skip), uriQuery);
  request.onMediaPlaylist?.();
  return respond(200, playlist, { 'Content-Type': HlsContentType.Playlist, 'Cache-Control': PLAYLIST_CACHE });
}

/**
 * A player's first LL-HLS playlist (no _HLS_msn) is answered when the next part comes out, at
 * most a part target and a half later. hls.js takes the live point to be the end of the last
 * listed part plus the time since the playlist arrived, and places its start PART-HOLD-BACK
 * before that: a playlist answered at once is up to a part older than it looks, and the player
 * would keep that much more latency for as long as it plays. Answered as a part is published,
 * its edge is the live point.
 */
async function freshEdge(variant: HlsVariant): Promise<void> {
  if (variant.ended || !variant.open) return;
  const seen = variant.partsAdded;
  await variant.waitUntil(() => variant.partsAdded > seen || variant.ended, (variant.options.partTargetSec ?? 0) * 1500);
}

/**
 * The multivariant playlist of one session (rfc8216bis §4.4.6.2): one variant, the media playlist
 * with the session id. BANDWIDTH is the peak segment bit rate so far, as the tag asks.
 */
function sessionPlaylist(variant: HlsVariant, uri: string): string {
  let peakBitsPerSec = 1;
  for (const segment of variant.segments) {
    if (segment.bytes && segment.durationSec > 0) peakBitsPerSec = Math.max(peakBitsPerSec, Math.ceil((segment.bytes.byteLength * 8) / segment.durationSec));
  }
  return `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=${peakBitsPerSec}\n${uri}\n`;
}

function media(respond: HlsResponder, bytes: Uint8Array, contentType: string): Response {
  return respond(200, bytes, { 'Content-Type': contentType, 'Cache-Control': IMMUTABLE });
}

function notFound(respond: HlsResponder, message = 'not found'): Response {
  return respond(404, message + '\n', { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
}
