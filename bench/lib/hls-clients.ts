// HLS clients for the HLS benchmark: a classic HLS client that polls index.m3u8 and fetches each
// new MPEG-TS segment, and an LL-HLS client that follows ll.m3u8 the way hls.js does (blocking
// playlist reload on the next part, then fetching the parts it lists) or, in 'preload-hint' mode,
// also requests each EXT-X-PRELOAD-HINT part, which the server holds until the part exists
// (draft-pantos-hls-rfc8216bis §6.2.5.2, §6.2.6). Each new segment or part becomes a MediaSample:
// when it was first listed, when its bytes were in hand, and (when parsing) its video DTS range.
// The same classes serve as the latency watchers (parse on) and as load viewers (parse off).
import { HttpKeepAliveClient, type HttpGetResult } from './hls-http-client.ts';
import { parseMediaPlaylist, type MediaPlaylist } from './hls-m3u8.ts';
import { fmp4VideoDts, fmp4VideoTrack, tsVideoDts, type Fmp4VideoTrack, type VideoDtsRange } from './hls-media-probe.ts';

export type MediaSample = {
  uri: string;
  msn: number;
  /** part index for LL-HLS parts */
  part: number | undefined;
  durationSec: number;
  /** when the playlist response that first listed it had arrived */
  listedMs: number;
  /** when its last byte had arrived */
  gotMs: number;
  via: 'playlist' | 'hint';
  bytes: number;
  dts: VideoDtsRange | undefined;
};

export type ClientStats = {
  playlistRequests: number;
  mediaRequests: number;
  samples: number;
  stalls: number;
  longestGapMs: number;
  errors: number;
  /** non-200 answers to playlist or media requests (503 on a timed-out blocking reload included) */
  badStatus: number;
};

export type HlsClientOptions = {
  host: string;
  port: number;
  /** app/stream, e.g. live/bench */
  streamPath: string;
  /** parse media for DTS (watchers); viewers only count bytes */
  parse: boolean;
  onSample?: (s: MediaSample) => void;
  /** stall: the next segment/part not in hand within this factor x the previous one's duration */
  stallFactor?: number;
};

const DEFAULT_STALL_FACTOR = 1.5;
const RETRY_MS = 100;
const decoder = new TextDecoder();

abstract class HlsClient {
  readonly stats: ClientStats = { playlistRequests: 0, mediaRequests: 0, samples: 0, stalls: 0, longestGapMs: 0, errors: 0, badStatus: 0 };
  lastError: string | undefined;
  protected stopped = false;
  protected readonly seen = new Set<string>();
  protected readonly clients: HttpKeepAliveClient[] = [];
  protected readonly playlistClient: HttpKeepAliveClient;
  /** stalls and gaps count only when the gap ends at or after this time (set it when the window opens) */
  measureFromMs = Number.POSITIVE_INFINITY;
  private lastGotMs = -1;
  private lastDurationSec = 0;

  constructor(protected readonly opts: HlsClientOptions) {
    this.playlistClient = this.client(true);
  }

  abstract start(): void;

  stop(nowMs = performance.now()): void {
    if (this.stopped) return;
    this.stopped = true;
    this.checkGap(nowMs);
    for (const c of this.clients) c.close();
  }

  /** bytes received so far on the playlist connection and on the media connections (HTTP heads included) */
  wireBytes(): { playlist: number; media: number } {
    let media = 0;
    for (const c of this.clients) if (c !== this.playlistClient) media += c.wireBytesIn;
    return { playlist: this.playlistClient.wireBytesIn, media };
  }

  protected client(keepBody: boolean): HttpKeepAliveClient {
    const c = new HttpKeepAliveClient(this.opts.host, this.opts.port, keepBody);
    this.clients.push(c);
    return c;
  }

  private withSession(file: string): string {
    return this.sessionQuery === '' ? file : file + (file.includes('?') ? '&' : '?') + this.sessionQuery;
  }

  protected url(file: string): string {
    return `/${this.opts.streamPath}/${file}`;
  }

  /** the playback session the engine handed this client in its first (multivariant) playlist */
  private sessionQuery = '';

