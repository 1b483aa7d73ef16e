// Apps and their stream keys: list, create, edit, delete (with confirmation), generate a key
// (shown once, with a copy button) and revoke one.
import { DEFAULT_OUTAGE_POLICY, OUTAGE_POLICIES, RECORDING_FORMATS } from '../../../shared/config-protocol.ts';
import { DEFAULT_APP_RECORDING, RECORDING_LIMITS } from '../../services/recording-settings.ts';
import { DEFAULT_APP_SNAPSHOT } from '../../services/snapshot-settings.ts';
import { SNAPSHOT_LIMITS } from '../../../shared/config-protocol.ts';
import { PLAY_POLICIES, PUBLISH_POLICIES, SOURCE_TYPES } from '../../services/app-service.ts';
import type { App, StreamKey } from '../../services/types.ts';
import { redactSecrets } from '../../../shared/redact-url.ts';
import { html, type SafeHtml } from '../html.ts';
import { clearFlash, copyable, encodePath, formatTime, okFragment, page, type ViewContext } from './layout.ts';

const options = (values: readonly string[], selected: string): SafeHtml =>
  html`${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`)}`;

const checkbox = (name: string, label: string, checked: boolean): SafeHtml =>
  html`<label class="check"><input type="checkbox" name="${name}" value="on"${checked ? html` checked` : ''}> ${label}</label>`;

function appFields(ctx: ViewContext, app: App | null, decoderMissing = false): SafeHtml {
  const { t } = ctx;
  // the form is the admin's edit form; a viewer reads it without the hook URL's secrets
  const hookUrl = app?.hookUrl == null ? '' : ctx.admin ? app.hookUrl : redactSecrets(app.hookUrl);
  return html`
<label>${t('apps.sourceType')} <select name="sourceType">${options(SOURCE_TYPES, app?.sourceType ?? 'push')}</select></label>
${checkbox('hls', t('apps.hls'), app?.hls ?? true)}
${checkbox('llHls', t('apps.llHls'), app?.llHls ?? true)}
<label>${t('apps.publishPolicy')} <select name="publishPolicy">${options(PUBLISH_POLICIES, app?.publishPolicy ?? 'open')}</select></label>
<label>${t('apps.playPolicy')} <select name="playPolicy">${options(PLAY_POLICIES, app?.playPolicy ?? 'open')}</select></label>
<label>${t('apps.hookUrl')} <input name="hookUrl" type="url" value="${hookUrl}" placeholder="https://"></label>
<label>${t('apps.outagePolicy')} <select name="outagePolicy">${options(OUTAGE_POLICIES, app?.outagePolicy ?? DEFAULT_OUTAGE_POLICY)}</select></label>
<label>${t('apps.srtPort')} <input name="srtPort" type="number" min="1" max="65535" value="${app?.srtPort == null ? '' : String(app.srtPort)}"></label>
${recordingFields(ctx, app)}
${snapshotFields(ctx, app, decoderMissing)}`;
}

/** Snapshot settings: a fieldset of the app form (names prefixed snap*, read by admin-routes.ts). */
function snapshotFields(ctx: ViewContext, app: App | null, decoderMissing: boolean): SafeHtml {
  const { t } = ctx;
  const s = app?.snapshot ?? DEFAULT_APP_SNAPSHOT;
  const { intervalSec, keep } = SNAPSHOT_LIMITS;
  return html`<fieldset class="stack" data-testid="snapshot">
<legend>${t('apps.snapshot')}</legend>
${decoderMissing ? html`<p class="error" data-testid="snapshot-no-decoder">${t('apps.snapNoDecoder')}</p>` : ''}
${checkbox('snapEnabled', t('apps.snapEnabled'), s.enabled)}
<label>${t('apps.snapIntervalSec')} <input name="snapIntervalSec" type="number" min="${intervalSec.min}" max="${intervalSec.max}" value="${s.intervalSec}" required></label>
<label>${t('apps.snapKeep')} <input name="snapKeep" type="number" min="${keep.min}" max="${keep.max}" value="${s.keep}" required></label>
<p class="muted">${t('apps.snapHint')}</p>
</fieldset>`;
}

/** Recording settings: a fieldset of the app form (names prefixed rec*, read by admin-routes.ts). */
function recordingFields(ctx: ViewContext, app: App | null): SafeHtml {
  const { t } = ctx;
  const r = app?.recording ?? DEFAULT_APP_RECORDING;
  const { segmentDurationSec: seg, retentionDays: days } = RECORDING_LIMITS;
  return html`<fieldset class="stack" data-testid="recording">
