// Minimal HLS media playlist parser for the HLS benchmark's watchers and viewers (RFC 8216 §4.3,
// draft-pantos-hls-rfc8216bis §4.4.4.9 EXT-X-PART, §4.4.5.3 EXT-X-PRELOAD-HINT): segments and parts
// with their media sequence numbers, the init segment and the preload hint. Not a validator.

export type M3u8Part = { msn: number; index: number; uri: string; durationSec: number; independent: boolean };
export type M3u8Segment = { msn: number; uri: string; durationSec: number };

export type MediaPlaylist = {
  mediaSequence: number;
  targetDurationSec: number;
  segments: M3u8Segment[];
  /** every listed part, of complete segments and of the segment still being written, in order */
  parts: M3u8Part[];
  mapUri: string | undefined;
  preloadHintUri: string | undefined;
  partTargetSec: number | undefined;
  ended: boolean;
};

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const raw = m[2]!;
    out.set(m[1]!, raw.startsWith('"') ? raw.slice(1, -1) : raw);
  }
  return out;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== '#EXTM3U') throw new Error('not an M3U8 playlist');
  const out: MediaPlaylist = {
    mediaSequence: 0,
    targetDurationSec: 0,
    segments: [],
    parts: [],
    mapUri: undefined,
    preloadHintUri: undefined,
    partTargetSec: undefined,
    ended: false,
  };
  let msn = 0;
  let partIndex = 0;
  let pendingDuration: number | undefined;
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('#')) {
      out.segments.push({ msn, uri: line, durationSec: pendingDuration ?? 0 });
      pendingDuration = undefined;
      msn++;
      partIndex = 0;
      continue;
    }
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXT-X-MEDIA-SEQUENCE':
        out.mediaSequence = Number(value);
        msn = out.mediaSequence;
        break;
      case '#EXT-X-TARGETDURATION':
        out.targetDurationSec = Number(value);
        break;
      case '#EXTINF':
        pendingDuration = Number(value.split(',')[0]);
        break;
      case '#EXT-X-SKIP': {
        const skipped = Number(attributes(value).get('SKIPPED-SEGMENTS') ?? 0);
        msn += skipped;
        break;
      }
      case '#EXT-X-MAP':
        out.mapUri ??= attributes(value).get('URI');
        break;
      case '#EXT-X-PART-INF':
        out.partTargetSec = Number(attributes(value).get('PART-TARGET'));
        break;
      case '#EXT-X-PART': {
        const a = attributes(value);
        out.parts.push({
          msn,
          index: partIndex++,
          uri: a.get('URI') ?? '',
          durationSec: Number(a.get('DURATION') ?? 0),
          independent: a.get('INDEPENDENT') === 'YES',
        });
        break;
      }
      case '#EXT-X-PRELOAD-HINT': {
        const a = attributes(value);
        if (a.get('TYPE') === 'PART') out.preloadHintUri = a.get('URI');
        break;
      }
      case '#EXT-X-ENDLIST':
        out.ended = true;
        break;
      default:
        break;
    }
  }
  return out;
}
