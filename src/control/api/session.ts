// /api/v1/session: console login. POST (no auth) checks the password (rate-limited by the
// service) and sets the `weir_session` cookie; the answer's csrfToken must be sent as
// X-CSRF-Token on every state-changing request made with that cookie.
import { Elysia, t } from 'elysia';
import type { Session } from '../services/types.ts';
import { requireAuth, SESSION_COOKIE } from './auth.ts';
import { Empty, OneOf, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { problemResponses } from './problem.ts';
import { UserSchema } from './users.ts';

const Login = t.Object({
  username: t.String({ minLength: 1, maxLength: 256 }),
  password: t.String({ minLength: 1, maxLength: 256 }),
});

const LoginAnswer = t.Object(
  { user: UserSchema, csrfToken: t.String({ description: 'send as X-CSRF-Token with the cookie' }), expiresAtMs: TimestampMs },
  { description: 'A new console session' },
);

const CurrentSession = t.Object(
  {
    user: UserSchema,
    via: OneOf(['session', 'token']),
    csrfToken: t.Nullable(t.String()),
    expiresAtMs: t.Nullable(TimestampMs),
  },
  { description: 'Who is calling' },
);

function sessionCookie(value: string, maxAgeSec: number, secure: boolean): string {
  const parts = [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSec}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

const isHttps = (request: Request): boolean => new URL(request.url).protocol === 'https:';

const tags = ['session'];

export const sessionRoutes = (deps: ApiDeps) =>
  new Elysia({ prefix: '/session' })
    // before requireAuth: logging in needs no credentials
    .post(
      '',
      async ({ body, request, server, set }) => {
        const address = deps.clientAddress(request) ?? server?.requestIP(request)?.address ?? null;
        // with no address, one shared key would let anyone lock everyone out: count per username instead
        const clientKey = address ?? `unknown-address/${body.username.toLowerCase()}`;
        const { session, user } = await deps.services.auth.login(body.username, body.password, clientKey);
        const maxAgeSec = Math.max(0, Math.floor((session.expiresAtMs - deps.now()) / 1000));
        set.headers['set-cookie'] = sessionCookie(session.id, maxAgeSec, isHttps(request));
        set.headers['cache-control'] = 'no-store';
        set.status = 201;
        return { user, csrfToken: session.csrfToken, expiresAtMs: session.expiresAtMs };
      },
      {
        body: Login,
        parse: 'json',
        response: { 201: LoginAnswer, ...problemResponses(400, 401, 429) },
        detail: {
          tags,
          summary: 'Log in',
          description:
            `Sets the ${SESSION_COOKIE} cookie (HttpOnly, SameSite=Strict, Secure over https). ` +
            'Failed attempts are limited per client address and per address+username, with a doubling wait: 429 with Retry-After. ' +
            'A correct password from an address without failures is never held back by failures elsewhere.',
          security: [],
        },
      },
    )
    .use(requireAuth(deps))
    .get(
      '',
      ({ auth }) => {
        const session: Session | null = auth.via === 'session' ? auth.session : null;
        return { user: auth.user, via: auth.via, csrfToken: session?.csrfToken ?? null, expiresAtMs: session?.expiresAtMs ?? null };
      },
      {
        response: { 200: CurrentSession, ...problemResponses(401) },
        detail: { tags, summary: 'Who am I', description: 'With a session cookie, also its CSRF token.' },
      },
    )
    .delete(
      '',
      ({ auth, request, set }) => {
        if (auth.via === 'session') deps.services.auth.logout(auth.session.id);
        set.headers['set-cookie'] = sessionCookie('', 0, isHttps(request));
        set.status = 204;
      },
      {
        response: { 204: Empty, ...problemResponses(401, 403) },
        detail: { tags, summary: 'Log out', description: 'Ends the session and clears the cookie.' },
      },
    );
