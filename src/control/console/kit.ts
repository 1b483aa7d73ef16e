// Handler wrappers for the console routes: a page (log in first, errors as a page), a live
// fragment (polled by htmx), and an action (session + CSRF + admin, errors inline in #flash).
import type { ApiDeps } from '../api/deps.ts';
import type { SafeHtml } from './html.ts';
import { asForm, caller, csrfOk, describeError, flashError, htmlResponse, redirect, type Caller, type Form } from './http.ts';
import { errorFragment, page } from './views/layout.ts';

type Params = Record<string, string>;
export type RouteContext = { request: Request; params: Params; body: unknown; query: Record<string, string | undefined> };
type Out = SafeHtml | Response;

export function kit(deps: ApiDeps) {
  const finish = (request: Request, out: Out): Response => (out instanceof Response ? out : htmlResponse(deps, request, out));

  /** a full page: no session sends the browser to /login */
  const pageRoute =
    (render: (c: Caller, rc: RouteContext) => Out | Promise<Out>) =>
    async (rc: RouteContext): Promise<Response> => {
      const c = caller(deps, rc.request);
      if (!c) return redirect('/login');
      try {
        return finish(rc.request, await render(c, rc));
      } catch (error) {
        const { status, message } = describeError(deps, error, rc.request);
        return htmlResponse(deps, rc.request, page(c.ctx, null, c.ctx.t('common.error'), errorFragment(c.ctx.t, message)), status);
      }
    };

  /** an htmx fragment (GET): no session sends the whole page to /login */
  const fragmentRoute =
    (render: (c: Caller, rc: RouteContext) => Out | Promise<Out>) =>
    async (rc: RouteContext): Promise<Response> => {
      const c = caller(deps, rc.request);
      if (!c) return new Response(null, { status: 401, headers: { 'hx-redirect': '/login' } });
      try {
        return finish(rc.request, await render(c, rc));
      } catch (error) {
        const { status, message } = describeError(deps, error, rc.request);
        return flashError(deps, rc.request, c.ctx, status, message);
      }
    };

  /** a state change: session, CSRF token, and (unless `anyone`) an admin */
  const actionRoute =
    (run: (c: Caller, form: Form, rc: RouteContext) => Out | Promise<Out>, options: { anyone?: boolean } = {}) =>
    async (rc: RouteContext): Promise<Response> => {
      const c = caller(deps, rc.request);
      if (!c) return new Response('log in first', { status: 401, headers: { 'hx-redirect': '/login', 'content-type': 'text/plain' } });
      const form = asForm(rc.body);
      if (!csrfOk(rc.request, form, c.auth.session.csrfToken)) {
        return flashError(deps, rc.request, c.ctx, 403, 'Missing or wrong CSRF token: reload the page');
      }
      if (!options.anyone && !c.ctx.admin) return flashError(deps, rc.request, c.ctx, 403, c.ctx.t('common.adminOnly'));
      try {
        return finish(rc.request, await run(c, form, rc));
      } catch (error) {
        const { status, message } = describeError(deps, error, rc.request);
        return flashError(deps, rc.request, c.ctx, status, message);
      }
    };

  return { pageRoute, fragmentRoute, actionRoute };
}
