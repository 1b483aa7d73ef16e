// A stand-in for the control plane's config server, per src/shared/config-protocol.ts:
// GET /v1/config, POST /v1/admission, POST /v1/events, all behind the Bearer secret. Tests set
// its snapshot and admission rule, count its requests, and stop and restart it on its port.
import type { Server } from 'bun';
import {
  CONFIG_PROTOCOL_VERSION,
  type AdmissionAnswer,
  type AdmissionQuery,
  type AppSettings,
  type ConfigSnapshot,
  type EngineEvent,
} from '../../src/shared/config-protocol.ts';

export function appSettings(name: string, overrides: Partial<AppSettings> = {}): AppSettings {
  return { name, sourceType: 'push', hls: true, llHls: true, publishPolicy: 'open', playPolicy: 'open', hookUrl: null, ...overrides };
}

export function makeSnapshot(overrides: Partial<ConfigSnapshot> & { revision: number }): ConfigSnapshot {
  return {
    protocolVersion: CONFIG_PROTOCOL_VERSION,
    listen: { rtmpHost: '127.0.0.1', rtmpPort: 0, httpHost: '127.0.0.1', httpPort: 0 },
    hls: { targetDurationMs: 2000, partTargetMs: 334, windowSegments: 6, alwaysRemux: false, muxerCloseAfterMs: 60_000 },
    apps: [appSettings('live')],
    pulls: [],
    forwards: [],
    ...overrides,
  };
}

export type FakeConfigServer = {
  readonly url: string;
  readonly port: number;
  snapshot: ConfigSnapshot;
  /** the answer, or a whole Response (an error status) */
  admit: (query: AdmissionQuery) => AdmissionAnswer | Response;
  admissionDelayMs: number;
  readonly counts: { config: number; admission: number; events: number; unauthorized: number };
  readonly admissions: AdmissionQuery[];
  readonly events: EngineEvent[];
  readonly running: boolean;
  stop(): void;
  /** listens again on the same port */
  restart(): void;
};

export function startFakeConfigServer(options: { secret: string; snapshot: ConfigSnapshot; port?: number }): FakeConfigServer {
  let server: Server<undefined> | null = null;
  let port = options.port ?? 0;
  const fake = {
    snapshot: options.snapshot,
    admit: (_query: AdmissionQuery): AdmissionAnswer | Response => ({ allow: true, cacheTtlMs: 5000 }),
    admissionDelayMs: 0,
    counts: { config: 0, admission: 0, events: 0, unauthorized: 0 },
    admissions: [] as AdmissionQuery[],
    events: [] as EngineEvent[],
  };
  const handle = async (req: Request): Promise<Response> => {
    if (req.headers.get('authorization') !== `Bearer ${options.secret}`) {
      fake.counts.unauthorized++;
      return new Response('unauthorized', { status: 401 });
    }
    const { pathname } = new URL(req.url);
    if (req.method === 'GET' && pathname === '/v1/config') {
      fake.counts.config++;
      return Response.json(fake.snapshot);
    }
    if (req.method === 'POST' && pathname === '/v1/admission') {
      fake.counts.admission++;
      const query = (await req.json()) as AdmissionQuery;
      fake.admissions.push(query);
      if (fake.admissionDelayMs > 0) await Bun.sleep(fake.admissionDelayMs);
      const answer = fake.admit(query);
      return answer instanceof Response ? answer : Response.json(answer);
    }
    if (req.method === 'POST' && pathname === '/v1/events') {
      fake.counts.events++;
      fake.events.push(...((await req.json()) as EngineEvent[]));
      return new Response(null, { status: 204 });
    }
    return new Response('not found', { status: 404 });
  };
  const listen = (): void => {
    server = Bun.serve({ hostname: '127.0.0.1', port, fetch: handle });
    port = server.port!;
  };
  listen();
  return Object.assign(fake, {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get running() {
      return server !== null;
    },
    stop: () => {
      server?.stop(true);
      server = null;
    },
    restart: () => {
      if (!server) listen();
    },
  });
}
