// Turns every failure into one RFC 9457 problem response: schema validation (with field
// paths), malformed bodies, unknown routes, domain errors (by their stable code) and
// ApiProblems. Anything else is a 500 that is logged here and leaks nothing to the client.
import { Elysia, ValidationError } from 'elysia';
import { isDomainError } from '../services/errors.ts';
import type { ApiDeps } from './deps.ts';
import { ApiProblem, fieldToPointer, problemResponse, type ProblemField } from './problem.ts';

type ValueErrorLike = Readonly<{ path?: unknown; message?: unknown; schema?: unknown; value?: unknown }>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function range(schema: Record<string, unknown>, min: string, max: string, unit = ''): string {
  const lo = typeof schema[min] === 'number' ? schema[min] : undefined;
  const hi = typeof schema[max] === 'number' ? schema[max] : undefined;
  if (lo !== undefined && hi !== undefined) return lo === hi ? ` of exactly ${lo}${unit}` : ` of ${lo}-${hi}${unit}`;
  if (lo !== undefined) return ` of at least ${lo}${unit}`;
  if (hi !== undefined) return ` of at most ${hi}${unit}`;
  return '';
}

function bounds(schema: Record<string, unknown>): string {
  const lo = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const hi = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  if (lo === undefined && hi === undefined) return '';
  return ` from ${lo ?? '-inf'} to ${hi ?? 'inf'}`;
}

/** What a schema wants, in words: TypeBox's own messages for unions are "Expected union value". */
export function expectation(schema: unknown): string | null {
  if (!isRecord(schema)) return null;
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf.filter(isRecord);
    const nullable = options.some((o) => o.type === 'null');
    let rest = options.filter((o) => o.type !== 'null');
    // Elysia lets query and path values arrive as text: { type: 'string', format: 'boolean' | 'integer' | ... }
    const typed = rest.filter((o) => !(o.type === 'string' && typeof o.format === 'string'));
    if (typed.length > 0 && typed.length < rest.length) rest = typed;
    const consts = rest.filter((o) => 'const' in o);
    let text: string | null = null;
    if (consts.length === rest.length && consts.length > 0) {
      text = consts.length === 1 ? JSON.stringify(consts[0]?.const) : `one of ${consts.map((o) => JSON.stringify(o.const)).join(', ')}`;
    } else if (rest.length === 1) {
      text = expectation(rest[0]);
    }
    if (text === null) return null;
    return nullable ? `${text} or null` : text;
  }
  switch (schema.type) {
    case 'string': {
      let text = 'a string' + range(schema, 'minLength', 'maxLength', ' characters');
      if (typeof schema.pattern === 'string') text += ` matching ${schema.pattern}`;
      return text;
    }
    case 'integer':
      return 'an integer' + bounds(schema);
    case 'number':
      return 'a number' + bounds(schema);
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array' + range(schema, 'minItems', 'maxItems', ' items');
    case 'null':
      return 'null';
    default:
      return null;
  }
}

function fieldMessage(e: ValueErrorLike): string {
  const wanted = expectation(e.schema);
  if (e.value === undefined) return wanted ? `is required: ${wanted}` : 'is required';
  if (wanted) return `must be ${wanted}`;
  return typeof e.message === 'string' && e.message !== '' ? e.message : 'is invalid';
}

function validationFields(error: ValidationError): ProblemField[] {
  const where = error.type;
  let all: readonly ValueErrorLike[] = [];
  try {
    all = error.all as readonly ValueErrorLike[];
  } catch {
    all = [];
  }
  const fields: ProblemField[] = [];
  const seen = new Set<string>();
  for (const e of all) {
    const path = typeof e.path === 'string' && e.path !== '' ? e.path : '/';
    const message = fieldMessage(e);
    const key = path + '\u0000' + message;
    if (seen.has(key)) continue;
    seen.add(key);
    fields.push({ in: where, path, message });
  }
  if (fields.length === 0) fields.push({ in: where, path: '/', message: 'is invalid' });
  return fields;
}

export const errorHandler = (deps: ApiDeps) =>
  new Elysia().onError({ as: 'global' }, ({ code, error, request }) => {
    if (error instanceof ApiProblem) return problemResponse(error.code, error.detail, error.extra.errors, error.extra.headers);
    if (isDomainError(error)) {
      const headers: Record<string, string> = {};
      if (error.code === 'rate-limited' && error.retryAfterSec !== undefined) {
        headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSec)));
      }
      const fields = error.field !== undefined ? [{ in: 'body', path: fieldToPointer(error.field), message: error.message }] : undefined;
      return problemResponse(error.code, error.message, fields, headers);
    }
    switch (code) {
      case 'VALIDATION': {
        if (error instanceof ValidationError && error.type === 'response') break; // our bug, not theirs
        const fields = error instanceof ValidationError ? validationFields(error) : [];
        const where = error instanceof ValidationError ? error.type : 'request';
        return problemResponse('invalid', `The request ${where} does not match the schema`, fields);
      }
      case 'PARSE':
        return problemResponse('malformed', 'The request body could not be parsed (send application/json)');
      case 'NOT_FOUND': {
        const { pathname } = new URL(request.url);
        return problemResponse('not-found', `No route for ${request.method} ${pathname}`);
      }
      case 'INVALID_COOKIE_SIGNATURE':
        return problemResponse('unauthorized', 'Invalid cookie');
      default:
        break;
    }
    const { pathname } = new URL(request.url);
    deps.logger.error('api request failed', {
      method: request.method,
      path: pathname,
      code: String(code),
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return problemResponse('internal', 'An unexpected error occurred; it has been logged');
  });
