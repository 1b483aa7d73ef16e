// The page frame (nav, language switch, logout, CSRF header for htmx), the login page, the
// inline error fragment and the small formatters every view shares. Pure: (data) => html.
import { asset } from '../assets.ts';
import { html, json, type SafeHtml } from '../html.ts';
import type { Lang, LabelKey, Translate } from '../i18n.ts';

export type ViewContext = Readonly<{
  t: Translate;
  lang: Lang;
  csrfToken: string;
  username: string;
  admin: boolean;
  nowMs: number;
}>;

export type NavKey = 'dashboard' | 'apps' | 'streams' | 'relays' | 'settings' | 'users';
const NAV: ReadonlyArray<readonly [NavKey, string, LabelKey]> = [
  ['dashboard', '/', 'nav.dashboard'],
  ['apps', '/apps', 'nav.apps'],
  ['streams', '/streams', 'nav.streams'],
  ['relays', '/relays', 'nav.relays'],
  ['settings', '/settings', 'nav.settings'],
  ['users', '/users', 'nav.users'],
];

const head = (title: string, extraScripts: readonly string[]): SafeHtml => html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${asset('console.css')}">
<script src="${asset('htmx.min.js')}"></script>
<script src="${asset('console.js')}" defer></script>
${extraScripts.map((src) => html`<script src="${src}" defer></script>`)}
</head>`;

export function page(ctx: ViewContext, active: NavKey | null, title: string, body: SafeHtml, extraScripts: readonly string[] = []): SafeHtml {
  const { t } = ctx;
  return html`<!DOCTYPE html>
<html lang="${ctx.lang === 'zh' ? 'zh-CN' : 'en'}">
${head(`${title} · ${t('app.title')}`, extraScripts)}
<body hx-headers:inherited="${json({ 'X-CSRF-Token': ctx.csrfToken })}">
<header class="top">
  <a class="brand" href="/">Weir</a>
  <nav>${NAV.map(([key, href, label]) => html`<a href="${href}"${key === active ? html` class="active" aria-current="page"` : ''}>${t(label)}</a>`)}
    <a href="/api/docs">${t('nav.apiDocs')}</a></nav>
  <div class="user">
    <form method="post" action="/language" class="inline" aria-label="${t('lang.switch')}">
      <input type="hidden" name="_csrf" value="${ctx.csrfToken}">
      <button name="lang" value="en" class="link${ctx.lang === 'en' ? ' active' : ''}" data-testid="lang-en">English</button>
      <button name="lang" value="zh" class="link${ctx.lang === 'zh' ? ' active' : ''}" data-testid="lang-zh">中文</button>
    </form>
    <span class="who">${ctx.username}</span>
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="_csrf" value="${ctx.csrfToken}">
      <button class="link">${t('nav.logout')}</button>
    </form>
  </div>
</header>
<main>
<h1>${title}</h1>
<div id="flash" role="alert" aria-live="polite"></div>
${ctx.admin ? '' : html`<p class="note">${t('common.adminOnly')}</p>`}
${body}
</main>
</body>
</html>`;
}

export function loginPage(t: Translate, lang: Lang, error: string | null, username: string): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
${head(`${t('login.title')} · ${t('app.title')}`, [])}
<body class="login">
<main class="card narrow">
<h1>${t('app.title')}</h1>
${error === null ? '' : html`<div class="error" role="alert"><strong>${t('login.failed')}:</strong> ${error}</div>`}
<form method="post" action="/login">
  <label>${t('login.username')} <input name="username" autocomplete="username" required maxlength="256" value="${username}" autofocus></label>
  <label>${t('login.password')} <input name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
  <button class="primary">${t('login.submit')}</button>
</form>
</main>
</body>
</html>`;
}

/** what htmx swaps into #flash when a service refuses: the message, escaped */
export const errorFragment = (t: Translate, message: string): SafeHtml =>
  html`<div class="error" role="alert"><strong>${t('common.error')}:</strong> ${message}</div>`;

export const okFragment = (message: string): SafeHtml => html`<div class="ok" role="status">${message}</div>`;

/** clears #flash out of band, alongside a successful swap */
export const clearFlash = (): SafeHtml => html`<div id="flash" role="alert" aria-live="polite" hx-swap-oob="true"></div>`;

export const copyButton = (t: Translate, text: string): SafeHtml =>
  html`<button type="button" class="copy" data-copy="${text}">${t('common.copy')}</button>`;

/** a value to copy: shown in a code box with its copy button */
export const copyable = (t: Translate, label: string, text: string, testId = ''): SafeHtml =>
  html`<div class="copyable"><span class="label">${label}</span><code${testId ? html` data-testid="${testId}"` : ''}>${text}</code>${copyButton(t, text)}</div>`;

export function formatBitrate(bps: number): string {
  if (!Number.isFinite(bps) || bps <= 0) return '0 kb/s';
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(2)} Mb/s`;
  return `${Math.round(bps / 1000)} kb/s`;
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export const formatTime = (ms: number | null): string => (ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z');

/** ids in element ids and URL paths: only what cannot break either */
export const encodePath = (...parts: string[]): string => parts.map((p) => encodeURIComponent(p)).join('/');
