// Typed client for the engine API (src/shared/config-protocol.ts: GET /v1/status, /v1/streams,
// /v1/clients, DELETE /v1/clients/{id}, POST /v1/reload). Every call has a timeout and never
// throws: an unreachable, slow or misbehaving engine comes back as `{ ok: false }` ("engine down").
import type { ClientState, EngineStatus, LiveStreamState, RelayStatus } from '../shared/config-protocol.ts';

export const ENGINE_API_DEFAULT_URL = 'http://127.0.0.1:8087';
export const ENGINE_API_DEFAULT_TIMEOUT_MS = 2_000;

export type EngineDown = Readonly<{ ok: false; reason: string }>;

/** A stream's snapshot as the engine answered: the JPEG, or its reason for having none (404, 503). */
export type EngineSnapshot = Readonly<{ found: true; jpeg: Uint8Array; takenAtMs: number }> | Readonly<{ found: false; status: number; reason: string }>;

/** the largest snapshot the control plane takes from the engine (the engine caps its own at 8 MiB) */
const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;
export type EngineResult<T> = Readonly<{ ok: true; value: T }> | EngineDown;

/** What the control plane can ask the running engine. Fakes implement this in tests. */
export interface EngineClient {
  status(): Promise<EngineResult<EngineStatus>>;
  streams(): Promise<EngineResult<readonly LiveStreamState[]>>;
  clients(): Promise<EngineResult<readonly ClientState[]>>;
  /** `value` is false when the engine does not know that client (already gone) */
  kick(clientId: string): Promise<EngineResult<boolean>>;
  /** tell the engine its configuration changed; it fetches the new snapshot itself */
  reload(): Promise<EngineResult<true>>;
  /** pulls, forwards and edge pulls as the engine runs them (GET /v1/relays); optional for fakes */
  relays?(): Promise<EngineResult<readonly RelayStatus[]>>;
  /** a live stream's JPEG snapshot (GET /v1/snapshots/{app}/{stream}?n=index); optional for fakes */
  snapshot?(app: string, stream: string, index: number): Promise<EngineResult<EngineSnapshot>>;
  /**
   * A recording route (GET /v1/recordings, DELETE /v1/recordings/{app}/{stream}, /v1/exports...):
   * the engine's status and JSON body as they are, for the REST layer to check; optional for fakes
   */
  recordingCall?(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<EngineResult<EngineReply>>;
  /** an export's MP4, streamed through (the timeout covers the wait for the headers only) */
  exportFile?(id: string): Promise<EngineResult<Response>>;
}

/** An engine answer passed on: its status and its JSON body (null when it had none). */
export type EngineReply = Readonly<{ status: number; body: unknown }>;

export type EngineClientOptions = Readonly<{
  /** e.g. http://127.0.0.1:8087 */
  baseUrl?: string;
  /** the shared engine secret, or a function reading it (it may be created after start) */
  secret: string | (() => string | Promise<string>);
  timeoutMs?: number;
  fetch?: (input: Request) => Promise<Response>;
}>;

type Shape<T> = (value: unknown) => value is T;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStatus: Shape<EngineStatus> = (v): v is EngineStatus =>
  isObject(v) && typeof v.version === 'string' && typeof v.startedAtMs === 'number';

const isStreamList: Shape<readonly LiveStreamState[]> = (v): v is readonly LiveStreamState[] =>
  Array.isArray(v) && v.every((s) => isObject(s) && typeof s.app === 'string' && typeof s.stream === 'string');

const isClientList: Shape<readonly ClientState[]> = (v): v is readonly ClientState[] =>
  Array.isArray(v) && v.every((c) => isObject(c) && typeof c.id === 'string');

const isRelayList: Shape<readonly RelayStatus[]> = (v): v is readonly RelayStatus[] =>
  Array.isArray(v) && v.every((r) => isObject(r) && typeof r.id === 'string' && typeof r.kind === 'string' && typeof r.state === 'string');

const down = (reason: string): EngineDown => ({ ok: false, reason });

export function createEngineClient(options: EngineClientOptions): EngineClient {
  const baseUrl = (options.baseUrl ?? ENGINE_API_DEFAULT_URL).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? ENGINE_API_DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? ((request: Request) => fetch(request));

  async function call(method: string, path: string, body?: unknown, streamed = false): Promise<EngineResult<Response>> {
    // A streamed body (an export download) may take longer than the timeout: only the wait for its
    // headers is bounded. Other answers are bounded as a whole, body included.
    const controller = streamed ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs) : null;
    try {
      const secret = typeof options.secret === 'string' ? options.secret : await options.secret();
      const headers: Record<string, string> = { authorization: `Bearer ${secret}`, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const request = new Request(baseUrl + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: controller?.signal ?? AbortSignal.timeout(timeoutMs),
      });
      return { ok: true, value: await doFetch(request) };
    } catch (error) {
      const name = error instanceof Error || error instanceof DOMException ? error.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') return down(`engine did not answer within ${timeoutMs} ms`);
      return down('engine unreachable');
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function getJson<T>(path: string, shape: Shape<T>): Promise<EngineResult<T>> {
    const answer = await call('GET', path);
    if (!answer.ok) return answer;
    const response = answer.value;
    if (!response.ok) return down(`engine answered ${response.status} to GET ${path}`);
    try {
      const body: unknown = await response.json();
      return shape(body) ? { ok: true, value: body } : down(`engine sent an unexpected body for GET ${path}`);
    } catch {
      return down(`engine sent invalid JSON for GET ${path}`);
    }
  }

  return {
    status: () => getJson('/v1/status', isStatus),
    streams: () => getJson('/v1/streams', isStreamList),
    clients: () => getJson('/v1/clients', isClientList),
    relays: () => getJson('/v1/relays', isRelayList),
    async kick(clientId) {
      const answer = await call('DELETE', `/v1/clients/${encodeURIComponent(clientId)}`);
      if (!answer.ok) return answer;
      const { status } = answer.value;
      await answer.value.body?.cancel().catch(() => undefined);
      if (status === 404) return { ok: true, value: false };
      if (status >= 200 && status < 300) return { ok: true, value: true };
      return down(`engine answered ${status} to a kick`);
    },
    async snapshot(app, stream, index) {
      const answer = await call('GET', `/v1/snapshots/${encodeURIComponent(app)}/${encodeURIComponent(stream)}?n=${index}`);
      if (!answer.ok) return answer;
      const response = answer.value;
      try {
        if (response.status === 404 || response.status === 503 || response.status === 400) {
          const body = (await response.json()) as { error?: unknown };
          return { ok: true, value: { found: false, status: response.status, reason: typeof body.error === 'string' ? body.error : 'no snapshot' } };
        }
        if (!response.ok || response.headers.get('content-type') !== 'image/jpeg') return down(`engine answered ${response.status} to a snapshot request`);
        const jpeg = new Uint8Array(await response.arrayBuffer());
        if (jpeg.byteLength > MAX_SNAPSHOT_BYTES) return down('engine sent an oversized snapshot');
        return { ok: true, value: { found: true, jpeg, takenAtMs: Number(response.headers.get('x-snapshot-time-ms')) || 0 } };
      } catch {
        return down('engine sent an unreadable snapshot answer');
      }
    },
    async recordingCall(method, path, body) {
      const answer = await call(method, path, body);
      if (!answer.ok) return answer;
      const response = answer.value;
      try {
        const text = await response.text();
        return { ok: true, value: { status: response.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : null } };
      } catch {
        return down(`engine sent invalid JSON for ${method} ${path}`);
      }
    },
    async exportFile(id) {
      return call('GET', `/v1/exports/${encodeURIComponent(id)}/file`, undefined, true);
    },
    async reload() {
      const answer = await call('POST', '/v1/reload');
      if (!answer.ok) return answer;
      const { status } = answer.value;
      await answer.value.body?.cancel().catch(() => undefined);
      return status >= 200 && status < 300 ? { ok: true, value: true } : down(`engine answered ${status} to a reload`);
    },
  };
}
