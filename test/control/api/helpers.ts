// Test harness for the REST API: an in-memory store, the real services, a fake engine, and
// small request helpers over app.handle (no sockets).
import { beforeEach, expect } from 'bun:test';
import type { ClientState, EngineStatus, LiveStreamState } from '../../../src/shared/config-protocol.ts';
import type { EngineClient, EngineResult, EngineSnapshot } from '../../../src/control/engine-client.ts';
import { createServices, type Services } from '../../../src/control/services/index.ts';
import { openStore } from '../../../src/control/store/index.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRestApp, type RestApp } from '../../../src/rest-server.ts';

export const ADMIN_PASSWORD = 'correct horse battery';
export const BASE = 'http://localhost';

export class FakeEngine implements EngineClient {
  up = true;
  status_: EngineStatus = {
    version: '0.1.0-test',
    startedAtMs: 1_000_000,
    configRevision: 0,
    ready: true,
    streams: 0,
    clients: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  liveStreams: LiveStreamState[] = [];
  liveClients: ClientState[] = [];
  readonly kicked: string[] = [];
  reloads = 0;

  private answer<T>(value: T): Promise<EngineResult<T>> {
    return Promise.resolve(this.up ? { ok: true, value } : { ok: false, reason: 'engine unreachable' });
  }
  status() {
    return this.answer(this.status_);
  }
  streams() {
    return this.answer<readonly LiveStreamState[]>(this.liveStreams);
  }
  clients() {
    return this.answer<readonly ClientState[]>(this.liveClients);
  }
  kick(id: string) {
    if (!this.up) return this.answer(false);
    const known = this.liveClients.some((c) => c.id === id) || this.liveStreams.some((s) => s.publisherId === id);
    if (known) this.kicked.push(id);
    this.liveClients = this.liveClients.filter((c) => c.id !== id);
    return this.answer(known);
  }
  reload() {
    this.reloads++;
    return this.answer(true as const);
  }
  /** '{app}/{stream}/{n}' -> what the engine answers to a snapshot request */
  readonly snapshots = new Map<string, EngineSnapshot>();
  snapshot(app: string, stream: string, index: number) {
    return this.answer<EngineSnapshot>(this.snapshots.get(`${app}/${stream}/${index}`) ?? { found: false, status: 404, reason: `no snapshot of '${app}/${stream}' yet` });
  }
}

export type Harness = Readonly<{
  app: RestApp;
  services: Services;
  engine: FakeEngine;
  clock: { now: number };
  logLines: string[];
}>;

export async function makeHarness(options: { loginMaxFailures?: number; engine?: FakeEngine } = {}): Promise<Harness> {
  const clock = { now: 1_700_000_000_000 };
  const store = openStore(':memory:');
  const services = createServices(store, {
    nowMs: () => clock.now,
    env: { WEIR_ADMIN_PASSWORD: ADMIN_PASSWORD },
    passwordHashCost: { timeCost: 1, memoryCost: 1024 },
    loginMaxFailures: options.loginMaxFailures ?? 5,
  });
  await services.bootstrap();
  const engine = options.engine ?? new FakeEngine();
  const logLines: string[] = [];
  const logger = createLogger({ sink: (line) => logLines.push(line), now: () => clock.now });
  // tests name the caller's address in a header; the real server passes server.requestIP
  const app = createRestApp({ services, engine, now: () => clock.now, logger, clientAddress: (req) => req.headers.get('x-test-ip') });
  return { app, services, engine, clock, logLines };
}

export type Call = Readonly<{
  status: number;
  headers: Headers;
  body: any; // parsed JSON, loosely typed for assertions
  text: string;
}>;

export type Creds = Readonly<{ token?: string; cookie?: string; csrf?: string }>;

export async function call(
  app: RestApp,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; creds?: Creds; headers?: Record<string, string>; base?: string } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
  if (options.creds?.token) headers.authorization = `Bearer ${options.creds.token}`;
  if (options.creds?.cookie) headers.cookie = options.creds.cookie;
  if (options.creds?.csrf) headers['x-csrf-token'] = options.creds.csrf;
  const init: RequestInit = { method, headers };
  if (options.raw !== undefined) init.body = options.raw;
  else if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const response = await app.handle(new Request((options.base ?? BASE) + path, init));
  const text = await response.text();
  let body: unknown = null;
  if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body, text };
}

/** logs in and returns cookie + csrf credentials */
export async function login(app: RestApp, username = 'admin', password = ADMIN_PASSWORD): Promise<Required<Pick<Creds, 'cookie' | 'csrf'>>> {
  const res = await call(app, 'POST', '/api/v1/session', { body: { username, password } });
  if (res.status !== 201) throw new Error(`login failed: ${res.status} ${res.text}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  return { cookie, csrf: res.body.csrfToken };
}

/** logs in through the console's form (as a browser posts it) and returns the session cookie */
export async function consoleLoginCookie(app: RestApp, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const res = await app.handle(new Request(`${BASE}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
    body: new URLSearchParams({ username, password }).toString(),
  }));
  expect(res.status).toBe(303);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** an admin API token */
export async function adminToken(h: Harness): Promise<string> {
  const admin = h.services.users.findByUsername('admin');
  if (!admin) throw new Error('no admin');
  return h.services.auth.createToken(admin.id, 'test').token;
}

/** asserts an RFC 9457 problem answer and returns its body */
export function expectProblem(res: Call, status: number, code: string): any {
  const ok =
    res.status === status &&
    (res.headers.get('content-type') ?? '').startsWith('application/problem+json') &&
    res.body?.code === code &&
    res.body?.status === status &&
    res.body?.type === `https://weir.dev/problems/${code}` &&
    typeof res.body?.title === 'string' &&
    typeof res.body?.detail === 'string';
  if (!ok) throw new Error(`expected ${status} problem '${code}', got ${res.status} ${res.headers.get('content-type')} ${res.text}`);
  return res.body;
}

export type AdminApi = {
  /** a fresh harness for each test */
  h: Harness;
  /** an admin's API token in it */
  token: string;
  /** calls /api/v1 + path as that admin */
  api: (method: string, path: string, body?: unknown) => ReturnType<typeof call>;
};

/** Registers a beforeEach that builds a fresh harness and an admin token; the fields are read inside tests. */
export function useAdminApi(): AdminApi {
  const fixture = {} as AdminApi;
  beforeEach(async () => {
    fixture.h = await makeHarness();
    fixture.token = await adminToken(fixture.h);
  });
  fixture.api = (method, path, body) => call(fixture.h.app, method, `/api/v1${path}`, { creds: { token: fixture.token }, body });
  return fixture;
}
