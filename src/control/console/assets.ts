// The console's static files, embedded in the compiled executable: our CSS and JS from
// public/, and pinned htmx, hls.js and mpegts.js from node_modules. Never a CDN.
import { Elysia } from 'elysia';
import htmxJs from 'htmx.org/dist/htmx.min.js' with { type: 'file' };
import hlsJs from 'hls.js/dist/hls.min.js' with { type: 'file' };
import mpegtsJs from 'mpegts.js/dist/mpegts.js' with { type: 'file' };
import consoleCss from '../../../public/console.css' with { type: 'file' };
import consoleJs from '../../../public/console.js' with { type: 'file' };
import playerJs from '../../../public/console-player.js' with { type: 'file' };
import webrtcJs from '../../../public/console-webrtc.js' with { type: 'file' };
import recordingsJs from '../../../public/console-recordings.js' with { type: 'file' };

export const ASSET_PREFIX = '/console/assets';

const ASSETS: Readonly<Record<string, { path: string; type: string }>> = {
  'htmx.min.js': { path: htmxJs, type: 'text/javascript; charset=utf-8' },
  'hls.min.js': { path: hlsJs, type: 'text/javascript; charset=utf-8' },
  'mpegts.js': { path: mpegtsJs, type: 'text/javascript; charset=utf-8' },
  'console.css': { path: consoleCss, type: 'text/css; charset=utf-8' },
  'console.js': { path: consoleJs, type: 'text/javascript; charset=utf-8' },
  'console-player.js': { path: playerJs, type: 'text/javascript; charset=utf-8' },
  'console-webrtc.js': { path: webrtcJs, type: 'text/javascript; charset=utf-8' },
  'console-recordings.js': { path: recordingsJs, type: 'text/javascript; charset=utf-8' },
};

export const asset = (name: keyof typeof ASSETS & string): string => `${ASSET_PREFIX}/${name}`;

export const assetRoutes = () =>
  new Elysia().get(
    `${ASSET_PREFIX}/:name`,
    ({ params }) => {
      // an own-property lookup: `constructor`, `__proto__` or `toString` are not assets
      const found = Object.hasOwn(ASSETS, params.name) ? ASSETS[params.name] : undefined;
      if (found === undefined) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
      return new Response(Bun.file(found.path), {
        headers: { 'content-type': found.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
      });
    },
    { detail: { hide: true } },
  );
