// What the live views need from the engine and the services: one engine round trip per view.
import type { ApiDeps } from '../api/deps.ts';
import { playUrls, requestHost, rtmpUrl } from '../api/media-urls.ts';
import type { LiveView, StreamPageData } from './views/streams.ts';

export async function liveView(deps: ApiDeps): Promise<LiveView> {
  const [status, streams] = await Promise.all([deps.engine.status(), deps.engine.streams()]);
  if (!status.ok) return { ok: false, reason: status.reason };
  if (!streams.ok) return { ok: false, reason: streams.reason };
  const sorted = [...streams.value].sort((a, b) => `${a.app}/${a.stream}`.localeCompare(`${b.app}/${b.stream}`));
  return { ok: true, status: status.value, streams: sorted };
}

const SIGNED_URL_TTL_SEC = 3600;

export async function streamPageData(deps: ApiDeps, request: Request, appName: string, stream: string): Promise<StreamPageData> {
  const { apps, settings, signedUrls } = deps.services;
  const app = apps.get(appName); // not-found for an unknown app
  const current = settings.get();
  const host = requestHost(request);
  const [streams, clients] = await Promise.all([deps.engine.streams(), deps.engine.clients()]);
  const engineDown = !streams.ok ? streams.reason : !clients.ok ? clients.reason : null;
  const live = streams.ok ? (streams.value.find((s) => s.app === app.name && s.stream === stream) ?? null) : null;

  let publishQuery = '';
  if (app.publishPolicy === 'stream-key') publishQuery = 'key=KEY';
  if (app.publishPolicy === 'signed-url') publishQuery = signedUrls.build(app.name, stream, SIGNED_URL_TTL_SEC, 'publish').query;
  const publishUrl = rtmpUrl(host, current, app.name, stream, publishQuery);
  const server = publishUrl.slice(0, publishUrl.lastIndexOf('/'));
  const playSigned = app.playPolicy === 'signed-url';
  const playQuery = playSigned ? signedUrls.build(app.name, stream, SIGNED_URL_TTL_SEC, 'play').query : '';
  return {
    app: app.name,
    stream,
    live,
    engineDown,
    clients: clients.ok ? clients.value.filter((c) => c.app === app.name && c.stream === stream) : [],
    publish: {
      obsServer: server,
      obsKey: publishUrl.slice(server.length + 1),
      ffmpeg: `ffmpeg -re -i input.mp4 -c:v libx264 -g 50 -c:a aac -f flv "${publishUrl}"`,
      needsKey: app.publishPolicy === 'stream-key',
      signed: app.publishPolicy === 'signed-url',
    },
    play: playUrls(host, current, app, stream, playQuery),
    playSigned,
    playHook: app.playPolicy === 'hook',
  };
}
