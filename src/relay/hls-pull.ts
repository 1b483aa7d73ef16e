// Pulls one HLS stream (RFC 8216 §6.3 client behaviour): master -> highest-bandwidth variant, start three segments
// from the live edge, reload every half target duration, fetch new segments in order, hand their media to the sink
// as FLV tag bodies (via HlsSegmentConverter; for fMP4 the EXT-X-MAP init section is fetched once per URI and range).
// One attempt per start(); the pull manager owns retries. Every request goes through get(), which
// fetches only http(s) URLs (shared/upstream-url.ts): whatever a playlist says, no local file is read.
import { checkFetchUrl } from '../shared/upstream-url.ts';
import { parseHlsPlaylist, pickVariant, type HlsMap, type HlsMediaPlaylist, type HlsSegment } from '../remux/hls-playlist-parser.ts';
import { HlsSegmentConverter } from './hls-pull-media.ts';
import { disconnectOnce, type PullClient, type PullClientOptions, type PullLog, type PullSink } from './pull-client.ts';

const DEFAULT_STALL_TIMEOUT_MS = 15_000;
/** segments behind the live edge to start with (RFC 8216 §6.3.3 asks for at least three target durations) */
const LIVE_EDGE_SEGMENTS = 3;
const MIN_RELOAD_MS = 100;
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;
const MAX_MASTER_HOPS = 2;

export type HlsPullOptions = PullClientOptions & {
  /** overrides the live-edge start (tests) */
  liveEdgeSegments?: number;
};

class StoppedError extends Error {}

