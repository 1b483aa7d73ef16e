// Live state views: the dashboard (engine, totals, what is live) and the live streams list,
// both refreshed by htmx every 2 s, and one stream's page (preview player, publish and play URLs).
import type { ClientState, EngineStatus, LiveStreamState } from '../../../shared/config-protocol.ts';
import type { PlayUrls } from '../../api/media-urls.ts';
import { asset } from '../assets.ts';
import { html, type SafeHtml } from '../html.ts';
import { recordingPausedWarning } from './recordings.ts';
import { copyable, encodePath, formatBitrate, formatDuration, page, type ViewContext } from './layout.ts';

export type LiveView = Readonly<
  | { ok: true; status: EngineStatus; streams: readonly LiveStreamState[] }
  | { ok: false; reason: string }
>;

const viewerTotal = (s: LiveStreamState): number => Object.values(s.viewers).reduce((sum, n) => sum + n, 0);
const streamHref = (s: Readonly<{ app: string; stream: string }>): string => `/streams/${encodePath(s.app, s.stream)}`;

function videoOf(s: LiveStreamState): Readonly<{ codec: string; size: string; fps: string }> | null {
  const v = s.tracks.find((tr) => tr.kind === 'video');
  if (!v) return null;
  return {
    codec: v.codec,
    size: v.width !== undefined && v.height !== undefined ? `${v.width}×${v.height}` : '—',
    fps: formatFps(v.fps),
  };
}

/** frames per second as measured by the engine: at most two decimals, '—' when unknown */
export const formatFps = (fps: number | undefined): string =>
  fps === undefined || !Number.isFinite(fps) ? '—' : String(Math.round(fps * 100) / 100);

function audioOf(s: LiveStreamState): string {
  const a = s.tracks.find((tr) => tr.kind === 'audio');
  if (!a) return '—';
  const rate = a.sampleRateHz !== undefined ? ` ${a.sampleRateHz / 1000} kHz` : '';
  const ch = a.channels !== undefined ? ` ${a.channels}ch` : '';
  return `${a.codec}${rate}${ch}`;
}

const viewersByProtocol = (s: LiveStreamState): SafeHtml => {
  const entries = Object.entries(s.viewers).filter(([, n]) => n > 0);
  if (entries.length === 0) return html`0`;
  return html`${viewerTotal(s)} <small>(${entries.map(([p, n], i) => html`${i > 0 ? ', ' : ''}${p} ${n}`)})</small>`;
};

const kickButton = (ctx: ViewContext, s: LiveStreamState, target: string): SafeHtml =>
  ctx.admin && s.publisherId !== null
    ? html`<button class="danger" data-testid="kick" hx-post="/streams/${encodePath(s.app, s.stream)}/kick${target === '#stream-live' ? '?from=stream' : ''}" hx-confirm="${ctx.t('streams.kickConfirm')}" hx-target="${target}" hx-swap="innerHTML">${ctx.t('streams.kick')}</button>`
    : html``;

export function streamsTable(ctx: ViewContext, streams: readonly LiveStreamState[], withKick: boolean): SafeHtml {
  const { t } = ctx;
  if (streams.length === 0) return html`<p class="empty" data-testid="no-streams">${t('streams.none')}</p>`;
  return html`<table class="streams"><thead><tr>
<th>${t('streams.stream')}</th><th>${t('streams.video')}</th><th>${t('streams.resolution')}</th><th>${t('streams.fps')}</th><th>${t('streams.audio')}</th>
<th>${t('streams.bitrate')}</th><th>${t('streams.viewers')}</th><th>${t('streams.uptime')}</th>${withKick ? html`<th>${t('common.actions')}</th>` : ''}
</tr></thead><tbody>
${streams.map((s) => {
  const video = videoOf(s);
  return html`<tr data-stream="${s.app}/${s.stream}">
<td><a href="${streamHref(s)}">${s.app}/${s.stream}</a></td>
<td>${video?.codec ?? '—'}</td><td>${video?.size ?? '—'}</td><td data-testid="fps">${video?.fps ?? '—'}</td><td>${audioOf(s)}</td>
<td>${formatBitrate(s.bitrateInBps)} / ${formatBitrate(s.bitrateOutBps)}</td>
<td>${viewersByProtocol(s)}</td><td>${formatDuration(ctx.nowMs - s.startedAtMs)}</td>
${withKick ? html`<td>${kickButton(ctx, s, '#streams-live')}</td>` : ''}
</tr>`;
})}
</tbody></table>`;
}

const engineDown = (ctx: ViewContext, reason: string): SafeHtml =>
  html`<div class="error" data-testid="engine-down">${ctx.t('common.engineDown')}: ${reason}</div>`;

