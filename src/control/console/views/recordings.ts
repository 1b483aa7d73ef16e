// One stream's recordings page: the timeline of recorded ranges (polled), a range form that plays
// the look-back playlist in the page's hls.js player, and for admins an MP4 export (job polled
// until its download link) and a two-step delete. Also the "recording paused" warning the live
// streams page shows. Pure: (data) => html.
import type { RecordingPathStatus } from '../../../shared/config-protocol.ts';
import type { ExportJob, RecordingSummary } from '../../api/recordings.ts';
import { asset } from '../assets.ts';
import { html, type SafeHtml } from '../html.ts';
import { formatConsoleTime, timelineRows, type RecordedRange, type Timeline } from '../recording-timeline.ts';
import { encodePath, formatDuration, page, type ViewContext } from './layout.ts';

export type RecordingsListing = Readonly<{ ok: true; summary: RecordingSummary | null } | { ok: false; reason: string }>;

export type RecordingsPageData = Readonly<{
  app: string;
  stream: string;
  /** the app's recording setting is on */
  recordingOn: boolean;
  listing: RecordingsListing;
  /** storage paths of this app where recording is paused for lack of disk */
  paused: readonly RecordingPathStatus[];
  /** where the look-back playlist is, and the query this user plays with; null: this user cannot play (signed-only app, viewer) */
  play: Readonly<{ base: string; query: string }> | null;
  /** the app's play hook decides: the user adds what it expects */
  playHook: boolean;
}>;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[i]}`;
}

const base = (app: string, stream: string): string => `/streams/${encodePath(app, stream)}/recordings`;

/** the warning for storage paths where recording is paused; nothing when none is */
export function recordingPausedWarning(ctx: ViewContext, paused: readonly RecordingPathStatus[]): SafeHtml {
  if (paused.length === 0) return html``;
  const { t } = ctx;
  return html`<div class="warning" role="alert" data-testid="recording-paused">${paused.map((p) => html`<p>${t('rec.paused')} <code>${p.path}</code> (${formatBytes(p.freeBytes)}; ${t('rec.pausedApps')}: ${p.apps.join(', ')}).</p>`)}<p>${t('rec.pausedLive')}</p></div>`;
}

const HOUR_TICKS = [0, 10, 20, 30, 40, 50, 60];
const DAY_TICKS = [0, 3, 6, 9, 12, 15, 18, 21, 24];

function timelineSvg(ctx: ViewContext, timeline: Timeline, ranges: readonly RecordedRange[]): SafeHtml {
  const ticks = timeline.unit === 'hour' ? HOUR_TICKS : DAY_TICKS;
  const last = ticks.at(-1)!;
  const label = (ms: number) => (timeline.unit === 'hour' ? formatConsoleTime(ms).slice(0, 16) : formatConsoleTime(ms).slice(0, 10));
  return html`${timeline.truncated ? html`<p class="note" data-testid="rec-truncated">${ctx.t('rec.truncated')}</p>` : ''}<div class="rec-timeline" data-unit="${timeline.unit}">
${timeline.rows.map((row) => html`<div class="rec-row" data-testid="rec-row" data-start="${row.startMs}">
<span class="rec-row-label">${label(row.startMs)}</span>
<svg class="rec-bar-track" viewBox="0 0 1000 24" preserveAspectRatio="none" role="img" aria-label="${label(row.startMs)}">
${ticks.slice(1, -1).map((tk) => html`<line class="rec-tick" x1="${(tk / last) * 1000}" x2="${(tk / last) * 1000}" y1="0" y2="24"></line>`)}
${row.bars.map((bar) => {
  const r = ranges[bar.range]!;
  return html`<rect class="rec-bar" data-testid="rec-bar" x="${(bar.x * 1000).toFixed(2)}" y="3" width="${Math.max(1.5, bar.width * 1000).toFixed(2)}" height="18" data-start="${r.startMs}" data-end="${r.endMs}" tabindex="0" role="button"><title>${formatConsoleTime(r.startMs)} – ${formatConsoleTime(r.endMs)} (${formatDuration(r.endMs - r.startMs)})</title></rect>`;
})}
</svg></div>`)}
<div class="rec-row rec-axis"><span class="rec-row-label"></span><span class="rec-ticks">${ticks.map((tk) => html`<span>${timeline.unit === 'hour' ? `:${String(tk).padStart(2, '0')}` : `${String(tk).padStart(2, '0')}h`}</span>`)}</span></div>
</div>
<p class="note">${ctx.t('rec.timesUtc')}</p>`;
}

function rangesTable(ctx: ViewContext, ranges: readonly RecordedRange[]): SafeHtml {
  const { t } = ctx;
  return html`<table class="rec-ranges" data-testid="rec-ranges"><thead><tr><th>${t('rec.start')}</th><th>${t('rec.end')}</th><th>${t('rec.duration')}</th><th>${t('rec.segmentCount')}</th><th>${t('rec.size')}</th><th></th></tr></thead><tbody>