export function createHlsPullClient(url: string, sink: PullSink, log: PullLog, options: HlsPullOptions = {}): PullClient {
  const abort = new AbortController();
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const edge = options.liveEdgeSegments ?? LIVE_EDGE_SEGMENTS;
  const tls = options.insecureTls ? { tls: { rejectUnauthorized: false } } : {};
  let stopped = false;
  let started = false;
  const { report } = disconnectOnce(sink);

  const get = async (target: string, what: string, range?: { offset: number; length: number }): Promise<Response> => {
    checkFetchUrl(target, `HLS ${what}`);
    const headers: Record<string, string> = {};
    if (range) headers.range = `bytes=${range.offset}-${range.offset + range.length - 1}`;
    const response = await fetch(target, { signal: abort.signal, headers, ...tls } as RequestInit);
    if (stopped) throw new StoppedError();
    if (!response.ok) {
      void response.body?.cancel();
      throw new Error(`${what} answered HTTP ${response.status}`);
    }
    return response;
  };

  const getText = async (target: string): Promise<string> => {
    const text = await (await get(target, 'playlist')).text();
    sink.onBytes(text.length);
    return text;
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (stopped) return reject(new StoppedError());
      const timer = setTimeout(() => {
        abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new StoppedError());
      };
      abort.signal.addEventListener('abort', onAbort, { once: true });
    });

  const loadMedia = async (): Promise<{ url: string; playlist: HlsMediaPlaylist }> => {
    let target = url;
    for (let hop = 0; hop <= MAX_MASTER_HOPS; hop++) {
      const playlist = parseHlsPlaylist(await getText(target), target);
      if (playlist.kind === 'media') return { url: target, playlist };
      const variant = pickVariant(playlist);
      log(`HLS master playlist: ${playlist.variants.length} variants, pulling ${variant.bandwidth} bit/s`);
      target = variant.uri;
    }
    throw new Error('HLS: master playlists nested too deep');
  };

  const run = async (): Promise<void> => {
    const converter = new HlsSegmentConverter();
    let connected = false;
    try {
      const media = await loadMedia();
      let playlist = media.playlist;
      let nextSequence: number | undefined;
      let lastDiscontinuitySequence: number | undefined;
      let lastProgress = Date.now();
      let lastTracks = '';
      for (;;) {
        const segments = playlist.segments;
        if (nextSequence === undefined || (segments.length > 0 && segments[segments.length - 1]!.sequence < nextSequence - 1)) {
          // first load, or the media sequence went backwards (the upstream restarted): join at the live edge
          if (nextSequence !== undefined) log('HLS media sequence went backwards: rejoining at the live edge');
          const first = playlist.endList ? segments[0] : segments[Math.max(0, segments.length - edge)];
          if (nextSequence !== undefined) converter.discontinue();
          nextSequence = first?.sequence ?? playlist.mediaSequence;
        }
        let skipped = segments.length > 0 && segments[0]!.sequence > nextSequence;
        if (skipped) log(`HLS fell behind: segments ${nextSequence}..${segments[0]!.sequence - 1} are gone`);
        for (const segment of segments) {
          if (segment.sequence < nextSequence) continue;
          const discontinuity =
            skipped ||
            segment.discontinuity ||
            (lastDiscontinuitySequence !== undefined && segment.discontinuitySequence !== lastDiscontinuitySequence);
          skipped = false;
          lastDiscontinuitySequence = segment.discontinuitySequence;
          nextSequence = segment.sequence + 1;
          if (segment.key) throw new Error(`HLS: encrypted segments (EXT-X-KEY METHOD=${segment.key.method.slice(0, 20)}) are not supported`);
          const bytes = await fetchSegment(segment);
          if (!bytes) {
            skipped = true;
            continue;
          }
          const init = segment.map ? await fetchInit(segment.map) : undefined;
          const out = converter.convert({ bytes, discontinuity, targetDurationSec: playlist.targetDurationSec, init });
          const tracks = out.tracks.map((t) => `${t.codec}@${t.pid}`).join(',');
          if (tracks !== lastTracks) {
            lastTracks = tracks;
            log(`HLS tracks: ${tracks || 'none'}`);
          }
          if (out.continuityGaps > 0) log(`HLS segment ${segment.sequence}: ${out.continuityGaps} continuity gaps`);
          if (!connected && out.tags.length > 0) {
            connected = true;
            sink.onConnected();
          }
          for (const tag of out.tags) {
            if (stopped) throw new StoppedError();
            sink.onPacket(tag.type, tag.timestampMs, tag.body);
          }
          lastProgress = Date.now();
        }
        if (playlist.endList) {
          report(null);
          return;
        }
        if (Date.now() - lastProgress > Math.max(stallTimeoutMs, 3 * playlist.targetDurationSec * 1000)) {
          throw new Error(`HLS playlist did not advance for ${Date.now() - lastProgress} ms`);
        }
        await sleep(Math.max(MIN_RELOAD_MS, (playlist.targetDurationSec * 1000) / 2));
        const reloaded = parseHlsPlaylist(await getText(media.url), media.url);
        if (reloaded.kind !== 'media') throw new Error('HLS: media playlist turned into a master playlist');
        playlist = reloaded;
      }
    } catch (error) {
      if (stopped || error instanceof StoppedError) report(null);
      else report((error as Error).message);
    }
  };

  /** The fMP4 init section (EXT-X-MAP), fetched once per URI and byte range. */
  let initCache: { key: string; bytes: Uint8Array } | undefined;
  const fetchInit = async (map: HlsMap): Promise<{ key: string; bytes: Uint8Array }> => {
    const key = map.byteRange ? `${map.uri}@${map.byteRange.offset}+${map.byteRange.length}` : map.uri;
    if (initCache?.key === key) return initCache;
    const response = await get(map.uri, 'init section', map.byteRange);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_SEGMENT_BYTES) {
      void response.body?.cancel();
      throw new Error(`HLS init section of ${declared} bytes is over the limit`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (stopped) throw new StoppedError();
    if (bytes.length > MAX_SEGMENT_BYTES) throw new Error(`HLS init section of ${bytes.length} bytes is over the limit`);
    sink.onBytes(bytes.length);
    initCache = { key, bytes };
    return initCache;
  };

  /** The segment's bytes, or undefined when it is already gone (404: we fell behind). */
  const fetchSegment = async (segment: HlsSegment): Promise<Uint8Array | undefined> => {
    let response: Response;
    try {
      response = await get(segment.uri, 'segment', segment.byteRange);
    } catch (error) {
      if (error instanceof Error && /HTTP (404|410)$/.test(error.message)) {
        log(`HLS segment ${segment.sequence} is gone (${error.message})`);
        return undefined;
      }
      throw error;
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_SEGMENT_BYTES) {
      void response.body?.cancel();
      throw new Error(`HLS segment of ${declared} bytes is over the limit`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (stopped) throw new StoppedError();
    if (bytes.length > MAX_SEGMENT_BYTES) throw new Error(`HLS segment of ${bytes.length} bytes is over the limit`);
    sink.onBytes(bytes.length);
    return bytes;
  };

  return {
    start() {
      if (started) return;
      started = true;
      void run();
    },
    stop() {
      stopped = true;
      abort.abort(new StoppedError('stopped'));
      report(null);
    },
  };
}
