// Proves the browser harness (test/browser/browser.ts) against sources that don't involve Weir:
// ffmpeg writing a live HLS playlist into a temp dir, and ffmpeg's FLV output streamed over
// HTTP and over a WebSocket. Each media server is on its own port, so the players (loaded from
// the harness's page server) depend on the media server's CORS headers, exactly as with Weir.
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ServerWebSocket } from 'bun';
import { launchBrowser, openPlayerPage, type Browser, type PlayerPage } from './browser.ts';

const CORS = { 'access-control-allow-origin': '*' };

/** Real-time H.264 + AAC test pattern; `-t` bounds every ffmpeg even if something leaks. */
const PATTERN = [
  '-hide_banner', '-loglevel', 'error', '-re',
  '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
  '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
  '-t', '120',
  '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p',
  '-c:a', 'aac', '-b:a', '64k',
];

const children = new Set<Bun.Subprocess>();
const servers: Array<{ stop(force?: boolean): unknown }> = [];
const pages: PlayerPage[] = [];
const tempDirs: string[] = [];
let browserPromise: Promise<Browser> | undefined;

/** One browser for the file, launched by the first test (so a missing Chromium fails each test). */
function browser(): Promise<Browser> {
  browserPromise ??= launchBrowser();
  return browserPromise;
}

