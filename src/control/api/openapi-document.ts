// GET /api/openapi.json: the OpenAPI 3.1 document generated from the routes' own `t` schemas
// (@elysiajs/openapi's generator), with every 4xx/5xx answer pointing at one shared
// application/problem+json Problem schema, and the security schemes of ./auth.ts.
import { toOpenAPISchema } from '@elysiajs/openapi';
import { Elysia, type AnyElysia } from 'elysia';
import { SECURITY_REQUIREMENT, SECURITY_SCHEMES } from './auth.ts';
import { DOCS_PATH, OPENAPI_PATH } from './docs.ts';
import { PROBLEM_CONTENT_TYPE, ProblemCode, ProblemSchema } from './problem.ts';

const OPENAPI_VERSION = '3.1.1';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' } as const;

export type OpenApiInfo = Readonly<{ title: string; version: string; description: string }>;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const titleFor = (status: number): string =>
  Object.entries(ProblemCode)
    .filter(([, p]) => p.status === status)
    .map(([code, p]) => `${p.title} (\`${code}\`)`)
    .join('; ') || 'Problem';

function rewriteResponses(paths: Json): void {
  for (const item of Object.values(paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isRecord(operation) || !isRecord(operation.responses)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        const code = Number(status);
        if (!isRecord(response)) continue;
        if (code >= 400) {
          operation.responses[status] = {
            description: titleFor(code),
            content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
            ...(code === 429 ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } } : {}),
          };
        } else if (code === 204) {
          operation.responses[status] = { description: 'No content' };
        } else if (typeof response.description === 'string' && response.description.startsWith('Response for status')) {
          response.description = code === 201 ? 'Created' : 'OK';
        }
      }
    }
  }
}

export function buildOpenApiDocument(app: AnyElysia, info: OpenApiInfo): Json {
  const generated = toOpenAPISchema(
    app,
    { paths: [OPENAPI_PATH, DOCS_PATH, new RegExp(`^${DOCS_PATH}/`)] },
    undefined,
    undefined,
    OPENAPI_VERSION,
  );
  const paths = JSON.parse(JSON.stringify(generated.paths)) as Json;
  rewriteResponses(paths);
  const schemas: unknown = generated.components.schemas;
  return {
    openapi: OPENAPI_VERSION,
    info,
    servers: [{ url: '/' }],
    security: SECURITY_REQUIREMENT,
    paths,
    components: {
      schemas: { ...(isRecord(schemas) ? schemas : {}), Problem: JSON.parse(JSON.stringify(ProblemSchema)) as Json },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

/** Serves the document of `root`, built on first request (routes are fixed by then). */
export const openApiRoute = (root: () => AnyElysia, info: OpenApiInfo) => {
  let cached: string | null = null;
  return new Elysia().get(
    OPENAPI_PATH,
    () => {
      cached ??= JSON.stringify(buildOpenApiDocument(root(), info));
      return new Response(cached, { headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' } });
    },
    { detail: { hide: true } },
  );
};