export function dashboardFragment(ctx: ViewContext, live: LiveView): SafeHtml {
  const { t } = ctx;
  if (!live.ok) {
    return html`<div class="stats"><div class="stat"><span class="label">${t('dash.engine')}</span><span class="value down" data-testid="engine-state">${t('dash.down')}</span></div></div>
${engineDown(ctx, live.reason)}`;
  }
  const { status, streams } = live;
  const ingest = streams.reduce((sum, s) => sum + s.bitrateInBps, 0);
  const egress = streams.reduce((sum, s) => sum + s.bitrateOutBps, 0);
  const viewers = streams.reduce((sum, s) => sum + viewerTotal(s), 0);
  const stat = (label: string, value: string | SafeHtml, testId: string) =>
    html`<div class="stat"><span class="label">${label}</span><span class="value" data-testid="${testId}">${value}</span></div>`;
  return html`<div class="stats">
${stat(t('dash.engine'), html`<span class="up">${t('dash.up')}</span>`, 'engine-state')}
${stat(t('dash.uptime'), formatDuration(ctx.nowMs - status.startedAtMs), 'uptime')}
${stat(t('dash.ingest'), formatBitrate(ingest), 'ingest')}
${stat(t('dash.egress'), formatBitrate(egress), 'egress')}
${stat(t('dash.streams'), String(streams.length), 'stream-count')}
${stat(t('dash.viewers'), String(viewers), 'viewer-count')}
${stat(t('dash.version'), status.version, 'version')}
</div>
<h2>${t('streams.title')}</h2>
${streamsTable(ctx, streams, false)}`;
}

export const dashboardPage = (ctx: ViewContext, live: LiveView): SafeHtml =>
  page(ctx, 'dashboard', ctx.t('nav.dashboard'), html`<section id="dashboard" hx-get="/fragments/dashboard" hx-trigger="every 2s" hx-swap="innerHTML">
${dashboardFragment(ctx, live)}
</section>`);

/**
 * The thumbnail wall: the latest snapshot of each live stream of an app with snapshots on, from the
 * REST API (the console is its client; the session cookie goes with the image requests). When the
 * engine has no decoder, a warning instead of empty frames.
 */
export function thumbnailWall(ctx: ViewContext, live: LiveView, snapshotApps: ReadonlySet<string>): SafeHtml {
  if (!live.ok) return html``;
  const streams = live.streams.filter((s) => snapshotApps.has(s.app) && s.publisherId !== null);
  if (streams.length === 0) return html``;
  if (live.status.snapshotDecoder === null) return html`<p class="error" data-testid="snapshot-no-decoder">${ctx.t('streams.snapNoDecoder')}</p>`;
  return html`<h2>${ctx.t('streams.thumbnails')}</h2><div class="thumbs" data-testid="thumbnails">
${streams.map((s) => html`<a class="thumb" href="${streamHref(s)}"><img src="/api/v1/streams/${encodePath(s.app, s.stream)}/snapshot" alt="${s.app}/${s.stream}" width="192" height="108" loading="lazy"><span>${s.app}/${s.stream}</span></a>`)}
</div>`;
}

export const streamsFragment = (ctx: ViewContext, live: LiveView, snapshotApps: ReadonlySet<string> = new Set()): SafeHtml =>
  live.ok
    ? html`${recordingPausedWarning(ctx, (live.status.recording?.paths ?? []).filter((p) => p.paused))}${thumbnailWall(ctx, live, snapshotApps)}${streamsTable(ctx, live.streams, true)}`
    : engineDown(ctx, live.reason);

export const streamsPage = (ctx: ViewContext, live: LiveView, snapshotApps: ReadonlySet<string> = new Set()): SafeHtml =>
  page(ctx, 'streams', ctx.t('streams.title'), html`<section id="streams-live" hx-get="/fragments/streams" hx-trigger="every 2s" hx-swap="innerHTML">
${streamsFragment(ctx, live, snapshotApps)}
</section>`);

// ---- one stream -------------------------------------------------------------------------

export type PublishUrls = Readonly<{
  obsServer: string;
  obsKey: string;
  ffmpeg: string;
  /** OBS-ready srt:// URL (OBS: Server, with an empty key); null when the engine runs no SRT listener or cannot be asked */
  srt: string | null;
  rtsp: string | null;
  needsKey: boolean;
  signed: boolean;
}>;

