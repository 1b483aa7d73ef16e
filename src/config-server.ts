// The engine-facing config server (default 127.0.0.1:8089), per src/shared/config-protocol.ts:
//   GET /v1/config -> ConfigSnapshot; POST /v1/admission AdmissionQuery -> AdmissionAnswer;
//   POST /v1/events EngineEvent[] -> 204. Every request needs `Authorization: Bearer <secret>`
// (compared in constant time) or gets 401; errors are RFC 9457 application/problem+json.
import { ADMISSION_QUERY_MAX_CHARS, type AdmissionQuery, type EngineEvent } from './shared/config-protocol.ts';
import { secretsEqual } from './control/services/engine-secret-service.ts';
import type { Services } from './control/services/types.ts';
import { guardFetch, productionServe } from './shared/http-errors.ts';
import type { LogContext, Logger } from './shared/logger.ts';

export const CONFIG_SERVER_HOSTNAME = '127.0.0.1';
export const CONFIG_SERVER_PORT = 8089;
export const ConfigServerLimits = { admissionBodyBytes: 16 * 1024, eventsBodyBytes: 1024 * 1024, eventsPerBatch: 1000 } as const;

const PROBLEM_TYPE_BASE = 'https://weir.dev/problems/';
const PROTOCOLS: readonly AdmissionQuery['protocol'][] = ['rtmp', 'rtsp', 'http-flv', 'ws-flv', 'hls', 'll-hls', 'srt', 'webrtc'];
const EVENT_TYPES: readonly EngineEvent['type'][] = ['publish-start', 'publish-stop', 'play-start', 'play-stop'];
const MAX_FIELD_CHARS = 1024;

export type ConfigServerServices = Pick<Services, 'config' | 'admission' | 'events'>;
export type ConfigServer = Readonly<{ fetch(req: Request): Promise<Response> }>;

type ProblemCode = 'invalid' | 'unauthorized' | 'not-found' | 'method-not-allowed' | 'payload-too-large' | 'internal';
const PROBLEM_TITLES: Readonly<Record<ProblemCode, readonly [number, string]>> = {
  invalid: [400, 'Invalid request'],
  unauthorized: [401, 'Authentication required'],
  'not-found': [404, 'Not found'],
  'method-not-allowed': [405, 'Method not allowed'],
  'payload-too-large': [413, 'Payload too large'],
  internal: [500, 'Internal server error'],
};

