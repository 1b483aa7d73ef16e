// What the live views need from the engine and the services: one engine round trip per view.
import type { ApiDeps } from '../api/deps.ts';
import { endpointsFrom, playUrls, publishUrlSet, requestHost, type EngineEndpoints } from '../api/media-urls.ts';
import type { App, Settings } from '../services/types.ts';
import { linkSchemeOf, parseUdpLinkUrl } from '../../shared/ts-link-url.ts';
import type { LiveView, PublishUrls, StreamPageData } from './views/streams.ts';

export async function liveView(deps: ApiDeps): Promise<LiveView> {
  const [status, streams] = await Promise.all([deps.engine.status(), deps.engine.streams()]);
  if (!status.ok) return { ok: false, reason: status.reason };
  if (!streams.ok) return { ok: false, reason: streams.reason };
  const sorted = [...streams.value].sort((a, b) => `${a.app}/${a.stream}`.localeCompare(`${b.app}/${b.stream}`));
  return { ok: true, status: status.value, streams: sorted };
}

const SIGNED_URL_TTL_SEC = 3600;

/**
 * One stream's page. It shows exactly what the same user could get from the REST API: signed
 * URLs (POST /apps/{app}/signed-urls) are admin-only there, so a viewer gets no publish URL
 * at all (a signed one would let them take the stream over) and no play URLs for an app that
 * plays only signed ones.
 */
export async function streamPageData(deps: ApiDeps, request: Request, appName: string, stream: string, admin: boolean): Promise<StreamPageData> {
  const { apps, settings, signedUrls } = deps.services;
  const app = apps.get(appName); // not-found for an unknown app
  const current = settings.get();
  const host = requestHost(request);
  const [streams, clients, status] = await Promise.all([deps.engine.streams(), deps.engine.clients(), deps.engine.status()]);
  const endpoints = endpointsFrom(status);
  const engineDown = !streams.ok ? streams.reason : !clients.ok ? clients.reason : null;
  const live = streams.ok ? (streams.value.find((s) => s.app === app.name && s.stream === stream) ?? null) : null;
  const playSigned = app.playPolicy === 'signed-url';
  return {
    app: app.name,
    stream,
    live,
    engineDown,
    clients: clients.ok ? clients.value.filter((c) => c.app === app.name && c.stream === stream) : [],
    publish: admin ? publishUrls(deps, host, current, endpoints, app, stream) : null,
    play: playSigned && !admin ? null : playUrls(host, current, endpoints, app, stream, playSigned ? signedUrls.build(app.name, stream, SIGNED_URL_TTL_SEC, 'play').query : ''),
    srtEncrypted: endpoints.srt?.encrypted ?? false,
    endpointsUnknown: !status.ok,
    webrtcOff: status.ok && status.value.listeners?.webrtc?.enabled === false,
    udpIn: admin ? udpIngestUrls(deps, host, app.name, stream) : [],
    udpOut: admin ? deps.services.forwards.urlsFor(app.name, stream).filter((url) => linkSchemeOf(url) === 'udp') : [],
    playSigned,
    playHook: app.playPolicy === 'hook',
  };
}

/**
 * Where an encoder sends MPEG-TS over UDP for this stream: its enabled udp:// pull sources, with a
 * wildcard listen address replaced by the host the console was reached at (a multicast group or a
 * bound address is already what senders use).
 */
function udpIngestUrls(deps: ApiDeps, host: string, app: string, stream: string): string[] {
  const urls: string[] = [];
  for (const pull of deps.services.pulls.list(app)) {
    if (!pull.enabled || pull.stream !== stream || linkSchemeOf(pull.url) !== 'udp') continue;
    try {
      const endpoint = parseUdpLinkUrl(pull.url);
      urls.push(`udp://${endpoint.host === '0.0.0.0' ? host : endpoint.host}:${endpoint.port}`);
    } catch {
      // stored URLs were validated on the way in; one that no longer parses is not shown
    }
  }
  return urls;
}

function publishUrls(deps: ApiDeps, host: string, settings: Settings, endpoints: EngineEndpoints, app: App, stream: string): PublishUrls {
  let query = '';
  if (app.publishPolicy === 'stream-key') query = 'key=KEY';
  if (app.publishPolicy === 'signed-url') query = deps.services.signedUrls.build(app.name, stream, SIGNED_URL_TTL_SEC, 'publish').query;
  const urls = publishUrlSet(host, settings, endpoints, app.name, stream, query);
  const url = urls.rtmp;
  const server = url.slice(0, url.lastIndexOf('/'));
  return {
    obsServer: server,
    obsKey: url.slice(server.length + 1),
    ffmpeg: `ffmpeg -re -i input.mp4 -c:v libx264 -g 50 -c:a aac -f flv "${url}"`,
    srt: urls.srt,
    rtsp: urls.rtsp,
    needsKey: app.publishPolicy === 'stream-key',
    signed: app.publishPolicy === 'signed-url',
  };
}