export type StreamPageData = Readonly<{
  app: string;
  stream: string;
  /** null when the stream is not live (or the engine is down: `engineDown` says why) */
  live: LiveStreamState | null;
  engineDown: string | null;
  clients: readonly ClientState[];
  /** null: not for this user (publish URLs are for admins) */
  publish: PublishUrls | null;
  /** null: not for this user (a viewer of an app that plays only signed URLs) */
  play: PlayUrls | null;
  playSigned: boolean;
  playHook: boolean;
  /** SRT callers must bring the engine's passphrase */
  srtEncrypted: boolean;
  /** the engine could not be asked, so its SRT and RTSP ports (engine flags) are unknown */
  endpointsUnknown: boolean;
  /** the engine says it runs no WebRTC listener (--webrtc-port 0), so the preview has no WHEP option */
  webrtcOff: boolean;
  /** MPEG-TS over UDP into this stream: where encoders send it (its udp:// pull sources); admins only */
  udpIn: readonly string[];
  /** MPEG-TS over UDP out of this stream: its udp:// forward targets; admins only */
  udpOut: readonly string[];
}>;

export function streamLiveFragment(ctx: ViewContext, d: StreamPageData): SafeHtml {
  const { t } = ctx;
  if (d.engineDown !== null) return engineDown(ctx, d.engineDown);
  const s = d.live;
  if (s === null) return html`<p class="empty" data-testid="not-live">${t('streams.notLive')}</p>`;
  const video = videoOf(s);
  return html`<dl class="facts" data-testid="live-facts">
<dt>${t('streams.video')}</dt><dd>${video?.codec ?? '—'} ${video?.size ?? ''}</dd>
<dt>${t('streams.fps')}</dt><dd data-testid="stream-fps">${video?.fps ?? '—'}</dd>
<dt>${t('streams.audio')}</dt><dd>${audioOf(s)}</dd>
<dt>${t('streams.bitrate')}</dt><dd>${formatBitrate(s.bitrateInBps)} / ${formatBitrate(s.bitrateOutBps)}</dd>
<dt>${t('streams.viewers')}</dt><dd>${viewersByProtocol(s)}</dd>
<dt>${t('streams.uptime')}</dt><dd>${formatDuration(ctx.nowMs - s.startedAtMs)}</dd>
<dt>${t('streams.publisher')}</dt><dd>${s.publisherAddress ?? '—'} ${kickButton(ctx, s, '#stream-live')}</dd>
</dl>
<h3>${t('streams.clients')}</h3>
${d.clients.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr><th>${t('streams.protocol')}</th><th>${t('streams.address')}</th><th>${t('streams.uptime')}</th><th>${t('streams.link')}</th><th></th></tr></thead><tbody>
${d.clients.map((c) => html`<tr><td>${c.protocol} (${c.role})</td><td>${c.address}</td><td>${formatDuration(ctx.nowMs - c.connectedAtMs)}</td><td>${linkCell(c)}</td>
<td>${ctx.admin ? html`<button class="danger small" hx-post="/clients/${encodeURIComponent(c.id)}/kick?app=${encodeURIComponent(d.app)}&amp;stream=${encodeURIComponent(d.stream)}" hx-target="#stream-live" hx-swap="innerHTML">${t('streams.kickViewer')}</button>` : ''}</td></tr>`)}
</tbody></table>`}`;
}

/** An SRT connection's link figures; the bitrate is the direction that carries the media for its role. */
function linkCell(c: ClientState): SafeHtml | string {
  const link = c.link;
  if (!link) return '—';
  const bps = c.role === 'publisher' ? link.receiveRateBps : link.sendRateBps;
  return html`<span data-testid="client-link">${Number(link.rttMs.toPrecision(3))} ms · ${link.packetsLost} · ${link.packetsRetransmitted} · ${formatBitrate(bps)}</span>`;
}

/** what SRT and RTSP URLs need said: the passphrase, or why they are missing */
const endpointNotes = (ctx: ViewContext, d: StreamPageData): SafeHtml => html`${d.srtEncrypted ? html`<p class="note" data-testid="srt-passphrase">${ctx.t('stream.srtPassphrase')}</p>` : ''}
${d.endpointsUnknown ? html`<p class="note" data-testid="endpoints-unknown">${ctx.t('stream.endpointsUnknown')}</p>` : ''}`;

function publishSection(ctx: ViewContext, d: StreamPageData): SafeHtml {
  const { t } = ctx;
  const publish = d.publish;
  if (publish === null) return html`<h2>${t('stream.publish')}</h2><p class="note" data-testid="publish-admin-only">${t('stream.publishAdminOnly')}</p>`;
  return html`<h2>${t('stream.publish')}</h2>