<legend>${t('apps.recording')}</legend>
${checkbox('recEnabled', t('apps.recEnabled'), r.enabled)}
<label>${t('apps.recFormat')} <select name="recFormat">${options(RECORDING_FORMATS, r.format)}</select></label>
<label>${t('apps.recSegmentSec')} <input name="recSegmentSec" type="number" min="${seg.min}" max="${seg.max}" value="${r.segmentDurationSec}" required></label>
<label>${t('apps.recPath')} <input name="recPath" value="${r.path ?? ''}" placeholder="/var/lib/weir/recordings" maxlength="${RECORDING_LIMITS.pathMaxChars}" pattern="/.*"></label>
<label>${t('apps.recRetentionDays')} <input name="recRetentionDays" type="number" min="${days.min}" max="${days.max}" value="${r.retentionDays}" required></label>
<label>${t('apps.recQuotaMb')} <input name="recQuotaMb" type="number" min="0" value="${r.quotaMb}" required></label>
<p class="muted">${t('apps.recHint')}</p>
</fieldset>`;
}

export function appsTable(ctx: ViewContext, apps: readonly App[]): SafeHtml {
  const { t } = ctx;
  return html`<div id="apps-list">${apps.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr>
<th>${t('common.name')}</th><th>${t('apps.sourceType')}</th><th>${t('apps.hls')}</th><th>${t('apps.llHls')}</th>
<th>${t('apps.publishPolicy')}</th><th>${t('apps.playPolicy')}</th><th>${t('apps.recording')}</th><th>${t('common.actions')}</th></tr></thead><tbody>
${apps.map((a) => html`<tr data-app="${a.name}">
<td><a href="/apps/${encodeURIComponent(a.name)}">${a.name}</a></td><td>${a.sourceType}</td><td>${a.hls ? '✓' : '—'}</td><td>${a.llHls ? '✓' : '—'}</td>
<td>${a.publishPolicy}</td><td>${a.playPolicy}</td><td>${a.recording.enabled ? a.recording.format : '—'}</td>
<td><a href="/apps/${encodeURIComponent(a.name)}">${t('apps.edit')}</a>
${ctx.admin ? html` <button class="danger small" hx-delete="/apps/${encodeURIComponent(a.name)}" hx-confirm="${t('apps.confirmDelete')}" hx-target="closest tr" hx-swap="outerHTML">${t('common.delete')}</button>` : ''}</td>
</tr>`)}
</tbody></table>`}</div>`;
}

export const appsListFragment = (ctx: ViewContext, apps: readonly App[]): SafeHtml => html`${appsTable(ctx, apps)}${clearFlash()}`;

export function appsPage(ctx: ViewContext, apps: readonly App[], decoderMissing = false): SafeHtml {
  const { t } = ctx;
  return page(ctx, 'apps', t('apps.title'), html`${appsTable(ctx, apps)}
${ctx.admin ? html`<section class="card"><h2>${t('apps.new')}</h2>
<form hx-post="/apps" hx-target="#apps-list" hx-swap="outerHTML" class="stack" data-testid="new-app">
<label>${t('common.name')} <input name="name" required pattern="[A-Za-z0-9_\\-]{2,40}" maxlength="40"></label>
${appFields(ctx, null, decoderMissing)}
<button class="primary">${t('common.create')}</button>
</form></section>` : ''}`);
}

export function appForm(ctx: ViewContext, app: App, saved: boolean, decoderMissing = false): SafeHtml {
  const { t } = ctx;
  return html`<form id="app-form" hx-post="/apps/${encodeURIComponent(app.name)}" hx-target="#app-form" hx-swap="outerHTML" class="stack">
${saved ? okFragment(t('common.saved')) : ''}
${appFields(ctx, app, decoderMissing)}
${ctx.admin ? html`<button class="primary">${t('common.save')}</button>` : ''}
</form>${saved ? clearFlash() : ''}`;
}

export function keysTable(ctx: ViewContext, app: string, keys: readonly StreamKey[]): SafeHtml {
  const { t } = ctx;
  return html`<div id="keys-list">${keys.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr>
<th>${t('keys.prefix')}</th><th>${t('relays.stream')}</th><th>${t('keys.label')}</th><th></th><th>${t('common.actions')}</th></tr></thead><tbody>
${keys.map((k) => html`<tr><td><code>${k.prefix}…</code></td><td>${k.stream ?? '*'}</td><td>${k.label}</td><td>${formatTime(k.createdAtMs)}</td>
<td>${k.revokedAtMs !== null ? html`<span class="muted">${t('common.revoked')}</span>` : ctx.admin ? html`<button class="danger small" hx-post="/apps/${encodePath(app, 'keys', k.id)}/revoke" hx-confirm="${t('common.confirmDelete')}" hx-target="#keys-list" hx-swap="outerHTML">${t('common.revoke')}</button>` : ''}</td></tr>`)}
</tbody></table>`}</div>`;
}

/** the plain key, shown once, then the refreshed list */
export function newKeyFragment(ctx: ViewContext, app: string, key: string, keys: readonly StreamKey[]): SafeHtml {
  const { t } = ctx;
  return html`<div id="new-key" class="ok secret" hx-swap-oob="true">${t('keys.newKey')}: ${copyable(t, '', key, 'new-key')}<p>${t('common.shownOnce')}</p></div>
${keysTable(ctx, app, keys)}${clearFlash()}`;
}

export function appPage(ctx: ViewContext, app: App, keys: readonly StreamKey[], decoderMissing = false): SafeHtml {
  const { t } = ctx;
  return page(ctx, 'apps', app.name, html`<section class="card">${appForm(ctx, app, false, decoderMissing)}</section>
<section class="card"><h2>${t('keys.title')}</h2>
<div id="new-key"></div>
${keysTable(ctx, app.name, keys)}
${ctx.admin ? html`<form hx-post="/apps/${encodeURIComponent(app.name)}/keys" hx-target="#keys-list" hx-swap="outerHTML" class="row" data-testid="new-key-form">
<label>${t('keys.stream')} <input name="stream" maxlength="128" pattern="[A-Za-z0-9_.~\\-]{1,128}"></label>
<label>${t('keys.label')} <input name="label" maxlength="100"></label>
<button class="primary">${t('keys.generate')}</button>
</form>` : ''}
</section>`);
}