  protected async getPlaylist(client: HttpKeepAliveClient, file: string): Promise<{ res: HttpGetResult; playlist: MediaPlaylist } | undefined> {
    this.stats.playlistRequests++;
    let res = await client.get(this.url(this.withSession(file)));
    if (res.status === 200 && this.sessionQuery === '') {
      // As a player does: the first answer names the media playlist with a session id; poll that one.
      const text = decoder.decode(res.body);
      const uri = text.includes('#EXT-X-STREAM-INF') ? text.split('\n').find((l) => l.length > 0 && !l.startsWith('#')) : undefined;
      if (uri?.includes('?')) {
        this.sessionQuery = uri.slice(uri.indexOf('?') + 1);
        this.stats.playlistRequests++;
        res = await client.get(this.url(this.withSession(file)));
      }
    }
    if (res.status !== 200) {
      this.stats.badStatus++;
      return undefined;
    }
    return { res, playlist: parseMediaPlaylist(decoder.decode(res.body)) };
  }

  protected emit(sample: MediaSample): void {
    if (this.stopped) return;
    this.checkGap(sample.gotMs);
    this.lastGotMs = Math.max(this.lastGotMs, sample.gotMs);
    this.lastDurationSec = sample.durationSec;
    this.stats.samples++;
    this.opts.onSample?.(sample);
  }

  /** a stall: nothing new in hand for longer than stallFactor x the duration of what came last */
  private checkGap(nowMs: number): void {
    if (this.lastGotMs < 0 || nowMs < this.measureFromMs) return;
    const gap = nowMs - this.lastGotMs;
    if (gap > this.stats.longestGapMs) this.stats.longestGapMs = gap;
    if (gap > (this.opts.stallFactor ?? DEFAULT_STALL_FACTOR) * this.lastDurationSec * 1000) this.stats.stalls++;
  }

  protected error(err: unknown): void {
    if (this.stopped) return;
    this.stats.errors++;
    this.lastError = err instanceof Error ? err.message : String(err);
  }
}

/** Classic HLS: polls index.m3u8 every pollMs and fetches each segment that appears. */
export class ClassicHlsClient extends HlsClient {
  private readonly mediaClient: HttpKeepAliveClient;
  private first = true;

  constructor(
    opts: HlsClientOptions,
    private readonly pollMs: number,
  ) {
    super(opts);
    this.mediaClient = this.client(opts.parse);
  }

  start(): void {
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = performance.now();
      try {
        const got = await this.getPlaylist(this.playlistClient, 'index.m3u8');
        if (got) this.onPlaylist(got.playlist, got.res.doneMs);
      } catch (err) {
        this.error(err);
      }
      const wait = started + this.pollMs - performance.now();
      if (wait > 0) await Bun.sleep(wait);
    }
  }

  private onPlaylist(playlist: MediaPlaylist, listedMs: number): void {
    for (const seg of playlist.segments) {
      if (this.seen.has(seg.uri)) continue;
      this.seen.add(seg.uri);
      if (this.first) continue; // already there when we started: when it appeared is unknown
      void this.fetchSegment(seg.uri, seg.msn, seg.durationSec, listedMs);
    }
    this.first = false;
  }

  private async fetchSegment(uri: string, msn: number, durationSec: number, listedMs: number): Promise<void> {
    try {
      this.stats.mediaRequests++;
      const res = await this.mediaClient.get(this.url(uri));
      if (res.status !== 200) {
        this.stats.badStatus++;
        return;
      }
      const dts = this.opts.parse ? tsVideoDts(res.body) : undefined;
      this.emit({ uri, msn, part: undefined, durationSec, listedMs, gotMs: res.doneMs, via: 'playlist', bytes: res.bodyBytes, dts });
    } catch (err) {
      this.error(err);
    }
  }
}

export type LlMode = 'blocking-reload' | 'preload-hint';

/** LL-HLS: blocking reload of ll.m3u8 for the next part; new parts fetched, or awaited through the preload hint. */
export class LowLatencyHlsClient extends HlsClient {
  private readonly mediaClient: HttpKeepAliveClient;
  private readonly hintClient: HttpKeepAliveClient | undefined;
  private video: Fmp4VideoTrack | undefined;
  /** part URIs requested through a preload hint and not yet answered */
  private readonly hinted = new Set<string>();
  private readonly listedAt = new Map<string, number>();
  private partTargetSec = 1;

  constructor(
    opts: HlsClientOptions,
    readonly mode: LlMode,
  ) {
    super(opts);
    this.mediaClient = this.client(opts.parse);
    this.hintClient = mode === 'preload-hint' ? this.client(opts.parse) : undefined;
  }