${copyable(t, t('stream.obsServer'), publish.obsServer, 'obs-server')}
${copyable(t, t('stream.obsKey'), publish.obsKey, 'obs-key')}
${copyable(t, t('stream.ffmpeg'), publish.ffmpeg, 'ffmpeg')}
${publish.srt !== null ? copyable(t, t('stream.srtPublish'), publish.srt, 'publish-srt') : ''}
${publish.rtsp !== null ? copyable(t, t('stream.rtspPublish'), publish.rtsp, 'publish-rtsp') : ''}
${d.udpIn.map((url) => copyable(t, t('stream.udpIn'), url, 'publish-udp'))}
${d.udpIn.length === 0 && d.udpOut.length === 0 ? html`<p class="note" data-testid="udp-hint">${t('stream.udpHint')}</p>` : ''}
${publish.needsKey ? html`<p class="note">${t('stream.keyPlaceholder')}</p>` : ''}
${publish.signed ? html`<p class="note">${t('stream.signed')}</p>` : ''}
${endpointNotes(ctx, d)}`;
}

function playSection(ctx: ViewContext, d: StreamPageData): SafeHtml {
  const { t } = ctx;
  if (d.play === null) return html`<h2>${t('stream.play')}</h2><p class="note" data-testid="play-signed-admin-only">${t('stream.signedAdminOnly')}</p>`;
  return html`<h2>${t('stream.play')}</h2>
${copyable(t, 'RTMP', d.play.rtmp)}
${copyable(t, 'HTTP-FLV', d.play.httpFlv, 'url-http-flv')}
${copyable(t, 'WS-FLV', d.play.wsFlv)}
${d.play.hls !== null ? copyable(t, 'HLS', d.play.hls, 'url-hls') : ''}
${d.play.llHls !== null ? copyable(t, 'LL-HLS', d.play.llHls) : ''}
${d.play.srt !== null ? copyable(t, 'SRT', d.play.srt, 'url-srt') : ''}
${d.play.rtsp !== null ? copyable(t, 'RTSP', d.play.rtsp, 'url-rtsp') : ''}
${d.play.whep !== null ? copyable(t, 'WHEP', d.play.whep, 'url-whep') : ''}
${d.udpOut.map((url) => copyable(t, t('stream.udpOut'), url, 'url-udp-out'))}
${d.publish === null ? endpointNotes(ctx, d) : ''}
${d.playSigned ? html`<p class="note">${t('stream.signed')}</p>` : ''}
${d.playHook ? html`<p class="note">${t('stream.hookPolicy')}</p>` : ''}`;
}

export function streamPage(ctx: ViewContext, d: StreamPageData): SafeHtml {
  const { t } = ctx;
  const protocols: ReadonlyArray<readonly [string, string, string | null]> = d.play === null ? [] : [
    ['hls', 'HLS', d.play.hls],
    ['ll-hls', 'LL-HLS', d.play.llHls],
    ['http-flv', 'HTTP-FLV', d.play.httpFlv],
    ['ws-flv', 'WS-FLV', d.play.wsFlv],
    ['webrtc', 'WebRTC', d.play.whep],
  ];
  const body = html`<p><a href="${streamHref(d)}/recordings" data-testid="recordings-link">${t('rec.open')}</a></p>
<div class="grid">
<section class="card">
<h2>${t('stream.preview')}</h2>
<div class="protocols" role="group">
${protocols.filter(([, , url]) => url !== null).map(([id, label, url]) => html`<button type="button" class="proto" data-protocol="${id}" data-url="${url}" data-testid="proto-${id}">${label}</button>`)}
</div>
<video id="preview" muted autoplay playsinline controls></video>
<p>${t('stream.latency')}: <span id="latency" data-testid="latency">—</span> · <span id="player-state"></span></p>
${d.play?.whep != null ? html`<p class="note" id="webrtc-note" data-testid="webrtc-note" data-video-only="${t('stream.webrtcVideoOnly')}" data-latency="${t('stream.webrtcLatency')}" hidden></p>` : ''}
${d.play !== null && d.webrtcOff ? html`<p class="note" data-testid="webrtc-off">${t('stream.webrtcOff')}</p>` : ''}
</section>
<section class="card">
<h2>${t('nav.streams')}</h2>
<div id="stream-live" hx-get="/fragments/streams/${encodePath(d.app, d.stream)}" hx-trigger="every 2s" hx-swap="innerHTML">
${streamLiveFragment(ctx, d)}
</div>
</section>
</div>
<section class="card">
${publishSection(ctx, d)}
${playSection(ctx, d)}
</section>`;
  return page(ctx, 'streams', `${d.app}/${d.stream}`, body, [asset('hls.min.js'), asset('mpegts.js'), asset('console-webrtc.js'), asset('console-player.js')]);
}
