// Pull sources and forward targets, engine settings, users and API tokens.
import type { ApiToken, ForwardTarget, PullSource, Settings, User } from '../../services/types.ts';
import { USER_ROLES } from '../../services/user-service.ts';
import { html, type SafeHtml } from '../html.ts';
import { LANGUAGES } from '../i18n.ts';
import { clearFlash, copyable, formatTime, okFragment, page, type ViewContext } from './layout.ts';

const enabledToggle = (ctx: ViewContext, kind: 'pulls' | 'forwards', id: string, enabled: boolean): SafeHtml =>
  ctx.admin
    ? html`<button class="small" hx-post="/${kind}/${encodeURIComponent(id)}/${enabled ? 'disable' : 'enable'}" hx-target="#${kind}-list" hx-swap="outerHTML">${enabled ? '✓' : '—'}</button>`
    : html`${enabled ? '✓' : '—'}`;

const deleteButton = (ctx: ViewContext, kind: 'pulls' | 'forwards', id: string): SafeHtml =>
  ctx.admin
    ? html`<button class="danger small" hx-delete="/${kind}/${encodeURIComponent(id)}" hx-confirm="${ctx.t('common.confirmDelete')}" hx-target="#${kind}-list" hx-swap="outerHTML">${ctx.t('common.delete')}</button>`
    : html``;

export function pullsTable(ctx: ViewContext, pulls: readonly PullSource[]): SafeHtml {
  const { t } = ctx;
  return html`<div id="pulls-list">${pulls.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr>
<th>${t('relays.app')}</th><th>${t('relays.stream')}</th><th>${t('relays.url')}</th><th>${t('common.enabled')}</th><th>${t('relays.status')}</th><th></th></tr></thead><tbody>
${pulls.map((p) => html`<tr><td>${p.app}</td><td>${p.stream}</td><td><code>${p.url}</code></td><td>${enabledToggle(ctx, 'pulls', p.id, p.enabled)}</td>
<td class="muted">${t('relays.statusUnknown')}</td><td>${deleteButton(ctx, 'pulls', p.id)}</td></tr>`)}
</tbody></table>`}</div>`;
}

export function forwardsTable(ctx: ViewContext, forwards: readonly ForwardTarget[]): SafeHtml {
  const { t } = ctx;
  return html`<div id="forwards-list">${forwards.length === 0 ? html`<p class="empty">${t('common.none')}</p>` : html`<table><thead><tr>
<th>${t('relays.app')}</th><th>${t('relays.stream')}</th><th>${t('relays.url')}</th><th>${t('common.enabled')}</th><th>${t('relays.status')}</th><th></th></tr></thead><tbody>
${forwards.map((f) => html`<tr><td>${f.app}</td><td>${f.stream ?? '*'}</td><td><code>${f.url}</code></td><td>${enabledToggle(ctx, 'forwards', f.id, f.enabled)}</td>
<td class="muted">${t('relays.statusUnknown')}</td><td>${deleteButton(ctx, 'forwards', f.id)}</td></tr>`)}
</tbody></table>`}</div>`;
}

const appSelect = (apps: readonly string[]): SafeHtml => html`<select name="app" required>${apps.map((a) => html`<option value="${a}">${a}</option>`)}</select>`;

export function relaysPage(ctx: ViewContext, apps: readonly string[], pulls: readonly PullSource[], forwards: readonly ForwardTarget[]): SafeHtml {
  const { t } = ctx;
  return page(ctx, 'relays', t('nav.relays'), html`<section class="card"><h2>${t('relays.pulls')}</h2>
${pullsTable(ctx, pulls)}
${ctx.admin ? html`<form hx-post="/pulls" hx-target="#pulls-list" hx-swap="outerHTML" class="row">
<label>${t('relays.app')} ${appSelect(apps)}</label>
<label>${t('relays.stream')} <input name="stream" required maxlength="128"></label>
<label>${t('relays.url')} <input name="url" required placeholder="rtmp://"></label>
<button class="primary">${t('common.create')}</button></form>` : ''}
</section>
<section class="card"><h2>${t('relays.forwards')}</h2>
${forwardsTable(ctx, forwards)}
${ctx.admin ? html`<form hx-post="/forwards" hx-target="#forwards-list" hx-swap="outerHTML" class="row">
<label>${t('relays.app')} ${appSelect(apps)}</label>
<label>${t('relays.streamAny')} <input name="stream" maxlength="128"></label>
<label>${t('relays.url')} <input name="url" required placeholder="rtmp://"></label>
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
${ctx.admin ? html`<button class="primary">${t('common.save')}</button>` : ''}
</form>${saved ? clearFlash() : ''}`;
}

export const settingsPage = (ctx: ViewContext, s: Settings): SafeHtml =>
  page(ctx, 'settings', ctx.t('settings.title'), html`<section class="card">${settingsForm(ctx, s, false)}</section>`);

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
