// Who is calling: an API token (`Authorization: Bearer weir_...`) or the console's session
// cookie. A cookie session must echo its CSRF token in `X-CSRF-Token` on every state-changing
// request (SameSite=Strict is the first line; the header is the second).
import { Elysia } from 'elysia';
import type { AuthContext, User } from '../services/types.ts';
import type { ApiDeps } from './deps.ts';
import { ApiProblem } from './problem.ts';
import { constantTimeEqual } from '../../shared/constant-time.ts';

export const SESSION_COOKIE = 'weir_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="weir"' } as const;

/** OpenAPI security schemes; every route needs one of them unless it says `security: []` */
export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'API token (`weir_...`), created with POST /api/v1/tokens',
  },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'Console session from POST /api/v1/session; state-changing requests also need the X-CSRF-Token header',
  },
} as const;
export const SECURITY_REQUIREMENT: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { sessionCookie: [] }];

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}


/** Authenticates one request or throws a 401/403 problem. */
export function authenticate(deps: ApiDeps, request: Request): AuthContext {
  const authorization = request.headers.get('authorization');
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new ApiProblem('unauthorized', 'Authorization must be "Bearer <API token>"', { headers: WWW_AUTHENTICATE });
    const context = deps.services.auth.verifyToken(match[1]);
    if (!context) throw new ApiProblem('unauthorized', 'The API token is unknown or revoked', { headers: WWW_AUTHENTICATE });
    return context;
  }
  const sessionId = readCookie(request.headers.get('cookie'), SESSION_COOKIE);
  if (sessionId === null) {
    throw new ApiProblem('unauthorized', 'Log in (POST /api/v1/session) or send an API token', { headers: WWW_AUTHENTICATE });
  }
  const context = deps.services.auth.sessionFromCookie(sessionId);
  if (!context) throw new ApiProblem('unauthorized', 'The session has expired or was logged out', { headers: WWW_AUTHENTICATE });
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers.get(CSRF_HEADER);
    if (sent === null || !constantTimeEqual(sent, context.session.csrfToken)) {
      throw new ApiProblem('csrf-failed', `A ${request.method} with a session cookie needs the X-CSRF-Token header from the login answer`);
    }
  }
  return context;
}

/**
 * Use in a resource plugin before its routes: every route after it gets `auth` or is refused.
 * A derive (not a resolve) so it runs before schema validation: a stranger learns nothing
 * about the schemas. Not named, so Elysia never deduplicates it away from a plugin.
 */
export const requireAuth = (deps: ApiDeps) =>
  new Elysia().derive({ as: 'scoped' }, ({ request }) => ({ auth: authenticate(deps, request) }));

export function assertAdmin(auth: AuthContext): User {
  if (auth.user.role !== 'admin') throw new ApiProblem('forbidden', 'This needs an admin account');
  return auth.user;
}

export function isAdmin(auth: AuthContext): boolean {
  return auth.user.role === 'admin';
}
