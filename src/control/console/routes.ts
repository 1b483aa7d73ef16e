// The web console at /: server-rendered pages with htmx, calling the same services as the
// REST API (control/api) and the same engine client. Mount with `.use(consoleRoutes(deps))`.
import { Elysia } from 'elysia';
import type { ApiDeps } from '../api/deps.ts';
import { fromEngine } from '../api/live.ts';
import { ApiProblem } from '../api/problem.ts';
import { internalErrorResponse } from '../../shared/http-errors.ts';
import { adminRoutes } from './admin-routes.ts';
import { assetRoutes } from './assets.ts';
import { describeError, htmlResponse, redirect, sameOrigin, sessionCookie, str, asForm, caller, csrfOk } from './http.ts';
import { toLang, translator } from './i18n.ts';
import { kit } from './kit.ts';
import { liveView, streamPageData } from './live-data.ts';
import { recordingsConsoleRoutes } from './recordings-routes.ts';
import { loginPage } from './views/layout.ts';
import { dashboardFragment, dashboardPage, streamLiveFragment, streamPage, streamsFragment, streamsPage } from './views/streams.ts';

const hidden = { detail: { hide: true } } as const;

/** after a kick the engine may list the stream for a moment: wait until it is gone (max ~1.5 s) */
async function untilGone(deps: ApiDeps, app: string, stream: string): Promise<void> {
  for (let i = 0; i < 15; i++) {
    const streams = await deps.engine.streams();
    if (!streams.ok || !streams.value.some((s) => s.app === app && s.stream === stream)) return;
    await Bun.sleep(100);
  }
}

