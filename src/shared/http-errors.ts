// What every Weir HTTP server (engine API, config server, REST API and console) answers when a
// request cannot be handled: an RFC 9457 problem that names no file, line or stack. Bun's
// development mode (its default unless NODE_ENV=production) would instead serve an HTML page
// with the working directory and source lines, so every Bun.serve spreads productionServe() and wraps its fetch in guardFetch().

const PROBLEM_TYPE_BASE = 'https://weir.dev/problems/';

function problem(status: number, code: string, title: string, detail: string): Response {
  return new Response(JSON.stringify({ type: PROBLEM_TYPE_BASE + code, title, status, detail, code }), {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
}

/** the answer to an error nobody planned for: the details go to the log, never to the client */
export const internalErrorResponse = (): Response =>
  problem(500, 'internal', 'Internal server error', 'An unexpected error occurred; it has been logged');

/** a Host header (or request target) that does not make a URL: the client's mistake, not ours */
export const badRequestTargetResponse = (): Response =>
  problem(400, 'invalid', 'Invalid request', 'The Host header or request target does not form a valid URL');

import type { LogContext } from './logger.ts';

type ErrorLog = (message: string, fields: LogContext) => void;

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Options for Bun.serve: development mode off, and unexpected errors as a bare 500 problem. */
export function productionServe(log: ErrorLog | null = null) {
  return {
    development: false,
    error(err: Error): Response {
      log?.('request failed', { error: describe(err) });
      return internalErrorResponse();
    },
  } as const;
}

/**
 * Wraps a fetch handler: a request whose URL cannot be parsed (a crafted Host header) gets a
 * 400 before any route calls `new URL(request.url)`, and anything thrown becomes a logged 500.
 */
export function guardFetch(
  handler: (request: Request) => Response | Promise<Response>,
  log: ErrorLog | null = null,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (!URL.canParse(request.url)) return badRequestTargetResponse();
    try {
      return await handler(request);
    } catch (err) {
      log?.('request failed', { method: request.method, error: describe(err) });
      return internalErrorResponse();
    }
  };
}
