// Real-browser tests: Debian's headless Chromium driven by playwright-core, playing streams
// with the same players a Weir viewer uses (hls.js, mpegts.js), served from a local page.
// Nothing is fetched from the internet: the browser is /usr/bin/chromium (installed by
// scripts/test-deps.sh) and the players come from node_modules.
import { afterAll, beforeAll } from 'bun:test';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

const REPO_ROOT = resolve(import.meta.dir, '..', '..');

/** Where screenshots and other test outputs go (gitignored). */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

const PLAYER_SCRIPTS = {
  hls: { route: '/hls.min.js', file: join(REPO_ROOT, 'node_modules/hls.js/dist/hls.min.js') },
  mpegts: { route: '/mpegts.js', file: join(REPO_ROOT, 'node_modules/mpegts.js/dist/mpegts.js') },
} as const;
const PAGE_SCRIPT = join(import.meta.dir, 'player-page.js');

// Shapes of the in-page objects the page.evaluate() functions touch: the project compiles without
// lib.dom, so the functions reach them through globalThis with these types (erased at runtime).
type PageRanges = { length: number; start(index: number): number; end(index: number): number };
type PageVideo = {
  currentTime: number;
  paused: boolean;
  readyState: number;
  networkState: number;
  videoWidth: number;
  videoHeight: number;
  buffered: PageRanges;
  played: PageRanges;
};
/** window.__weir, written by player-page.js. */
type PagePlayerState = { ready: boolean; errors: string[]; player: { destroy?(): void; latency?: number } | null };
type PageGlobals = { document: { getElementById(id: string): unknown }; __weir?: PagePlayerState };

export type LaunchOptions = {
  /**
   * For WebRTC pages: loopback is where the engine's candidate is in tests, and Chromium leaves it out of ICE
   * unless told; the fake camera and microphone (a test pattern and a beep) publish over WHIP without a
   * permission prompt.
   */
  webrtc?: boolean;
};

const WEBRTC_ARGS: readonly string[] = ['--allow-loopback-in-peer-connection', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/**
 * Launches headless Chromium. playwright-core gives every launch a fresh temporary profile
 * (user-data-dir, `playwright_chromiumdev_profile-*` under the OS temp dir) and removes it
 * when the browser is closed. Fails loudly, never skips, when Chromium is not installed.
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. The browser tests need Debian's chromium package: ` +
        'run `bash scripts/test-deps.sh` as root (npm test does this first), or `apt-get install chromium`.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // headless adds --headless (overridden by our later --headless=new), --mute-audio and --hide-scrollbars.
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.webrtc ? WEBRTC_ARGS : [])],
    timeout: 30_000,
  });
}

export type PlayerOptions = {
  kind: 'hls' | 'mpegts';
  /** Media URL, usually on another origin: hls.js and mpegts.js rely on its CORS headers. ws:// works for mpegts. */
  url: string;
  /** hls.js lowLatencyMode (LL-HLS). Default false. */
  lowLatency?: boolean;
  /** mpegts.js isLive. Default true. */
  isLive?: boolean;
  /** mpegts.js media type. Default 'flv'. */
  type?: 'flv';
  /** Extra hls.js config / mpegts.js config (second argument of createPlayer), merged in as-is. */
  config?: Record<string, unknown>;
};

export type PlayerState = {
  currentTime: number;
  /** Seconds actually played (sum of video.played ranges): seeks and live-edge jumps don't count. */
  played: number;
  paused: boolean;
  readyState: number;
  networkState: number;
  buffered: Array<[number, number]>;
  videoWidth: number;
  videoHeight: number;
};

export type PlayerPage = {
  page: Page;
  context: BrowserContext;
  /** The local page that hosts the player. */
  pageUrl: string;
  currentTime(): Promise<number>;
  state(): Promise<PlayerState>;
  /**
   * Waits until the video has played at least `seconds` more media from now (video.currentTime
   * advancing through playback; jumps to the live edge don't count). Throws with a diagnostic
   * dump on timeout or as soon as a fatal player error is recorded.
   */
  waitForProgress(seconds: number, timeoutMs: number): Promise<{ advanced: number; currentTime: number; elapsedMs: number }>;
  /** hls.js `hls.latency`; for mpegts.js the buffered end minus currentTime; null when unknown. */
  latency(): Promise<number | null>;
  /**
   * Every error seen so far, each prefixed `[fatal] ` or `[non-fatal] ` and its source: hls.js ERROR
   * events (fatal flag, type, details), mpegts.js ERROR events (fatal), <video> errors (fatal),
   * uncaught page exceptions (fatal), rejected play() (non-fatal).
   */
  errors(): Promise<string[]>;
  /** The `[fatal] ` subset of errors(). */
  fatalErrors(): Promise<string[]>;
  /** The page's console output and network failures (most recent 500), for diagnostics. */
  logs(): string[];
  /** Saves a PNG; a relative path is placed under test-artifacts/. Returns the absolute path. */
  screenshot(path: string): Promise<string>;
  /** Destroys the player, closes the page and its context, and stops the page server. Idempotent. */
  close(): Promise<void>;
};