function spawnFfmpeg(args: string[], options: { cwd?: string } = {}) {
  const proc = Bun.spawn(['ffmpeg', ...args], { cwd: options.cwd, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  children.add(proc);
  void proc.exited.then(() => children.delete(proc));
  return proc;
}

function killByPid(proc: Bun.Subprocess) {
  if (proc.exitCode === null && proc.signalCode === null) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {}
  }
}

async function open(options: Parameters<typeof openPlayerPage>[1]): Promise<PlayerPage> {
  const player = await openPlayerPage(await browser(), options);
  pages.push(player);
  return player;
}

afterAll(async () => {
  for (const player of pages) await player.close().catch(() => {});
  if (browserPromise) await (await browserPromise.catch(() => undefined))?.close().catch(() => {});
  for (const proc of [...children]) {
    killByPid(proc);
    await proc.exited;
  }
  for (const server of servers) server.stop(true);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** ffmpeg writing a sliding-window live HLS playlist (1 s segments) into a fresh temp dir. */
async function startLiveHls() {
  const dir = mkdtempSync(join(tmpdir(), 'weir-browser-hls-'));
  tempDirs.push(dir);
  const proc = spawnFfmpeg(
    [...PATTERN, '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments', 'index.m3u8'],
    { cwd: dir },
  );
  const stderr = new Response(proc.stderr).text();
  const playlist = join(dir, 'index.m3u8');
  // Three segments before any player starts, so hls.js has a live window to start in.
  await waitFor('ffmpeg to write 3 HLS segments', 20_000, async () => {
    if (proc.exitCode !== null) throw new Error(`ffmpeg (HLS) exited with ${proc.exitCode}: ${await stderr}`);
    if (!existsSync(playlist)) return undefined;
    const segments = readFileSync(playlist, 'utf8').split('\n').filter((line) => line.endsWith('.ts'));
    return segments.length >= 3 ? true : undefined;
  });
  return { dir, proc };
}

/** Serves the files of `dir`; records the Origin header of each request. */
function serveDir(dir: string, options: { cors: boolean }) {
  const origins: string[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      origins.push(req.headers.get('origin') ?? '');
      const name = basename(decodeURIComponent(new URL(req.url).pathname));
      const file = Bun.file(join(dir, name));
      const headers: Record<string, string> = { 'cache-control': 'no-cache', ...(options.cors ? CORS : {}) };
      if (!name || !(await file.exists())) return new Response('not found', { status: 404, headers });
      headers['content-type'] = name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
      return new Response(file, { headers });
    },
  });
  servers.push(server);
  return { origins, url: (path: string) => `http://127.0.0.1:${server.port}/${path}` };
}

describe('browser harness (Chromium + hls.js / mpegts.js, no Weir)', () => {
  test('hls.js plays a live HLS playlist from another origin', async () => {
    const { dir } = await startLiveHls();
    const media = serveDir(dir, { cors: true });
    const player = await open({ kind: 'hls', url: media.url('index.m3u8') });

    const progress = await player.waitForProgress(2, 20_000);
    expect(progress.advanced).toBeGreaterThanOrEqual(2);
    expect(await player.fatalErrors()).toEqual([]);
    const state = await player.state();
    expect([state.videoWidth, state.videoHeight]).toEqual([320, 240]);
    const latency = await player.latency();
    expect(latency).not.toBeNull();
    expect(latency!).toBeGreaterThan(0);
    // The page came from the harness's server, so every media request was cross-origin.
    expect(media.origins.length).toBeGreaterThan(0);
    expect(media.origins.every((origin) => origin === new URL(player.pageUrl).origin)).toBe(true);
    const shot = await player.screenshot('browser/harness-hls.png');
    expect(Bun.file(shot).size).toBeGreaterThan(1000);
    await player.close();
  }, 60_000);

  test('errors() reports a fatal hls.js error when the media server sends no CORS headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-browser-nocors-'));
    tempDirs.push(dir);
    await Bun.write(join(dir, 'index.m3u8'), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n');
    const media = serveDir(dir, { cors: false });
    const player = await open({ kind: 'hls', url: media.url('index.m3u8') });

    const fatal = await waitFor('a fatal hls.js error', 20_000, async () => {
      const found = await player.fatalErrors();
      return found.length > 0 ? found : undefined;
    });
    expect(fatal.join('\n')).toContain('[fatal] hls.js: networkError manifestLoadError');
    await expect(player.waitForProgress(1, 2_000)).rejects.toThrow('playback failed');
    await player.close();
  }, 60_000);

  test('mpegts.js plays HTTP-FLV from another origin', async () => {
    let requests = 0;
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(req) {
        if (new URL(req.url).pathname !== '/live.flv') return new Response('not found', { status: 404, headers: CORS });
        requests++;
        const proc = spawnFfmpeg([...PATTERN, '-f', 'flv', '-']);
        void new Response(proc.stderr).text();
        req.signal.addEventListener('abort', () => killByPid(proc));
        return new Response(proc.stdout as ReadableStream<Uint8Array>, {
          headers: { 'content-type': 'video/x-flv', 'cache-control': 'no-cache', ...CORS },
        });
      },
    });
    servers.push(server);
    const player = await open({ kind: 'mpegts', type: 'flv', isLive: true, url: `http://127.0.0.1:${server.port}/live.flv` });

    const progress = await player.waitForProgress(2, 20_000);
    expect(progress.advanced).toBeGreaterThanOrEqual(2);
    expect(await player.fatalErrors()).toEqual([]);
    expect(requests).toBe(1);
    const latency = await player.latency();
    expect(latency).not.toBeNull();
    await player.screenshot('browser/harness-http-flv.png');
    await player.close();
  }, 60_000);

  test('mpegts.js plays WebSocket-FLV', async () => {
    const feeds = new Map<ServerWebSocket<unknown>, Bun.Subprocess>();
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(req, srv) {
        if (new URL(req.url).pathname === '/live.flv' && srv.upgrade(req)) return undefined;
        return new Response('not found', { status: 404 });
      },
      websocket: {
        open(ws) {
          const proc = spawnFfmpeg([...PATTERN, '-f', 'flv', '-']);
          void new Response(proc.stderr).text();
          feeds.set(ws, proc);
          void (async () => {
            for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) ws.sendBinary(chunk);
            ws.close();
          })().catch(() => {});
        },
        message() {},
        close(ws) {
          const proc = feeds.get(ws);
          if (proc) killByPid(proc);
          feeds.delete(ws);
        },
      },
    });
    servers.push(server);
    const player = await open({ kind: 'mpegts', url: `ws://127.0.0.1:${server.port}/live.flv` });

    const progress = await player.waitForProgress(2, 20_000);
    expect(progress.advanced).toBeGreaterThanOrEqual(2);
    expect(await player.fatalErrors()).toEqual([]);
    expect(feeds.size).toBe(1);
    await player.close();
    // Closing the page ends the WebSocket, and with it the ffmpeg feeding it.
    await waitFor('the WebSocket to close', 5_000, () => (feeds.size === 0 ? true : undefined));
  }, 60_000);
});
