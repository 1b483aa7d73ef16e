// HLS players hold no connection: they poll. A player counts as watching a stream while it
// has fetched one of its media playlists within the last window; players are told apart by
// their playback session id (hls-http.ts hands one to each player in the playlist URI it
// reloads), so twenty players behind one address count twenty. Requests without one fall back
// to client address and viewer query (its token).
export type HlsViewerProtocol = 'hls' | 'll-hls';

const DEFAULT_WINDOW_MS = 10_000;
const MAX_TRACKED = 100_000;
const PRUNE_EVERY_RECORDS = 10_000;

export class HlsViewerTracker {
  private readonly lastSeen = new Map<string, Map<string, number>>();
  private tracked = 0;
  private records = 0;

  constructor(
    private readonly windowMs = DEFAULT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  record(path: string, protocol: HlsViewerProtocol, who: string): void {
    let byViewer = this.lastSeen.get(path);
    if (!byViewer) {
      byViewer = new Map();
      this.lastSeen.set(path, byViewer);
    }
    const key = `${protocol}|${who}`;
    if (!byViewer.has(key)) this.tracked++;
    byViewer.set(key, this.now());
    if (this.tracked > MAX_TRACKED || ++this.records % PRUNE_EVERY_RECORDS === 0) this.prune();
  }

  /** Viewers per protocol that polled `path` within the window. */
  count(path: string): Partial<Record<HlsViewerProtocol, number>> {
    const byViewer = this.lastSeen.get(path);
    const counts: Partial<Record<HlsViewerProtocol, number>> = {};
    if (!byViewer) return counts;
    const since = this.now() - this.windowMs;
    for (const [key, atMs] of byViewer) {
      if (atMs < since) continue;
      const protocol = key.slice(0, key.indexOf('|')) as HlsViewerProtocol;
      counts[protocol] = (counts[protocol] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * Viewers of `paths` (default: all) that were watching just before `sinceMs` (polled within the
   * window before it) and have not polled since: during shutdown, those not yet served the final playlist.
   */
  waitingSince(sinceMs: number, paths: Iterable<string> = this.lastSeen.keys()): number {
    let waiting = 0;
    for (const path of paths) {
      for (const atMs of this.lastSeen.get(path)?.values() ?? []) if (atMs < sinceMs && atMs >= sinceMs - this.windowMs) waiting++;
    }
    return waiting;
  }

  /** Forgets viewers that stopped polling; call now and then. */
  prune(): void {
    const since = this.now() - this.windowMs;
    this.tracked = 0;
    for (const [path, byViewer] of this.lastSeen) {
      for (const [key, atMs] of byViewer) if (atMs < since) byViewer.delete(key);
      if (byViewer.size === 0) this.lastSeen.delete(path);
      this.tracked += byViewer.size;
    }
    // Still too many within the window: a flood of distinct addresses; start afresh.
    if (this.tracked > MAX_TRACKED) {
      this.lastSeen.clear();
      this.tracked = 0;
    }
  }
}
