// Pull sources and forward targets (with the engine's live relay status, refreshed every 2 s,
// and an edit form), engine settings, users and API tokens.
import type { ConfigApplyError, RelayStatus } from '../../../shared/config-protocol.ts';
import type { ApiToken, ForwardTarget, PullSource, Settings, User } from '../../services/types.ts';
import { USER_ROLES } from '../../services/user-service.ts';
import { redactSecrets, redactUrlsIn } from '../../../shared/redact-url.ts';
import { html, type SafeHtml } from '../html.ts';
import { LANGUAGES, type LabelKey } from '../i18n.ts';
import { clearFlash, copyable, formatTime, okFragment, page, type ViewContext } from './layout.ts';

const enabledToggle = (ctx: ViewContext, kind: 'pulls' | 'forwards', id: string, enabled: boolean): SafeHtml =>
  ctx.admin
    ? html`<button class="small" hx-post="/${kind}/${encodeURIComponent(id)}/${enabled ? 'disable' : 'enable'}" hx-target="#${kind}-list" hx-swap="outerHTML">${enabled ? '✓' : '—'}</button>`
    : html`${enabled ? '✓' : '—'}`;

const deleteButton = (ctx: ViewContext, kind: 'pulls' | 'forwards', id: string): SafeHtml =>
  ctx.admin
    ? html`<button class="danger small" hx-delete="/${kind}/${encodeURIComponent(id)}" hx-confirm="${ctx.t('common.confirmDelete')}" hx-target="#${kind}-list" hx-swap="outerHTML">${ctx.t('common.delete')}</button>`
    : html``;

const editButton = (ctx: ViewContext, kind: 'pulls' | 'forwards', id: string): SafeHtml =>
  ctx.admin
    ? html`<button class="small" data-testid="edit" hx-get="/${kind}/${encodeURIComponent(id)}/edit" hx-target="#${kind}-edit" hx-swap="innerHTML">${ctx.t('relays.edit')}</button>`
    : html``;

/** the engine's relays by pull/forward id; null when the engine cannot be asked */
export type RelayStatuses = ReadonlyMap<string, readonly RelayStatus[]> | null;