${[...ranges].reverse().map((r) => html`<tr><td>${formatConsoleTime(r.startMs)}</td><td>${formatConsoleTime(r.endMs)}</td><td>${formatDuration(r.endMs - r.startMs)}</td><td>${r.segments}</td><td>${formatBytes(r.sizeBytes)}</td>
<td><button type="button" class="small rec-select" data-testid="rec-select" data-start="${r.startMs}" data-end="${r.endMs}">${t('rec.select')}</button></td></tr>`)}
</tbody></table>`;
}

/** what #rec-timeline holds: the paused warning, totals, the bars and the table of ranges */
export function timelineFragment(ctx: ViewContext, d: RecordingsPageData): SafeHtml {
  const { t } = ctx;
  const warning = recordingPausedWarning(ctx, d.paused);
  if (!d.listing.ok) return html`${warning}<div class="error" data-testid="engine-down">${t('common.engineDown')}: ${d.listing.reason}</div>`;
  const summary = d.listing.summary;
  if (summary === null || summary.ranges.length === 0) {
    return html`${warning}<p class="empty" data-testid="rec-none">${d.recordingOn ? t('rec.none') : t('rec.noSettings')}</p>`;
  }
  const ranges = [...summary.ranges].sort((a, b) => a.startMs - b.startMs);
  const timeline = timelineRows(ranges);
  return html`${warning}<p data-testid="rec-total"><strong>${t('rec.total')}:</strong> ${formatBytes(summary.sizeBytes)} · ${summary.segments} ${t('rec.segments')} · ${ranges.length} ${t('rec.ranges')} · ${t('rec.format')} ${summary.format}</p>
${timelineSvg(ctx, timeline, ranges)}
${rangesTable(ctx, ranges)}`;
}

/** the polled timeline container; `oob` swaps it in beside another answer (after a delete) */
export const timelineSection = (ctx: ViewContext, d: RecordingsPageData, oob = false): SafeHtml =>
  html`<div id="rec-timeline" hx-get="/fragments${base(d.app, d.stream)}" hx-trigger="every 10s" hx-swap="innerHTML"${oob ? html` hx-swap-oob="true"` : ''}>
${timelineFragment(ctx, d)}
</div>`;

function playSection(ctx: ViewContext, d: RecordingsPageData): SafeHtml {
  const { t } = ctx;
  return html`<form id="rec-range" class="row" autocomplete="off"${d.play ? html` data-play-base="${d.play.base}" data-play-query="${d.play.query}"` : ''}>
<label>${t('rec.start')} <input name="start" id="rec-start" data-testid="rec-start" required maxlength="40" placeholder="2026-01-31 12:00:00Z" title="${t('rec.timeHelp')}"></label>
<label>${t('rec.end')} <input name="end" id="rec-end" data-testid="rec-end" maxlength="40" placeholder="2026-01-31 12:05:00Z" title="${t('rec.timeHelp')}"></label>
<label>${t('rec.durationSec')} <input name="durationSec" id="rec-duration" inputmode="numeric" pattern="\\d{1,6}" maxlength="6" size="6"></label>
${d.play ? html`<button type="button" class="primary" id="rec-play" data-testid="rec-play">${t('rec.play')}</button>` : ''}
</form>
<p class="note">${t('rec.timeHelp')}</p>
${d.play
    ? html`<video id="rec-player" muted playsinline controls></video><p class="note">${t('rec.playNote')} <span id="rec-player-state" data-testid="rec-player-state"></span></p>
${d.playHook ? html`<p class="note" data-testid="rec-play-hook">${t('stream.hookPolicy')}</p>` : ''}`
    : html`<p class="note" data-testid="rec-no-play">${t('rec.noPlay')}</p>`}`;
}

function adminSection(ctx: ViewContext, d: RecordingsPageData): SafeHtml {
  const { t } = ctx;
  if (!ctx.admin) return html`<p class="note" data-testid="rec-admin-only">${t('rec.adminOnly')}</p>`;
  const url = base(d.app, d.stream);
  return html`<section class="card" data-testid="rec-export">
