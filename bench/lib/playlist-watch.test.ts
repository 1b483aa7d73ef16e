// The RTSP benchmark's playlist watcher against a stand-in HLS server: it follows Weir's session
// multivariant playlist to the media playlist, passes a stream whose newest segment advances and
// fails one that stops advancing or answers 404.
import { afterAll, expect, test } from 'bun:test';
import { PlaylistWatcher } from './playlist-watch.ts';

const started = performance.now();
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === '/gone/index.m3u8') return new Response('no', { status: 404 });
    if (!url.searchParams.has('weir_sid')) return new Response(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nindex.m3u8?weir_sid=abcdefghijklmnop0123\n`);
    // 'live' lists a new segment every 100 ms; 'stuck' stops after its first
    const newest = url.pathname.startsWith('/live') ? Math.floor((performance.now() - started) / 100) : 3;
    const first = Math.max(0, newest - 2);
    const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${first}`];
    for (let i = first; i <= newest; i++) lines.push('#EXTINF:0.1,', `s${i}.ts`);
    return new Response(lines.join('\n') + '\n');
  },
});
afterAll(() => server.stop(true));

test('advancing, stuck and missing playlists', async () => {
  const base = `http://127.0.0.1:${server.port}`;
  const w = new PlaylistWatcher([`${base}/live/index.m3u8`, `${base}/stuck/index.m3u8`, `${base}/gone/index.m3u8`], 50);
  w.start();
  try {
    const deadline = performance.now() + 5000;
    while (w.listing < 2 && performance.now() < deadline) await Bun.sleep(20);
    expect(w.listing).toBe(2);
    w.beginWindow();
    await Bun.sleep(800);
    const [live, stuck, gone] = w.endWindow(400);
    expect(live!.ok).toBe(true);
    expect(live!.advances).toBeGreaterThan(3);
    expect(stuck!.ok).toBe(false);
    expect(stuck!.advances).toBe(0);
    expect(gone!.ok).toBe(false);
    expect(gone!.lastStatus).toBe(404);
  } finally {
    w.stop();
  }
});