const STATE_LABELS: Readonly<Record<RelayStatus['state'], LabelKey>> = {
  connecting: 'relays.state.connecting',
  live: 'relays.state.live',
  retrying: 'relays.state.retrying',
  stopped: 'relays.state.stopped',
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** what the engine runs for one pull source or forward target (a forward to every stream may run several) */
export function relayStatusCell(ctx: ViewContext, kind: 'pulls' | 'forwards', id: string, enabled: boolean, statuses: RelayStatuses): SafeHtml {
  const { t } = ctx;
  const testId = `relay-status-${kind}-${id}`;
  if (statuses === null) return html`<td class="muted" data-testid="${testId}">${t('relays.statusUnknown')}</td>`;
  const running = statuses.get(id) ?? [];
  if (running.length === 0) return html`<td class="muted" data-testid="${testId}">${enabled ? t('relays.notRunning') : '—'}</td>`;
  return html`<td data-testid="${testId}">${running.map((r) => html`<div class="relay-state">
${kind === 'forwards' ? html`<span class="muted">${r.stream}:</span> ` : ''}<strong class="state-${r.state}" data-state="${r.state}">${t(STATE_LABELS[r.state])}</strong>
<small>${t('relays.bytes')} ${formatBytes(r.bytesIn)} / ${formatBytes(r.bytesOut)}${r.retries > 0 ? html` · ${t('relays.retries')} ${r.retries}` : ''}</small>
${r.lastError !== null ? html`<div class="error-text"><small>${t('relays.lastError')}: ${redactUrlsIn(r.lastError)}</small></div>` : ''}</div>`)}</td>`;
}

// Lists show every URL redacted, to admins too (a screen share or a shoulder is enough to leak
// a stream key); the whole URL appears only in the admin's edit form.
export function pullsTable(ctx: ViewContext, pulls: readonly PullSource[], statuses: RelayStatuses): SafeHtml {
  const { t } = ctx;
  return html`<div id="pulls-list">${pulls.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr>
<th>${t('relays.app')}</th><th>${t('relays.stream')}</th><th>${t('relays.url')}</th><th>${t('common.enabled')}</th><th>${t('relays.status')}</th><th></th></tr></thead><tbody>
${pulls.map((p) => html`<tr data-relay="${p.id}"><td>${p.app}</td><td>${p.stream}</td><td><code>${redactSecrets(p.url)}</code></td><td>${enabledToggle(ctx, 'pulls', p.id, p.enabled)}</td>
${relayStatusCell(ctx, 'pulls', p.id, p.enabled, statuses)}<td>${editButton(ctx, 'pulls', p.id)} ${deleteButton(ctx, 'pulls', p.id)}</td></tr>`)}
</tbody></table>`}</div>`;
}

export function forwardsTable(ctx: ViewContext, forwards: readonly ForwardTarget[], statuses: RelayStatuses): SafeHtml {
  const { t } = ctx;
  return html`<div id="forwards-list">${forwards.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr>
<th>${t('relays.app')}</th><th>${t('relays.stream')}</th><th>${t('relays.url')}</th><th>${t('common.enabled')}</th><th>${t('relays.status')}</th><th></th></tr></thead><tbody>
${forwards.map((f) => html`<tr data-relay="${f.id}"><td>${f.app}</td><td>${f.stream ?? '*'}</td><td><code>${redactSecrets(f.url)}</code></td><td>${enabledToggle(ctx, 'forwards', f.id, f.enabled)}</td>
${relayStatusCell(ctx, 'forwards', f.id, f.enabled, statuses)}<td>${editButton(ctx, 'forwards', f.id)} ${deleteButton(ctx, 'forwards', f.id)}</td></tr>`)}
</tbody></table>`}</div>`;
}

/** the edit form for one pull source (app fixed; stream, URL, enabled editable), shown in #pulls-edit */
export function pullEditForm(ctx: ViewContext, p: PullSource): SafeHtml {
  const { t } = ctx;
  return html`<form hx-post="/pulls/${encodeURIComponent(p.id)}" hx-target="#pulls-list" hx-swap="outerHTML" class="row" data-testid="pull-edit">
<strong>${t('relays.editPull')}: ${p.app}</strong>
<label>${t('relays.stream')} <input name="stream" required maxlength="128" value="${p.stream}"></label>
<label>${t('relays.url')} <input name="url" required value="${p.url}"></label>
<label><input type="checkbox" name="enabled"${p.enabled ? html` checked` : ''}> ${t('common.enabled')}</label>
<button class="primary">${t('common.save')}</button>
<button type="button" hx-get="/pulls/edit/cancel" hx-target="#pulls-edit" hx-swap="innerHTML">${t('relays.cancel')}</button></form>`;
}

/** the edit form for one forward target (app fixed; stream or every stream, URL, enabled), shown in #forwards-edit */
export function forwardEditForm(ctx: ViewContext, f: ForwardTarget): SafeHtml {
  const { t } = ctx;
  return html`<form hx-post="/forwards/${encodeURIComponent(f.id)}" hx-target="#forwards-list" hx-swap="outerHTML" class="row" data-testid="forward-edit">
<strong>${t('relays.editForward')}: ${f.app}</strong>
<label>${t('relays.streamAny')} <input name="stream" maxlength="128" value="${f.stream ?? ''}"></label>
<label>${t('relays.url')} <input name="url" required value="${f.url}"></label>
<label><input type="checkbox" name="enabled"${f.enabled ? html` checked` : ''}> ${t('common.enabled')}</label>
<button class="primary">${t('common.save')}</button>
<button type="button" hx-get="/forwards/edit/cancel" hx-target="#forwards-edit" hx-swap="innerHTML">${t('relays.cancel')}</button></form>`;
}

/** after a save: the list, the edit panel emptied, the flash cleared */
export const clearEdit = (kind: 'pulls' | 'forwards'): SafeHtml => html`<div id="${kind}-edit" hx-swap-oob="true"></div>`;

const appSelect = (apps: readonly string[]): SafeHtml => html`<select name="app" required>${apps.map((a) => html`<option value="${a}">${a}</option>`)}</select>`;

export function relaysPage(
  ctx: ViewContext,
  apps: readonly string[],
  pulls: readonly PullSource[],
  forwards: readonly ForwardTarget[],
  statuses: RelayStatuses,
): SafeHtml {
  const { t } = ctx;
  return page(ctx, 'relays', t('nav.relays'), html`<section class="card"><h2>${t('relays.pulls')}</h2>
<div id="pulls-live" hx-get="/fragments/pulls" hx-trigger="every 2s" hx-swap="innerHTML">${pullsTable(ctx, pulls, statuses)}</div>
<div id="pulls-edit"></div>
${ctx.admin ? html`<form hx-post="/pulls" hx-target="#pulls-list" hx-swap="outerHTML" class="row">
<label>${t('relays.app')} ${appSelect(apps)}</label>
<label>${t('relays.stream')} <input name="stream" required maxlength="128"></label>
<label>${t('relays.url')} <input name="url" required placeholder="rtmp:// rtsp://user:pass@camera/stream" title="${t('relays.pullUrlHint')}"></label>
<button class="primary">${t('common.create')}</button></form>
<p class="note">${t('relays.pullUrlHint')}</p>` : ''}
</section>
<section class="card"><h2>${t('relays.forwards')}</h2>
<div id="forwards-live" hx-get="/fragments/forwards" hx-trigger="every 2s" hx-swap="innerHTML">${forwardsTable(ctx, forwards, statuses)}</div>
<div id="forwards-edit"></div>
${ctx.admin ? html`<form hx-post="/forwards" hx-target="#forwards-list" hx-swap="outerHTML" class="row">
<label>${t('relays.app')} ${appSelect(apps)}</label>
<label>${t('relays.streamAny')} <input name="stream" maxlength="128"></label>
<label>${t('relays.url')} <input name="url" required placeholder="rtmp:// srt:// udp://"></label>
<button class="primary">${t('common.create')}</button></form>` : ''}
</section>`);
}

export function settingsForm(ctx: ViewContext, s: Settings, saved: boolean): SafeHtml {
  const { t } = ctx;
  const num = (name: string, label: string, value: number) =>
    html`<label>${label} <input name="${name}" type="number" min="1" required value="${value}"></label>`;
  return html`<form id="settings-form" hx-post="/settings" hx-target="#settings-form" hx-swap="outerHTML" class="stack">
${saved ? okFragment(t('common.saved')) : ''}
<p class="warning" role="note">${t('settings.warning')}</p>
<label>${t('settings.rtmpHost')} <input name="rtmpHost" required value="${s.listen.rtmpHost}"></label>
${num('rtmpPort', t('settings.rtmpPort'), s.listen.rtmpPort)}
<label>${t('settings.httpHost')} <input name="httpHost" required value="${s.listen.httpHost}"></label>
${num('httpPort', t('settings.httpPort'), s.listen.httpPort)}
${num('targetDurationMs', t('settings.targetDuration'), s.hls.targetDurationMs)}
${num('partTargetMs', t('settings.partTarget'), s.hls.partTargetMs)}
${num('windowSegments', t('settings.window'), s.hls.windowSegments)}
<label><input type="checkbox" name="alwaysRemux"${s.hls.alwaysRemux ? html` checked` : ''}> ${t('settings.alwaysRemux')}</label>
${num('muxerCloseAfterMs', t('settings.muxerCloseAfter'), s.hls.muxerCloseAfterMs)}
${ctx.admin ? html`<button class="primary">${t('common.save')}</button>` : ''}
</form>${saved ? clearFlash() : ''}`;
}

/**
 * What the engine reported it could not apply of the latest settings (a busy port, say): the
 * form shows what was asked for, this shows what did not happen. Refreshed, since the engine
 * applies a change a moment after it is saved.
 */
export function engineApplyNotice(ctx: ViewContext, errors: readonly ConfigApplyError[]): SafeHtml {
  const { t } = ctx;
  return html`<div id="engine-apply" hx-get="/fragments/engine-apply" hx-trigger="every 2s" hx-swap="outerHTML">${
    errors.length === 0
      ? ''
      : html`<div class="error" role="alert" data-testid="settings-not-applied"><strong>${t('settings.notApplied')}:</strong><ul>${errors.map(
          (e) => html`<li><code>${e.setting}</code> ${e.value}: ${e.reason}</li>`,
        )}</ul></div>`
  }</div>`;
}

export const settingsPage = (ctx: ViewContext, s: Settings, applyErrors: readonly ConfigApplyError[]): SafeHtml =>
  page(ctx, 'settings', ctx.t('settings.title'), html`<section class="card">${engineApplyNotice(ctx, applyErrors)}${settingsForm(ctx, s, false)}</section>`);

export function usersTable(ctx: ViewContext, users: readonly User[]): SafeHtml {
  const { t } = ctx;
  return html`<div id="users-list"><table><thead><tr><th>${t('users.username')}</th><th>${t('users.role')}</th><th>${t('users.language')}</th><th></th><th></th></tr></thead><tbody>
${users.map((u) => html`<tr><td>${u.username}</td><td>${u.role}</td><td>${u.language}</td><td>${formatTime(u.createdAtMs)}</td>
<td>${ctx.admin ? html`<button class="danger small" hx-delete="/users/${encodeURIComponent(u.id)}" hx-confirm="${t('users.confirmDelete')}" hx-target="#users-list" hx-swap="outerHTML">${t('common.delete')}</button>` : ''}</td></tr>`)}
</tbody></table></div>`;
}

export function tokensTable(ctx: ViewContext, tokens: readonly ApiToken[], owners: ReadonlyMap<string, string>): SafeHtml {
  const { t } = ctx;
  return html`<div id="tokens-list">${tokens.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr><th>${t('tokens.name')}</th><th>${t('users.username')}</th><th>${t('keys.prefix')}</th><th></th><th>${t('tokens.lastUsed')}</th><th></th></tr></thead><tbody>
${tokens.map((k) => html`<tr><td>${k.name}</td><td>${owners.get(k.userId) ?? k.userId}</td><td><code>${k.prefix}…</code></td><td>${formatTime(k.createdAtMs)}</td><td>${formatTime(k.lastUsedAtMs)}</td>
<td>${k.revokedAtMs !== null ? html`<span class="muted">${t('common.revoked')}</span>` : html`<button class="danger small" hx-post="/tokens/${encodeURIComponent(k.id)}/revoke" hx-confirm="${t('common.confirmDelete')}" hx-target="#tokens-list" hx-swap="outerHTML">${t('common.revoke')}</button>`}</td></tr>`)}
</tbody></table>`}</div>`;
}

export const newTokenFragment = (ctx: ViewContext, token: string, tokens: readonly ApiToken[], owners: ReadonlyMap<string, string>): SafeHtml =>
  html`<div id="new-token" class="ok secret" hx-swap-oob="true">${ctx.t('tokens.new')}: ${copyable(ctx.t, '', token, 'new-token')}<p>${ctx.t('common.shownOnce')}</p></div>
${tokensTable(ctx, tokens, owners)}${clearFlash()}`;

export function usersPage(ctx: ViewContext, users: readonly User[], tokens: readonly ApiToken[], owners: ReadonlyMap<string, string>): SafeHtml {
  const { t } = ctx;
  return page(ctx, 'users', t('nav.users'), html`<section class="card"><h2>${t('users.title')}</h2>
${usersTable(ctx, users)}
${ctx.admin ? html`<form hx-post="/users" hx-target="#users-list" hx-swap="outerHTML" class="row">
<label>${t('users.username')} <input name="username" required maxlength="40" autocomplete="off"></label>
<label>${t('users.password')} <input name="password" type="password" required minlength="8" maxlength="256" autocomplete="new-password"></label>
<label>${t('users.role')} <select name="role">${USER_ROLES.map((r) => html`<option value="${r}">${r}</option>`)}</select></label>
<label>${t('users.language')} <select name="language">${LANGUAGES.map((l) => html`<option value="${l}">${l}</option>`)}</select></label>
<button class="primary">${t('common.create')}</button></form>` : ''}
</section>
<section class="card"><h2>${t('tokens.title')}</h2>
<div id="new-token"></div>
${tokensTable(ctx, tokens, owners)}
<form hx-post="/tokens" hx-target="#tokens-list" hx-swap="outerHTML" class="row">
<label>${t('tokens.name')} <input name="name" required maxlength="100"></label>
<button class="primary">${t('tokens.create')}</button></form>
</section>`);
}