<h2>${t('rec.export')}</h2>
<div class="row">
<label>${t('rec.fileName')} <input name="fileName" id="rec-filename" data-testid="rec-filename" maxlength="100" placeholder="${d.app}-${d.stream}.mp4"></label>
<button type="button" class="primary" data-testid="rec-export-start" hx-post="${url}/export" hx-include="#rec-range, #rec-filename" hx-target="#export-job" hx-swap="outerHTML">${t('rec.exportStart')}</button>
</div>
<div id="export-job"></div>
</section>
<section class="card" data-testid="rec-delete-section">
<h2>${t('rec.delete')}</h2>
<button type="button" class="danger" data-testid="rec-delete-review" hx-post="${url}/delete" hx-include="#rec-range" hx-target="#rec-delete" hx-swap="innerHTML">${t('rec.deleteReview')}</button>
<div id="rec-delete"></div>
</section>`;
}

export function recordingsPage(ctx: ViewContext, d: RecordingsPageData): SafeHtml {
  const { t } = ctx;
  const body = html`<p><a href="/streams/${encodePath(d.app, d.stream)}" data-testid="rec-back">← ${d.app}/${d.stream}</a></p>
<section class="card">
<h2>${t('rec.timeline')}</h2>
${timelineSection(ctx, d)}
</section>
<section class="card">
<h2>${t('rec.play')}</h2>
${playSection(ctx, d)}
</section>
${adminSection(ctx, d)}`;
  return page(ctx, 'streams', `${t('rec.title')} · ${d.app}/${d.stream}`, body, [asset('hls.min.js'), asset('console-recordings.js')]);
}

/** an export job: polled every second until it is done (download link) or failed (its reason) */
export function exportJobFragment(ctx: ViewContext, job: ExportJob): SafeHtml {
  const { t } = ctx;
  const finished = job.state === 'done' || job.state === 'failed';
  const poll = finished ? html`` : html` hx-get="/fragments/recordings/exports/${encodeURIComponent(job.id)}" hx-trigger="every 1s" hx-swap="outerHTML"`;
  return html`<div id="export-job" data-testid="export-job" data-state="${job.state}"${poll}>
<p>${t('rec.exportState')} <code>${job.fileName}</code>: ${formatConsoleTime(job.startTimeMs)} – ${formatConsoleTime(job.endTimeMs)} · <strong data-testid="export-state">${job.state}</strong></p>
${job.state === 'failed' ? html`<div class="error" role="alert">${t('rec.exportFailed')}: ${job.error ?? ''}</div>` : ''}
${job.state === 'done'
    ? html`<p><a class="button primary" data-testid="export-download" href="${job.downloadUrl}" download="${job.fileName}">${t('rec.download')} ${job.fileName}</a> (${formatBytes(job.sizeBytes ?? 0)}, ${formatDuration(job.durationMs ?? 0)})</p>`
    : html`<label>${t('rec.progress')} <progress max="1" value="${job.progress.toFixed(3)}" data-testid="export-progress">${Math.round(job.progress * 100)} %</progress></label>`}
</div>`;
}

/** a polled job the engine no longer knows (expired, engine restarted): polling stops */
export const exportGoneFragment = (ctx: ViewContext, message: string): SafeHtml =>
  html`<div id="export-job" data-testid="export-job" data-state="gone"><div class="error" role="alert">${ctx.t('common.error')}: ${message}</div></div>`;

/** step one of a delete: what would go, and the button that deletes it */
export function deleteReviewFragment(ctx: ViewContext, app: string, stream: string, startMs: number, endMs: number, overlapping: readonly RecordedRange[]): SafeHtml {
  const { t } = ctx;
  const span = html`<code>${app}/${stream}</code> ${formatConsoleTime(startMs)} – ${formatConsoleTime(endMs)}`;
  if (overlapping.length === 0) return html`<p class="note" data-testid="delete-nothing">${span}: ${t('rec.deleteNothing')}</p>`;
  const segments = overlapping.reduce((n, r) => n + r.segments, 0);
  const bytes = overlapping.reduce((n, r) => n + r.sizeBytes, 0);
  return html`<div class="warning" data-testid="delete-review">
<p>${span}</p>
<p>${overlapping.length} ${t('rec.ranges')} (≤ ${segments} ${t('rec.segments')}, ≤ ${formatBytes(bytes)})</p>
<p>${t('rec.deleteConfirm')}</p>
<form hx-post="${base(app, stream)}/delete" hx-target="#rec-delete" hx-swap="innerHTML" class="row">
<input type="hidden" name="start" value="${startMs}"><input type="hidden" name="end" value="${endMs}"><input type="hidden" name="confirm" value="yes">
<button class="danger" data-testid="delete-confirm">${t('rec.deleteYes')}</button>
<button type="button" class="rec-cancel">${t('rec.cancel')}</button>
</form>
</div>`;
}

export const deletedFragment = (ctx: ViewContext, deleted: Readonly<{ deleted: number; sizeBytes: number }>): SafeHtml =>
  html`<div class="ok" role="status" data-testid="delete-done">${ctx.t('rec.deleted')}: ${deleted.deleted} ${ctx.t('rec.segments')}, ${formatBytes(deleted.sizeBytes)}</div>`;