  start(): void {
    void this.loop();
  }

  private async loop(): Promise<void> {
    let next: { msn: number; part: number } | undefined;
    while (!this.stopped) {
      try {
        const query = next ? `?_HLS_msn=${next.msn}&_HLS_part=${next.part}` : '';
        const got = await this.getPlaylist(this.playlistClient, `ll.m3u8${query}`);
        if (!got) {
          await Bun.sleep(RETRY_MS); // 503: the part did not come in time; ask again
          continue;
        }
        const { playlist, res } = got;
        this.partTargetSec = playlist.partTargetSec ?? this.partTargetSec;
        if (!next) await this.initialize(playlist);
        else this.onPlaylist(playlist, res.doneMs);
        if (playlist.ended) break;
        const last = playlist.parts.at(-1);
        if (last) next = { msn: last.msn, part: last.index + 1 };
        else {
          const lastSeg = playlist.segments.at(-1);
          next = { msn: lastSeg ? lastSeg.msn + 1 : playlist.mediaSequence, part: 0 };
        }
      } catch (err) {
        this.error(err);
        await Bun.sleep(RETRY_MS);
      }
    }
  }

  private async initialize(playlist: MediaPlaylist): Promise<void> {
    for (const p of playlist.parts) this.seen.add(p.uri);
    this.requestHint(playlist);
    if (this.opts.parse && playlist.mapUri) {
      const init = await this.mediaClient.get(this.url(playlist.mapUri));
      if (init.status === 200) this.video = fmp4VideoTrack(init.body);
      if (!this.video) throw new Error('LL-HLS init segment without a video track');
    }
  }

  private onPlaylist(playlist: MediaPlaylist, listedMs: number): void {
    for (const p of playlist.parts) {
      if (this.seen.has(p.uri)) continue;
      this.seen.add(p.uri);
      this.listedAt.set(p.uri, listedMs);
      if (this.hinted.has(p.uri)) continue; // the hint request will bring it
      void this.fetchPart(this.mediaClient, p.uri, p.msn, p.index, p.durationSec, 'playlist');
    }
    this.requestHint(playlist);
  }

  private requestHint(playlist: MediaPlaylist): void {
    const hint = playlist.preloadHintUri;
    if (this.hintClient && hint && !this.seen.has(hint) && !this.hinted.has(hint)) {
      this.hinted.add(hint);
      const at = parsePartUri(hint);
      // a hinted part's duration is not known yet: PART-TARGET bounds it
      void this.fetchPart(this.hintClient, hint, at?.msn ?? -1, at?.part ?? -1, this.partTargetSec, 'hint');
    }
  }

  private async fetchPart(client: HttpKeepAliveClient, uri: string, msn: number, part: number, durationSec: number, via: 'playlist' | 'hint'): Promise<void> {
    try {
      this.stats.mediaRequests++;
      const res = await client.get(this.url(uri));
      if (via === 'hint') this.hinted.delete(uri);
      if (res.status !== 200) {
        this.stats.badStatus++;
        if (via === 'hint') this.hintFailed(uri);
        return;
      }
      this.seen.add(uri);
      const dts = this.opts.parse && this.video ? fmp4VideoDts(res.body, this.video) : undefined;
      const listedMs = this.listedAt.get(uri) ?? Number.NaN;
      this.listedAt.delete(uri);
      this.emit({ uri, msn, part, durationSec, listedMs, gotMs: res.doneMs, via, bytes: res.bodyBytes, dts });
    } catch (err) {
      this.error(err);
      if (via === 'hint') {
        this.hinted.delete(uri);
        this.hintFailed(uri);
      }
    }
  }

  /** a hint that did not bring its part: fetch it normally if a playlist listed it meanwhile */
  private hintFailed(uri: string): void {
    const listed = this.listedAt.get(uri);
    if (listed === undefined || this.stopped) return;
    const at = parsePartUri(uri);
    void this.fetchPart(this.mediaClient, uri, at?.msn ?? -1, at?.part ?? -1, this.partTargetSec, 'playlist');
  }
}

/** msn and part index from the engine's part names (ll-{tag}-{msn}.{part}.m4s) */
function parsePartUri(uri: string): { msn: number; part: number } | undefined {
  const m = /-(\d+)\.(\d+)\.m4s$/.exec(uri);
  return m ? { msn: Number(m[1]), part: Number(m[2]) } : undefined;
}
