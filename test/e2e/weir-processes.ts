// The control plane and the engine as real subprocesses (as `npm start` runs them), for tests
// that reproduce what a client on the network can do: the control plane with an admin API
// token, and an engine that takes its configuration from it. Processes are ended by PID.
import { join } from 'node:path';
import { afterAll, beforeAll } from 'bun:test';
import { freePort, killAll, startProcess, tempDir, waitFor, type Proc } from './harness.ts';
export { startProcess, type Proc };

export const ADMIN_PASSWORD = 'e2e-admin-password';


export type WeirPorts = Readonly<{ config: number; control: number; engineApi: number; rtmp: number; http: number }>;

export type ApiResult = { status: number; json: any };

/** Both processes on fresh loopback ports, in `dataDir`, driven through the REST API. */
export class Weir {
  readonly ports: WeirPorts = { config: freePort(), control: freePort(), engineApi: freePort(), rtmp: freePort(), http: freePort() };
  control: Proc | null = null;
  engine: Proc | null = null;
  private token = '';

  /**
   * `engineArgs`: more engine flags, e.g. a short --wait-ms for tests that expect "not live" soon;
   * `engineEnv`: more environment for the engine, e.g. a PATH without ffmpeg
   */
  constructor(
    private readonly dataDir: string,
    private readonly engineArgs: readonly string[] = [],
    private readonly engineEnv: Readonly<Record<string, string>> = {},
  ) {}

  async start(): Promise<void> {
    await this.startControl();
    const login = await fetch(`http://127.0.0.1:${this.ports.control}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    if (login.status !== 201) throw new Error(`login: HTTP ${login.status}`);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const created = await fetch(`http://127.0.0.1:${this.ports.control}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'e2e' }),
    });
    if (created.status !== 201) throw new Error(`token: HTTP ${created.status}`);
    this.token = ((await created.json()) as { token: string }).token;
    const listen = { rtmpHost: '127.0.0.1', rtmpPort: this.ports.rtmp, httpHost: '127.0.0.1', httpPort: this.ports.http };
    if ((await this.api('PATCH', '/settings', { listen })).status !== 200) throw new Error('settings not accepted');
    const engine = startProcess([
      'src/engine.ts', '--config-url', `http://127.0.0.1:${this.ports.config}`, '--data-dir', this.dataDir,
      '--api-port', String(this.ports.engineApi), ...this.engineArgs,
    ], { ...this.engineEnv });
    this.engine = engine;
    const up = await waitFor(() => engine.logs.some((l) => l.includes('RTMP listening') && l.includes(`port=${this.ports.rtmp}`)), 15_000);
    if (!up) throw new Error(`engine did not start:\n${engine.logs.join('\n')}`);
  }

  async startControl(): Promise<void> {
    const control = startProcess(
      ['src/control-plane.ts', '--data-dir', this.dataDir, '--config-port', String(this.ports.config), '--http-host', '127.0.0.1',
        '--http-port', String(this.ports.control), '--engine-api', `http://127.0.0.1:${this.ports.engineApi}`],
      { WEIR_ADMIN_PASSWORD: ADMIN_PASSWORD },
    );
    this.control = control;
    const up = await waitFor(() => control.logs.some((l) => l.includes('console and REST API listening')), 15_000);
    if (!up) throw new Error(`control plane did not start:\n${control.logs.join('\n')}`);
  }

  async api(method: string, path: string, body?: unknown): Promise<ApiResult> {
    const res = await fetch(`http://127.0.0.1:${this.ports.control}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  /** a REST request whose answer is not JSON (an image, a download) */
  raw(path: string): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.ports.control}/api/v1${path}`, { headers: { authorization: `Bearer ${this.token}` } });
  }

  /** configuration reaches the engine asynchronously (reload notice, then a fetch): wait for it */
  async engineCurrent(): Promise<boolean> {
    for (let i = 0; i < 80; i++) {
      if ((await this.api('GET', '/engine')).json?.engine?.configCurrent === true) return true;
      await Bun.sleep(100);
    }
    return false;
  }

  httpUrl(path: string): string {
    return `http://127.0.0.1:${this.ports.http}/${path}`;
  }

  async stop(): Promise<void> {
    await this.engine?.stop();
    await this.control?.stop();
  }
}

export type UseWeirOptions = Readonly<{
  /** more engine flags */
  engineArgs?: string[];
  /** more environment for the engine */
  engineEnv?: Record<string, string>;
  /** runs once both are up, still inside the beforeAll */
  setup?: (weir: Weir, dir: string) => Promise<void>;
  /** the beforeAll's bound (default Bun's) */
  timeoutMs?: number;
}>;

/**
 * Registers a beforeAll that starts a control plane and an engine with their data in a temporary
 * folder, and an afterAll that ends every process the file spawned, stops them and removes it.
 */
export function useWeir(options: UseWeirOptions = {}): { readonly weir: Weir; readonly dir: string } {
  let dir: { path: string; remove(): void } | undefined;
  let weir: Weir | undefined;
  beforeAll(async () => {
    dir = tempDir();
    weir = new Weir(join(dir.path, 'data'), options.engineArgs, options.engineEnv);
    await weir.start();
    await options.setup?.(weir, dir.path);
  }, options.timeoutMs);
  afterAll(async () => {
    await killAll();
    await weir?.stop();
    dir?.remove();
  });
  return {
    get weir(): Weir {
      if (!weir) throw new Error('Weir is not started (use it inside a test)');
      return weir;
    },
    get dir(): string {
      if (!dir) throw new Error('no folder yet (use it inside a test)');
      return dir.path;
    },
  };
}
