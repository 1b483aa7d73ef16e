// Request plumbing shared by the console routes: who is calling (the API's session service),
// CSRF (X-CSRF-Token from htmx, or a `_csrf` field from a plain form), the CSP header, and
// turning a service's refusal into an inline error fragment that htmx swaps into #flash.
import { readCookie, SESSION_COOKIE, CSRF_HEADER } from '../api/auth.ts';
import type { ApiDeps } from '../api/deps.ts';
import { requestHost } from '../api/media-urls.ts';
import { ApiProblem } from '../api/problem.ts';
import { isDomainError } from '../services/errors.ts';
import type { AuthContext } from '../services/types.ts';
import type { SafeHtml } from './html.ts';
import { toLang, translator } from './i18n.ts';
import { errorFragment, type ViewContext } from './views/layout.ts';
import { constantTimeEqual } from '../../shared/constant-time.ts';

export type SessionAuth = Extract<AuthContext, { via: 'session' }>;
export type Caller = Readonly<{ auth: SessionAuth; ctx: ViewContext }>;
export type Form = Readonly<Record<string, unknown>>;

export function sessionCookie(value: string, maxAgeSec: number, request: Request): string {
  const parts = [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSec}`];
  if (new URL(request.url).protocol === 'https:') parts.push('Secure');
  return parts.join('; ');
}

export function caller(deps: ApiDeps, request: Request): Caller | null {
  const auth = deps.services.auth.sessionFromCookie(readCookie(request.headers.get('cookie'), SESSION_COOKIE));
  if (!auth) return null;
  const lang = toLang(auth.user.language);
  return {
    auth,
    ctx: {
      t: translator(lang),
      lang,
      csrfToken: auth.session.csrfToken,
      username: auth.user.username,
      admin: auth.user.role === 'admin',
      nowMs: deps.now(),
    },
  };
}


export function csrfOk(request: Request, form: Form, expected: string): boolean {
  const sent = request.headers.get(CSRF_HEADER) ?? (typeof form._csrf === 'string' ? form._csrf : null);
  return sent !== null && constantTimeEqual(sent, expected);
}

/** a plain-form POST without a session token (login) must at least come from our own pages */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin');
  return origin === null || origin === new URL(request.url).origin;
}

export function contentSecurityPolicy(request: Request, mediaHttpPort: number): string {
  const host = requestHost(request);
  const media = `${host}:${mediaHttpPort}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    `connect-src 'self' http://${media} ws://${media} https://${media} wss://${media}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

export function htmlResponse(deps: ApiDeps, request: Request, body: SafeHtml | string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(String(body), {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'content-security-policy': contentSecurityPolicy(request, deps.services.settings.get().listen.httpPort),
      ...headers,
    },
  });
}

export const redirect = (location: string, headers: Record<string, string> = {}): Response =>
  new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', ...headers } });

/** what a refusal says, and its HTTP status; unexpected errors are logged and say nothing */
export function describeError(deps: ApiDeps, error: unknown, request: Request): { status: number; message: string } {
  if (isDomainError(error)) return { status: error.status, message: error.message };
  if (error instanceof ApiProblem) return { status: error.status, message: error.detail };
  deps.logger.error('console request failed', {
    method: request.method,
    path: new URL(request.url).pathname,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  return { status: 500, message: 'An unexpected error occurred; it has been logged' };
}

/** an error fragment aimed at #flash whatever the element asked for */
export function flashError(deps: ApiDeps, request: Request, ctx: ViewContext, status: number, message: string): Response {
  return htmlResponse(deps, request, errorFragment(ctx.t, message), status, { 'hx-retarget': '#flash', 'hx-reswap': 'innerHTML' });
}

export const str = (form: Form, name: string): string => {
  const v = form[name];
  if (typeof v === 'string') return v.trim();
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0].trim();
  return '';
};
export const checked = (form: Form, name: string): boolean => {
  const v = form[name];
  return v === 'on' || v === 'true' || v === true || (Array.isArray(v) && v.includes('on'));
};
export const optional = (value: string): string | null => (value === '' ? null : value);
export const asForm = (body: unknown): Form => (typeof body === 'object' && body !== null ? (body as Form) : {});