function consoleApp(deps: ApiDeps) {
  const { pageRoute, fragmentRoute, actionRoute } = kit(deps);
  const { auth, users } = deps.services;
  // apps whose live streams get a thumbnail on the live streams page
  const snapshotApps = (): ReadonlySet<string> => new Set(deps.services.apps.list().filter((a) => a.snapshot.enabled).map((a) => a.name));

  return new Elysia()
    // first in the chain: an Elysia hook covers only the routes added after it
    .onError(({ code, error, request }) => {
      const plain = { 'content-type': 'text/plain; charset=utf-8' };
      if (code === 'NOT_FOUND') return htmlResponse(deps, request, 'Not found', 404, plain);
      if (code === 'VALIDATION' || code === 'PARSE' || code === 'INVALID_COOKIE_SIGNATURE') return htmlResponse(deps, request, 'Bad request', 400, plain);
      // our failure, not the client's: logged here, and a 500 that says nothing about it
      deps.logger.error('console request failed', {
        method: request.method,
        path: URL.canParse(request.url) ? new URL(request.url).pathname : '(unparseable)',
        code: String(code),
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return internalErrorResponse();
    })
    .use(assetRoutes())
    .get('/login', ({ request }) => {
      if (caller(deps, request)) return redirect('/');
      const lang = toLang(request.headers.get('accept-language'));
      return htmlResponse(deps, request, loginPage(translator(lang), lang, null, ''));
    }, hidden)
    .post('/login', async ({ request, body, server }) => {
      const form = asForm(body);
      const lang = toLang(request.headers.get('accept-language'));
      const t = translator(lang);
      const username = str(form, 'username');
      const password = typeof form.password === 'string' ? form.password : '';
      if (!sameOrigin(request)) return htmlResponse(deps, request, loginPage(t, lang, 'Cross-origin login refused', username), 403);
      if (username === '' || password === '') return htmlResponse(deps, request, loginPage(t, lang, 'Enter a username and a password', username), 400);
      try {
        const address = deps.clientAddress(request) ?? server?.requestIP(request)?.address ?? null;
        const { session } = await auth.login(username.slice(0, 256), password.slice(0, 256), address ?? `unknown-address/${username.toLowerCase()}`);
        const maxAgeSec = Math.max(0, Math.floor((session.expiresAtMs - deps.now()) / 1000));
        return redirect('/', { 'set-cookie': sessionCookie(session.id, maxAgeSec, request) });
      } catch (error) {
        const { status, message } = describeError(deps, error, request);
        return htmlResponse(deps, request, loginPage(t, lang, message, username), status);
      }
    }, hidden)
    .post('/logout', ({ request, body }) => {
      const c = caller(deps, request);
      if (c && csrfOk(request, asForm(body), c.auth.session.csrfToken)) auth.logout(c.auth.session.id);
      else if (c) return htmlResponse(deps, request, 'Missing or wrong CSRF token', 403);
      return redirect('/login', { 'set-cookie': sessionCookie('', 0, request) });
    }, hidden)
    .post('/language', actionRoute((c, form, { request }) => {
      const lang = toLang(str(form, 'lang'));
      users.update(c.auth.user.id, { language: lang });
      const referer = request.headers.get('referer');
      let back = '/';
      if (referer) {
        const url = new URL(referer, request.url);
        if (url.origin === new URL(request.url).origin) back = url.pathname + url.search;
      }
      return redirect(back);
    }, { anyone: true }), hidden)

    .get('/', pageRoute(async (c) => dashboardPage(c.ctx, await liveView(deps))), hidden)
    .get('/fragments/dashboard', fragmentRoute(async (c) => dashboardFragment(c.ctx, await liveView(deps))), hidden)
    .get('/streams', pageRoute(async (c) => streamsPage(c.ctx, await liveView(deps), snapshotApps())), hidden)
    .get('/fragments/streams', fragmentRoute(async (c) => streamsFragment(c.ctx, await liveView(deps), snapshotApps())), hidden)
    .get('/streams/:app/:stream', pageRoute(async (c, { request, params }) =>
      streamPage(c.ctx, await streamPageData(deps, request, params.app ?? '', params.stream ?? '', c.ctx.admin))), hidden)
    .get('/fragments/streams/:app/:stream', fragmentRoute(async (c, { request, params }) =>
      streamLiveFragment(c.ctx, await streamPageData(deps, request, params.app ?? '', params.stream ?? '', c.ctx.admin))), hidden)
    .post('/streams/:app/:stream/kick', actionRoute(async (c, _form, { request, params, query }) => {
      const app = params.app ?? '';
      const stream = params.stream ?? '';
      const live = (await fromEngine(deps.engine.streams())).find((s) => s.app === app && s.stream === stream);
      if (!live || live.publisherId === null) throw new ApiProblem('not-found', `stream '${app}/${stream}' is not live`);
      await fromEngine(deps.engine.kick(live.publisherId));
      await untilGone(deps, app, stream);
      c = { ...c, ctx: { ...c.ctx, nowMs: deps.now() } };
      if (query.from === 'stream') return streamLiveFragment(c.ctx, await streamPageData(deps, request, app, stream, c.ctx.admin));
      return streamsFragment(c.ctx, await liveView(deps), snapshotApps());
    }), hidden)
    .post('/clients/:id/kick', actionRoute(async (c, _form, { request, params, query }) => {
      const kicked = await fromEngine(deps.engine.kick(params.id ?? ''));
      if (!kicked) throw new ApiProblem('not-found', 'that client is no longer connected');
      return streamLiveFragment(c.ctx, await streamPageData(deps, request, query.app ?? '', query.stream ?? '', c.ctx.admin));
    }), hidden)
    .use(recordingsConsoleRoutes(deps))
    .use(adminRoutes(deps));
}

/** the paths the console owns; everything else (/api, /healthz, other plugins) passes through */
const CONSOLE_PREFIXES = ['/login', '/logout', '/language', '/fragments', '/apps', '/streams', '/clients', '/relays', '/pulls', '/forwards', '/settings', '/users', '/tokens', '/console'];

export function isConsolePath(pathname: string): boolean {
  return pathname === '/' || CONSOLE_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/**
 * Mount with `.use(consoleRoutes(deps))`. The console is its own Elysia app, reached through one
 * request hook, so the REST API's route table (and its OpenAPI document) holds API routes only.
 */
export const consoleRoutes = (deps: ApiDeps) => {
  const app = consoleApp(deps);
  return new Elysia().onRequest(({ request }) => {
    if (!isConsolePath(new URL(request.url).pathname)) return;
    return app.handle(request);
  });
};