export function problem(code: ProblemCode, detail: string, headers: Readonly<Record<string, string>> = {}): Response {
  const [status, title] = PROBLEM_TITLES[code];
  return new Response(JSON.stringify({ type: PROBLEM_TYPE_BASE + code, title, status, detail, code }), {
    status,
    headers: { ...headers, 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
  });
}

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), {
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

class BadRequest extends Error {}

export function createConfigServer(services: ConfigServerServices, secret: string): ConfigServer {
  if (secret.length === 0) throw new Error('the config server needs an engine secret');

  async function route(req: Request, path: string): Promise<Response> {
    switch (path) {
      case '/v1/config':
        if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed('GET');
        return json(services.config.snapshot());
      case '/v1/admission': {
        if (req.method !== 'POST') return methodNotAllowed('POST');
        const query = parseAdmissionQuery(await readJson(req, ConfigServerLimits.admissionBodyBytes));
        return json(await services.admission.decide(query));
      }
      case '/v1/events': {
        if (req.method !== 'POST') return methodNotAllowed('POST');
        services.events.record(parseEvents(await readJson(req, ConfigServerLimits.eventsBodyBytes)));
        return new Response(null, { status: 204 });
      }
      default:
        return problem('not-found', `no route ${req.method} ${path}`);
    }
  }

  return {
    async fetch(req: Request): Promise<Response> {
      const header = req.headers.get('authorization') ?? '';
      const presented = /^Bearer[ \t]+(\S+)\s*$/i.exec(header)?.[1] ?? '';
      if (!secretsEqual(presented, secret)) {
        return problem('unauthorized', 'missing or wrong engine secret', { 'www-authenticate': 'Bearer realm="weir-engine"' });
      }
      try {
        return await route(req, new URL(req.url).pathname);
      } catch (err) {
        if (err instanceof PayloadTooLarge) return problem('payload-too-large', err.message);
        if (err instanceof BadRequest) return problem('invalid', err.message);
        return problem('internal', 'the config server failed to answer');
      }
    },
  };
}

/** binds the config server on its explicit loopback address (port 0 picks a free one) */
export function startConfigServer(
  services: ConfigServerServices,
  secret: string,
  listen: Readonly<{ hostname?: string; port?: number }> = {},
  logger: Logger | null = null,
): ReturnType<typeof Bun.serve> {
  const server = createConfigServer(services, secret);
  const logError = logger ? (message: string, fields: LogContext) => logger.error(`config server: ${message}`, fields) : null;
  return Bun.serve({
    hostname: listen.hostname ?? CONFIG_SERVER_HOSTNAME,
    port: listen.port ?? CONFIG_SERVER_PORT,
    ...productionServe(logError),
    fetch: guardFetch((req) => server.fetch(req), logError),
  });
}

function methodNotAllowed(allow: string): Response {
  return problem('method-not-allowed', `use ${allow}`, { allow });
}

class PayloadTooLarge extends Error {}

async function readJson(req: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new PayloadTooLarge(`body over ${maxBytes} bytes`);
  const text = await req.text();
  if (Buffer.byteLength(text) > maxBytes) throw new PayloadTooLarge(`body over ${maxBytes} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest('body is not JSON');
  }
}

function field(o: Record<string, unknown>, name: string, maxChars: number, allowEmpty: boolean): string {
  const v = o[name];
  if (typeof v !== 'string') throw new BadRequest(`${name} must be a string`);
  if (!allowEmpty && v.length === 0) throw new BadRequest(`${name} must not be empty`);
  if (v.length > maxChars) throw new BadRequest(`${name} is longer than ${maxChars} characters`);
  return v;
}

function oneOf<T extends string>(o: Record<string, unknown>, name: string, allowed: readonly T[]): T {
  const v = o[name];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new BadRequest(`${name} must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

export function parseAdmissionQuery(body: unknown): AdmissionQuery {
  const o = asObject(body, 'the admission query');
  return {
    action: oneOf(o, 'action', ['publish', 'play'] as const),
    protocol: oneOf(o, 'protocol', PROTOCOLS),
    app: field(o, 'app', MAX_FIELD_CHARS, false),
    stream: field(o, 'stream', MAX_FIELD_CHARS, true),
    query: field(o, 'query', ADMISSION_QUERY_MAX_CHARS, true),
    clientAddress: field(o, 'clientAddress', MAX_FIELD_CHARS, true),
    clientId: field(o, 'clientId', MAX_FIELD_CHARS, true),
  };
}

export function parseEvents(body: unknown): EngineEvent[] {
  if (!Array.isArray(body)) throw new BadRequest('the body must be a JSON array of events');
  if (body.length > ConfigServerLimits.eventsPerBatch) {
    throw new BadRequest(`at most ${ConfigServerLimits.eventsPerBatch} events per request`);
  }
  return body.map((item: unknown, i) => {
    try {
      return parseEvent(item);
    } catch (err) {
      throw new BadRequest(`event ${i}: ${(err as Error).message}`);
    }
  });
}

function parseEvent(item: unknown): EngineEvent {
  const o = asObject(item, 'an event');
  const type = oneOf(o, 'type', EVENT_TYPES);
  const atMs = o['atMs'];
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) throw new BadRequest('atMs must be a number');
  const base = {
    app: field(o, 'app', MAX_FIELD_CHARS, false),
    stream: field(o, 'stream', MAX_FIELD_CHARS, true),
    clientId: field(o, 'clientId', MAX_FIELD_CHARS, true),
    atMs,
  };
  switch (type) {
    case 'publish-start':
      return { type, ...base, clientAddress: field(o, 'clientAddress', MAX_FIELD_CHARS, true) };
    case 'play-start':
      return {
        type,
        ...base,
        protocol: field(o, 'protocol', MAX_FIELD_CHARS, false),
        clientAddress: field(o, 'clientAddress', MAX_FIELD_CHARS, true),
      };
    case 'publish-stop':
    case 'play-stop':
      return { type, ...base };
  }
}
