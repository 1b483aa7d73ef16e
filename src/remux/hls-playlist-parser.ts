// HLS playlist parser (RFC 8216 §4): media playlists (§4.3.2 EXTINF, TARGETDURATION, MEDIA-SEQUENCE,
// DISCONTINUITY-SEQUENCE, DISCONTINUITY, MAP, KEY, BYTERANGE, ENDLIST) and master playlists (§4.3.4.2 STREAM-INF).
// Separate from hls-playlist.ts (our renderer); URIs come back resolved against the playlist URL, and
// every URI a puller could fetch (variant, segment, EXT-X-MAP, EXT-X-KEY) must resolve to http(s):
// a playlist naming file:///etc/passwd is refused as a whole, before anything is fetched.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { resolveFetchUrl, UpstreamUrlError } from '../shared/upstream-url.ts';

export type HlsByteRange = Readonly<{ length: number; offset: number }>;
export type HlsMap = Readonly<{ uri: string; byteRange?: HlsByteRange }>;
/** EXT-X-KEY in force (§4.3.2.4): METHOD, and the key's URI unless METHOD is NONE */
export type HlsKey = Readonly<{ method: string; uri?: string }>;

export type HlsSegment = Readonly<{
  uri: string;
  /** media sequence number (§4.3.3.2) */
  sequence: number;
  durationSec: number;
  /** an EXT-X-DISCONTINUITY came before this segment */
  discontinuity: boolean;
  /** discontinuity sequence number of this segment (§4.3.3.3) */
  discontinuitySequence: number;
  byteRange?: HlsByteRange;
  /** the EXT-X-MAP in force (fMP4 init section) */
  map?: HlsMap;
  /** the EXT-X-KEY in force, when it is not METHOD=NONE (the segment is encrypted) */
  key?: HlsKey;
}>;

export type HlsMediaPlaylist = Readonly<{
  kind: 'media';
  targetDurationSec: number;
  mediaSequence: number;
  segments: readonly HlsSegment[];
  endList: boolean;
}>;

export type HlsVariant = Readonly<{ uri: string; bandwidth: number; codecs?: string; resolution?: string }>;
export type HlsMasterPlaylist = Readonly<{ kind: 'master'; variants: readonly HlsVariant[] }>;
export type HlsPlaylist = HlsMediaPlaylist | HlsMasterPlaylist;

export const MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;
const MAX_SEGMENTS = 100_000;

/** Parses an attribute list (§4.2): KEY=value pairs, values possibly quoted. */
export function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Z0-9-]+)=("[^"]*"|[^,]*)\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while (re.lastIndex < text.length && (match = re.exec(text)) !== null) {
    const value = match[2]!;
    out.set(match[1]!, value.startsWith('"') ? value.slice(1, -1) : value);
    if (match[0].length === 0) break;
  }
  return out;
}

function resolve(uri: string, baseUrl: string, what: string): string {
  try {
    return resolveFetchUrl(uri, baseUrl, what);
  } catch (error) {
    const code = error instanceof UpstreamUrlError && error.reason === 'refused' ? ProtocolErrorCode.Unsupported : ProtocolErrorCode.Malformed;
    throw new ProtocolError(code, `HLS: ${(error as Error).message}`);
  }
}

function parseByteRange(text: string, previousEnd: number): HlsByteRange {
  const [length, offset] = text.split('@');
  const n = Number(length);
  const o = offset === undefined ? previousEnd : Number(offset);
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(o) || o < 0) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `HLS: BYTERANGE ${text}`);
  }
  return { length: n, offset: o };
}

function number(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new ProtocolError(ProtocolErrorCode.Malformed, `HLS: ${what} ${text}`);
  return n;
}

