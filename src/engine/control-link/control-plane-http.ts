// The engine's side of the wire to the config server: authenticated JSON requests with a
// deadline. Every failure (refused connection, timeout, non-2xx, bad JSON) is one error type
// so callers only decide what to fall back to.
import type { SecretSource } from './engine-secret.ts';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export class ConfigServerError extends Error {
  constructor(
    message: string,
    /** HTTP status when the server answered, undefined when it could not be reached */
    readonly status?: number,
  ) {
    super(message);
  }
}

export type ControlPlaneHttpOptions = Readonly<{
  baseUrl: string;
  secret: SecretSource;
  fetch?: FetchLike;
  timeoutMs?: number;
}>;

const DEFAULT_TIMEOUT_MS = 3000;

export class ControlPlaneHttp {
  readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;

  constructor(private readonly options: ControlPlaneHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  getJson(path: string, timeoutMs?: number): Promise<unknown> {
    return this.request('GET', path, undefined, timeoutMs);
  }

  postJson(path: string, body: unknown, timeoutMs?: number): Promise<unknown> {
    return this.request('POST', path, body, timeoutMs);
  }

  private async request(method: string, path: string, body: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    const secret = this.options.secret.get();
    if (secret === null) throw new ConfigServerError(`no engine secret yet (${this.options.secret.origin})`);
    const headers: Record<string, string> = { Authorization: `Bearer ${secret}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ConfigServerError(`${method} ${path}: ${describe(err)}`);
    }
    if (res.status === 401 || res.status === 403) this.options.secret.refresh();
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new ConfigServerError(`${method} ${path}: HTTP ${res.status}`, res.status);
    }
    if (res.status === 204) return null;
    try {
      return await res.json();
    } catch (err) {
      throw new ConfigServerError(`${method} ${path}: bad JSON (${describe(err)})`, res.status);
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.name === 'TimeoutError' ? 'timed out' : err.message;
  return String(err);
}
