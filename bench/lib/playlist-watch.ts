// Whether each stream's classic HLS playlist keeps advancing: polls every stream's index.m3u8 at a
// fixed interval (one request at a time per stream, a bounded timeout) and records when the newest
// listed segment changed. A stream passes a window when its newest segment advanced during it and
// no gap between advances (or from the last one to the window's end) exceeded the allowed gap.
// Weir answers a first request without a session id with a one-variant multivariant playlist
// (src/server/http/hls-http.ts): the watcher follows its URI and polls that from then on, as a player does.
import { parseMediaPlaylist } from './hls-m3u8.ts';

export type PlaylistVerdict = {
  url: string;
  ok: boolean;
  /** segments that became the newest during the window */
  advances: number;
  longestGapMs: number;
  errors: number;
  lastStatus: number;
};

type Watch = { url: string; mediaUrl: string; lastMsn: number; lastChangeMs: number; advances: number; longestGapMs: number; errors: number; lastStatus: number; busy: boolean };

export class PlaylistWatcher {
  private readonly watches: Watch[];
  private timer: ReturnType<typeof setInterval> | undefined;
  private windowStartMs = 0;

  constructor(urls: readonly string[], private readonly pollMs = 1000) {
    this.watches = urls.map((url) => ({ url, mediaUrl: url, lastMsn: -1, lastChangeMs: 0, advances: 0, longestGapMs: 0, errors: 0, lastStatus: 0, busy: false }));
  }

  start(): void {
    this.timer = setInterval(() => {
      for (const w of this.watches) if (!w.busy) void this.poll(w);
    }, this.pollMs);
  }

  /** counters start from now; call once the streams are warm */
  beginWindow(): void {
    this.windowStartMs = performance.now();
    for (const w of this.watches) {
      w.advances = 0;
      w.longestGapMs = 0;
      w.errors = 0;
      // a stream that has listed nothing yet counts its gap from the window's start
      if (w.lastMsn < 0) w.lastChangeMs = this.windowStartMs;
      else w.lastChangeMs = Math.max(w.lastChangeMs, this.windowStartMs);
    }
  }

  /** verdicts of the window; the watcher goes on polling until stop() */
  endWindow(maxGapMs: number): PlaylistVerdict[] {
    const now = performance.now();
    return this.watches.map((w) => {
      const longest = Math.max(w.longestGapMs, now - w.lastChangeMs);
      return { url: w.url, ok: w.advances > 0 && longest <= maxGapMs, advances: w.advances, longestGapMs: Math.round(longest), errors: w.errors, lastStatus: w.lastStatus };
    });
  }

  /** streams whose playlist lists at least one segment */
  get listing(): number {
    return this.watches.filter((w) => w.lastMsn >= 0).length;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(w: Watch): Promise<void> {
    w.busy = true;
    try {
      const res = await fetch(w.mediaUrl, { signal: AbortSignal.timeout(Math.max(2000, this.pollMs * 2)) });
      w.lastStatus = res.status;
      const text = await res.text();
      if (res.status !== 200) {
        w.errors++;
        return;
      }
      if (text.includes('#EXT-X-STREAM-INF')) {
        const uri = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#'));
        if (uri) w.mediaUrl = new URL(uri.trim(), w.mediaUrl).href;
        return;
      }
      const pl = parseMediaPlaylist(text);
      const newest = pl.segments.at(-1)?.msn ?? -1;
      if (newest > w.lastMsn) {
        const now = performance.now();
        if (w.lastMsn >= 0 && now >= this.windowStartMs && this.windowStartMs > 0) {
          w.longestGapMs = Math.max(w.longestGapMs, now - w.lastChangeMs);
          w.advances++;
        }
        w.lastMsn = newest;
        w.lastChangeMs = now;
      }
    } catch {
      w.errors++;
      w.lastStatus = -1;
    } finally {
      w.busy = false;
    }
  }
}