export function parseHlsPlaylist(text: string, baseUrl: string): HlsPlaylist {
  if (text.length > MAX_PLAYLIST_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, 'HLS: playlist too large');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new ProtocolError(ProtocolErrorCode.Malformed, 'HLS: no #EXTM3U');
  const variants: HlsVariant[] = [];
  const segments: HlsSegment[] = [];
  let targetDurationSec: number | undefined;
  let mediaSequence = 0;
  let discontinuitySequence = 0;
  let endList = false;
  let pendingVariant: Map<string, string> | undefined;
  let duration: number | undefined;
  let discontinuity = false;
  let byteRange: HlsByteRange | undefined;
  let byteRangeEnd = 0;
  let map: HlsMap | undefined;
  let key: HlsKey | undefined;
  let sawMediaTag = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (!line.startsWith('#')) {
      if (pendingVariant) {
        const bandwidth = Number(pendingVariant.get('BANDWIDTH') ?? '0');
        const variant: { uri: string; bandwidth: number; codecs?: string; resolution?: string } = {
          uri: resolve(line, baseUrl, 'variant playlist'),
          bandwidth: Number.isFinite(bandwidth) ? bandwidth : 0,
        };
        const codecs = pendingVariant.get('CODECS');
        const resolution = pendingVariant.get('RESOLUTION');
        if (codecs !== undefined) variant.codecs = codecs;
        if (resolution !== undefined) variant.resolution = resolution;
        variants.push(variant);
        pendingVariant = undefined;
      } else if (duration !== undefined) {
        if (discontinuity) discontinuitySequence += segments.length > 0 ? 1 : 0;
        const segment: { -readonly [K in keyof HlsSegment]: HlsSegment[K] } = {
          uri: resolve(line, baseUrl, 'segment'),
          sequence: mediaSequence + segments.length,
          durationSec: duration,
          discontinuity,
          discontinuitySequence,
        };
        if (byteRange) segment.byteRange = byteRange;
        if (map) segment.map = map;
        if (key) segment.key = key;
        segments.push(segment);
        if (segments.length > MAX_SEGMENTS) throw new ProtocolError(ProtocolErrorCode.TooLarge, 'HLS: too many segments');
        duration = undefined;
        discontinuity = false;
        byteRange = undefined;
      }
      continue;
    }
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXT-X-STREAM-INF':
        pendingVariant = parseAttributes(value);
        break;
      case '#EXT-X-TARGETDURATION':
        targetDurationSec = number(value, 'TARGETDURATION');
        sawMediaTag = true;
        break;
      case '#EXT-X-MEDIA-SEQUENCE':
        mediaSequence = Math.floor(number(value, 'MEDIA-SEQUENCE'));
        break;
      case '#EXT-X-DISCONTINUITY-SEQUENCE':
        discontinuitySequence = Math.floor(number(value, 'DISCONTINUITY-SEQUENCE'));
        break;
      case '#EXTINF':
        duration = number(value.split(',')[0]!, 'EXTINF');
        sawMediaTag = true;
        break;
      case '#EXT-X-DISCONTINUITY':
        discontinuity = true;
        break;
      case '#EXT-X-BYTERANGE':
        byteRange = parseByteRange(value, byteRangeEnd);
        byteRangeEnd = byteRange.offset + byteRange.length;
        break;
      case '#EXT-X-MAP': {
        const attrs = parseAttributes(value);
        const uri = attrs.get('URI');
        if (uri === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, 'HLS: EXT-X-MAP without URI');
        const range = attrs.get('BYTERANGE');
        const mapUri = resolve(uri, baseUrl, 'EXT-X-MAP');
        map = range === undefined ? { uri: mapUri } : { uri: mapUri, byteRange: parseByteRange(range, 0) };
        break;
      }
      case '#EXT-X-KEY': {
        const attrs = parseAttributes(value);
        const method = attrs.get('METHOD') ?? '';
        if (method === 'NONE') {
          key = undefined;
          break;
        }
        const uri = attrs.get('URI');
        if (uri === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, `HLS: EXT-X-KEY METHOD=${method.slice(0, 20)} without URI`);
        key = { method, uri: resolve(uri, baseUrl, 'EXT-X-KEY') };
        break;
      }
      case '#EXT-X-ENDLIST':
        endList = true;
        break;
      default:
        break; // other tags (and comments) do not matter to a puller
    }
  }
  if (variants.length > 0 && !sawMediaTag) return { kind: 'master', variants };
  if (targetDurationSec === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, 'HLS: no EXT-X-TARGETDURATION');
  return { kind: 'media', targetDurationSec, mediaSequence, segments, endList };
}

/** The variant with the highest BANDWIDTH (the first one on a tie). */
export function pickVariant(master: HlsMasterPlaylist): HlsVariant {
  let best: HlsVariant | undefined;
  for (const v of master.variants) if (!best || v.bandwidth > best.bandwidth) best = v;
  if (!best) throw new ProtocolError(ProtocolErrorCode.Malformed, 'HLS: master playlist without variants');
  return best;
}