/** Absolute path for an artifact: relative paths go under test-artifacts/; parent dirs are created. */
export function artifactPath(path: string): string {
  const absolute = isAbsolute(path) ? path : join(ARTIFACTS_DIR, path);
  mkdirSync(dirname(absolute), { recursive: true });
  return absolute;
}

/** Screenshot of any page (e.g. Weir's console) saved under test-artifacts/; returns the path. */
export async function saveScreenshot(page: Page, path: string, options: { fullPage?: boolean } = {}): Promise<string> {
  const absolute = artifactPath(path);
  await page.screenshot({ path: absolute, fullPage: options.fullPage ?? false, timeout: 15_000 });
  return absolute;
}

function playerHtml(options: PlayerOptions): string {
  const config = {
    kind: options.kind,
    url: options.url,
    lowLatency: options.lowLatency ?? false,
    isLive: options.isLive ?? true,
    type: options.type ?? 'flv',
    config: options.config ?? null,
  };
  // JSON inside <script>: escape '<' so a URL can never close the element.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>weir ${options.kind} player</title>
<style>html,body{margin:0;background:#000;color:#ccc;font:12px monospace}video{display:block;width:640px;height:360px;background:#111}</style>
</head><body>
<video id="video" muted autoplay playsinline></video>
<div id="label">${options.kind}</div>
<script>window.__weirConfig = ${json};</script>
<script src="${PLAYER_SCRIPTS[options.kind].route}"></script>
<script src="/player-page.js"></script>
</body></html>`;
}

/** Serves the player page and the player libraries from 127.0.0.1 on an OS-assigned port. */
function startPageServer(options: PlayerOptions) {
  const html = playerHtml(options);
  const script = PLAYER_SCRIPTS[options.kind];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const { pathname } = new URL(req.url);
      const headers = { 'cache-control': 'no-store' };
      if (pathname === '/' || pathname === '/index.html') {
        return new Response(html, { headers: { ...headers, 'content-type': 'text/html; charset=utf-8' } });
      }
      if (pathname === script.route) {
        return new Response(Bun.file(script.file), { headers: { ...headers, 'content-type': 'text/javascript' } });
      }
      if (pathname === '/player-page.js') {
        return new Response(Bun.file(PAGE_SCRIPT), { headers: { ...headers, 'content-type': 'text/javascript' } });
      }
      if (pathname === '/favicon.ico') return new Response(null, { status: 204 });
      return new Response('not found', { status: 404 });
    },
  });
  server.unref();
  return server;
}

/** Opens a page (in its own browser context) that plays `options.url` in a muted <video>. */
export async function openPlayerPage(browser: Browser, options: PlayerOptions): Promise<PlayerPage> {
  const script = PLAYER_SCRIPTS[options.kind];
  if (!existsSync(script.file)) throw new Error(`${script.file} is missing: run npm install`);

  const server = startPageServer(options);
  const pageUrl = `http://127.0.0.1:${server.port}/`;
  const logs: string[] = [];
  const pageErrors: string[] = [];
  const log = (line: string) => {
    logs.push(line);
    if (logs.length > 500) logs.shift();
  };

  let context: BrowserContext | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      if (context) {
        const pages = context.pages();
        // Let the player release its connections first, so media servers see the viewer leave.
        const destroyed = Promise.all(
          pages.map((p) =>
            p
              .evaluate(() => {
                try {
                  (globalThis as unknown as PageGlobals).__weir?.player?.destroy?.();
                } catch {}
              })
              .catch(() => {}),
          ),
        );
        await Promise.race([destroyed, Bun.sleep(3000)]);
        await context.close().catch(() => {});
      }
    } finally {
      server.stop(true);
    }
  };

  try {
    context = await browser.newContext({ viewport: { width: 640, height: 400 } });
    const page = await context.newPage();
    page.on('console', (message) => log(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => pageErrors.push(`[fatal] page: ${error.name}: ${error.message}`));
    page.on('requestfailed', (request) => log(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
    await page.goto(pageUrl, { waitUntil: 'load', timeout: 15_000 });
    const ready = await page.evaluate(() => {
      const weir = (globalThis as unknown as PageGlobals).__weir;
      return { ready: weir?.ready ?? false, errors: weir?.errors ?? [] };
    });
    if (!ready.ready) {
      throw new Error(`the ${options.kind} player did not start: ${[...ready.errors, ...pageErrors].join('; ') || 'no error recorded'}\n${logs.join('\n')}`);
    }
    return makePlayerPage(page, context, pageUrl, options, { logs, pageErrors, close });
  } catch (error) {
    await close();
    throw error;
  }
}

function makePlayerPage(
  page: Page,
  context: BrowserContext,
  pageUrl: string,
  options: PlayerOptions,
  shared: { logs: string[]; pageErrors: string[]; close: () => Promise<void> },
): PlayerPage {
  const state = () =>
    page.evaluate((): PlayerState => {
      const video = (globalThis as unknown as PageGlobals).document.getElementById('video') as PageVideo;
      const ranges = (r: PageRanges) => Array.from({ length: r.length }, (_, i): [number, number] => [r.start(i), r.end(i)]);
      const played = ranges(video.played).reduce((sum, [start, end]) => sum + (end - start), 0);
      return {
        currentTime: video.currentTime,
        played,
        paused: video.paused,
        readyState: video.readyState,
        networkState: video.networkState,
        buffered: ranges(video.buffered),
        videoWidth: video.videoWidth,
        videoHeight: video.videoHeight,
      };
    });

  const errors = async () => {
    const inPage = await page.evaluate(() => (globalThis as unknown as PageGlobals).__weir?.errors ?? []);
    return [...inPage, ...shared.pageErrors];
  };
  const fatalErrors = async () => (await errors()).filter((e) => e.startsWith('[fatal] '));

  const diagnostics = async (): Promise<string> => {
    const [s, errs, lat] = await Promise.all([state().catch(() => null), errors().catch(() => []), latency().catch(() => null)]);
    return [
      `player: ${options.kind} ${options.url}`,
      `state: ${JSON.stringify(s)}`,
      `latency: ${lat}`,
      `errors: ${errs.length ? errs.join(' | ') : 'none'}`,
      `recent page logs:\n  ${shared.logs.slice(-30).join('\n  ') || '(none)'}`,
    ].join('\n');
  };

  const latency = () =>
    page.evaluate((kind): number | null => {
      const g = globalThis as unknown as PageGlobals;
      if (kind === 'hls') {
        const value = g.__weir?.player?.latency;
        return typeof value === 'number' && Number.isFinite(value) ? value : null;
      }
      const video = g.document.getElementById('video') as PageVideo;
      const b = video.buffered;
      return b.length > 0 ? b.end(b.length - 1) - video.currentTime : null;
    }, options.kind);

  return {
    page,
    context,
    pageUrl,
    currentTime: () =>
      page.evaluate(() => ((globalThis as unknown as PageGlobals).document.getElementById('video') as PageVideo).currentTime),
    state,
    async waitForProgress(seconds, timeoutMs) {
      const started = Date.now();
      const deadline = started + timeoutMs;
      const baseline = (await state()).played;
      for (;;) {
        const now = await state();
        const advanced = now.played - baseline;
        if (advanced >= seconds) return { advanced, currentTime: now.currentTime, elapsedMs: Date.now() - started };
        const fatal = await fatalErrors();
        if (fatal.length > 0) {
          throw new Error(`playback failed after advancing ${advanced.toFixed(2)} s of ${seconds} s:\n${await diagnostics()}`);
        }
        if (Date.now() >= deadline) {
          throw new Error(`playback advanced only ${advanced.toFixed(2)} s of ${seconds} s within ${timeoutMs} ms:\n${await diagnostics()}`);
        }
        await Bun.sleep(200);
      }
    },
    latency,
    errors,
    fatalErrors,
    logs: () => [...shared.logs],
    screenshot: (path) => saveScreenshot(page, path),
    close: shared.close,
  };
}

/** Registers a beforeAll that launches Chromium and an afterAll that closes it; read `browser` inside tests. */
export function useBrowser(options: LaunchOptions = {}): { readonly browser: Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser(options);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser(): Browser {
      if (!browser) throw new Error('the browser is not launched (use it inside a test)');
      return browser;
    },
  };
}
