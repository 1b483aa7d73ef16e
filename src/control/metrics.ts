// The control plane's Prometheus metrics and readiness, as a wrapper around the REST app's
// fetch handler (so no route of the app changes and the OpenAPI document stays JSON-only):
//   GET /metrics  text format 0.0.4; needs an API token (Authorization: Bearer weir_...) or a
//                 console session cookie, like the rest of the API
//   GET /readyz   200 {"ready":true} while the store answers, 503 otherwise and while stopping
// Every other request goes to the app and is counted as
// weir_api_requests_total{method,route,status}, route being the app's route template
// ('/api/v1/apps/:name', never the raw path) or 'unmatched'; failed logins (401 from
// POST /api/v1/session) as weir_login_failures_total.
import { Registry, registerProcessMetrics, PROMETHEUS_CONTENT_TYPE, type Counter, type Histogram } from '../shared/prometheus.ts';
import { readCookie, SESSION_COOKIE } from './api/auth.ts';
import type { Services } from './services/types.ts';

export type RouteEntry = Readonly<{ method: string; path: string }>;
type Handler = (request: Request) => Response | Promise<Response>;

export const UNMATCHED_ROUTE = 'unmatched';
const LOGIN_ROUTE = 'POST /api/v1/session';
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Compiled = { method: string; template: string; segments: string[]; params: number; wildcard: boolean };

/** Matches a request path to the template of the route that serves it (static segments beat :params). */
export class RouteMatcher {
  private readonly routes: Compiled[];

  constructor(routes: Iterable<RouteEntry>) {
    const seen = new Set<string>();
    this.routes = [];
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const segments = r.path.split('/').filter((s) => s.length > 0);
      this.routes.push({
        method: r.method.toUpperCase(),
        template: r.path,
        segments,
        params: segments.filter((s) => s.startsWith(':')).length,
        wildcard: segments[segments.length - 1] === '*',
      });
    }
    // fewest parameters first, wildcards last: the most specific template wins
    this.routes.sort((a, b) => Number(a.wildcard) - Number(b.wildcard) || a.params - b.params);
  }

  match(method: string, pathname: string): string {
    const parts = pathname.split('/').filter((s) => s.length > 0);
    const wanted = method.toUpperCase();
    for (const route of this.routes) {
      if (route.method !== wanted && route.method !== 'ALL' && !(wanted === 'HEAD' && route.method === 'GET')) continue;
      if (this.fits(route, parts)) return route.template;
    }
    return UNMATCHED_ROUTE;
  }

  private fits(route: Compiled, parts: string[]): boolean {
    const segs = route.segments;
    if (route.wildcard) {
      if (parts.length < segs.length - 1) return false;
    } else if (parts.length !== segs.length) return false;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (s === '*') return true;
      if (s.startsWith(':')) continue;
      if (s !== parts[i]) return false;
    }
    return true;
  }
}

export type ControlMetricsOptions = Readonly<{
  version: string;
  services: Services;
  /** the app's routes (Elysia: app.routes), read lazily so routes added later count */
  routes: () => Iterable<RouteEntry>;
  /** whether the store answers (default: true) */
  storeReady?: () => boolean;
}>;

export class ControlMetrics {
  readonly registry = new Registry();
  readonly requests: Counter;
  readonly loginFailures: Counter;
  readonly duration: Histogram;
  private matcher: RouteMatcher | null = null;
  private routeCount = -1;
  private stopping = false;

  constructor(private readonly options: ControlMetricsOptions) {
    registerProcessMetrics(this.registry, 'weir', options.version);
    this.requests = this.registry.counter('weir_api_requests_total', 'HTTP requests to the control plane by method, route template and status', ['method', 'route', 'status']);
    this.loginFailures = this.registry.counter('weir_login_failures_total', 'Failed console/API logins (wrong user name or password)');
    this.loginFailures.inc({}, 0);
    this.duration = this.registry.histogram('weir_api_request_duration_seconds', 'Time to answer a control-plane request', ['route'], DURATION_BUCKETS);
  }

  /** Shutting down: /readyz answers 503 from now on. */
  markStopping(): void {
    this.stopping = true;
  }

  ready(): boolean {
    if (this.stopping) return false;
    try {
      return this.options.storeReady?.() ?? true;
    } catch {
      return false;
    }
  }

  /** The route template a request matches, for labels. */
  routeOf(method: string, pathname: string): string {
    const routes = [...this.options.routes()];
    if (!this.matcher || routes.length !== this.routeCount) {
      this.matcher = new RouteMatcher(routes);
      this.routeCount = routes.length;
    }
    return this.matcher.match(method, pathname);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.duration.observe({ route }, seconds);
    if (`${method} ${route}` === LOGIN_ROUTE && status === 401) this.loginFailures.inc();
  }

  /** Wraps the app's fetch handler: /metrics and /readyz here, everything else counted. */
  wrap(handler: Handler): (request: Request) => Promise<Response> {
    return async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === '/metrics' || pathname === '/readyz') {
        const response = pathname === '/metrics' ? this.serveMetrics(request) : this.serveReady(request);
        this.observe(request.method, pathname, response.status, 0);
        return response;
      }
      const started = performance.now();
      let response: Response;
      try {
        response = await handler(request);
      } catch (err) {
        this.observe(request.method, this.routeOf(request.method, pathname), 500, (performance.now() - started) / 1000);
        throw err;
      }
      this.observe(request.method, this.routeOf(request.method, pathname), response.status, (performance.now() - started) / 1000);
      return response;
    };
  }

  private serveReady(request: Request): Response {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
    const ready = this.ready();
    return Response.json({ ready }, { status: ready ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
  }

  private serveMetrics(request: Request): Response {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
    if (!this.authorized(request)) {
      return new Response('metrics need an API token (Authorization: Bearer weir_...) or a console session\n', {
        status: 401,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="weir"' },
      });
    }
    return new Response(this.registry.render(), { headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' } });
  }

  private authorized(request: Request): boolean {
    const auth = this.options.services.auth;
    const header = request.headers.get('authorization');
    if (header !== null) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      return match !== null && auth.verifyToken(match[1]) !== null;
    }
    return auth.sessionFromCookie(readCookie(request.headers.get('cookie'), SESSION_COOKIE)) !== null;
  }
}

function plain(status: number, text: string): Response {
  return new Response(text + '\n', { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
