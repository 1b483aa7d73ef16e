// RFC 9457 problem details: the one error shape of the REST API (application/problem+json).
// `code` is stable and `type` is https://weir.dev/problems/<code>; clients switch on either.
import { t } from 'elysia';
import { Int } from './common.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://weir.dev/problems/';

export const ProblemCode = {
  invalid: { status: 400, title: 'Invalid request' },
  malformed: { status: 400, title: 'Malformed request body' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  'csrf-failed': { status: 403, title: 'CSRF token missing or wrong' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  'engine-unavailable': { status: 503, title: 'Engine unavailable' },
} as const;
export type ProblemCode = keyof typeof ProblemCode;

export const ProblemFieldSchema = t.Object({
  /** where the field is: body, query, params, headers */
  in: t.String(),
  /** JSON pointer into that part, e.g. /name or /listen/rtmpPort */
  path: t.String(),
  message: t.String(),
});
export type ProblemField = typeof ProblemFieldSchema.static;

export const ProblemSchema = t.Object(
  {
    type: t.String({ examples: ['https://weir.dev/problems/not-found'] }),
    title: t.String(),
    status: Int({ description: 'HTTP status' }),
    detail: t.String(),
    code: t.String({ examples: Object.keys(ProblemCode) }),
    errors: t.Optional(t.Array(ProblemFieldSchema)),
  },
  { description: 'RFC 9457 problem details' },
);
export type Problem = typeof ProblemSchema.static;

/** Thrown by routes and the auth layer; the error hook turns it into a problem response. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: Readonly<{ errors?: readonly ProblemField[]; headers?: Readonly<Record<string, string>> }> = {},
  ) {
    super(detail);
    this.status = ProblemCode[code].status;
  }
}

export function problemBody(code: ProblemCode, detail: string, errors?: readonly ProblemField[]): Problem {
  const { status, title } = ProblemCode[code];
  const body: Problem = { type: PROBLEM_TYPE_BASE + code, title, status, detail, code };
  if (errors && errors.length > 0) body.errors = [...errors];
  return body;
}

export function problemResponse(
  code: ProblemCode,
  detail: string,
  errors?: readonly ProblemField[],
  headers: Readonly<Record<string, string>> = {},
): Response {
  const body = problemBody(code, detail, errors);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' },
  });
}

/** 'listen.rtmpPort' -> '/listen/rtmpPort' (domain errors name fields with dots) */
export function fieldToPointer(field: string): string {
  if (field.startsWith('/')) return field;
  return '/' + field.split('.').map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

/** Problem responses to document on a route, keyed by status. */
export function problemResponses<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ProblemSchema } {
  const out: Record<number, typeof ProblemSchema> = {};
  for (const status of statuses) out[status] = ProblemSchema;
  return out as { [K in S[number]]: typeof ProblemSchema };
}
