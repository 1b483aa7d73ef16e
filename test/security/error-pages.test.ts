// Issue 10, item 10: a crafted Host header made the control plane serve Bun's development error
// page (cwd, file paths, source lines). Every server now runs with development mode off and
// answers with an RFC 9457 problem that names no internals; asset names that are Object
// prototype properties are 404s, not 500s. Reproduced against the real processes.
import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, run, tempDir, waitFor } from '../e2e/harness.ts';
import { guardFetch, productionServe } from '../../src/shared/http-errors.ts';
import { makeHarness } from '../control/api/helpers.ts';
import { rawRequest, startControlPlane, startProcess, type ControlPlane, type Proc } from './processes.ts';

const repo = resolve(import.meta.dir, '../..');
const CRAFTED_HOSTS = ['a b', '[::1', 'x:99999', '%zz', 'a/b', '{}'];

/** nothing that tells an attacker where the code lives or how it failed */
function expectNoInternals(body: string): void {
  expect(body).not.toContain(repo);
  expect(body).not.toContain('__bunfallback');
  expect(body).not.toContain('"cwd"');
  expect(body).not.toMatch(/\.ts:\d+/);
  expect(body).not.toMatch(/<html/i);
  expect(body).not.toContain('stack');
}

function expectProblem(answer: { status: number; head: string; body: string }, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.head.toLowerCase()).toContain('content-type: application/problem+json');
  const problem = JSON.parse(answer.body) as { status: number; type: string; title: string };
  expect(problem.status).toBe(status);
  expect(problem.type).toStartWith('https://weir.dev/problems/');
  expectNoInternals(answer.body);
}

let control: ControlPlane;
let engine: Proc;
const engineApiPort = freePort();
const engineSecret = 'error-pages-test-engine-secret-0123456789';

beforeAll(async () => {
  control = await startControlPlane('error-pages-admin-password', engineApiPort);
  engine = startProcess(
    ['src/engine.ts', '--rtmp-host', '127.0.0.1', '--rtmp-port', String(freePort()), '--http-host', '127.0.0.1',
      '--http-port', String(freePort()), '--api-port', String(engineApiPort)],
    { WEIR_ENGINE_SECRET: engineSecret },
  );
  expect(await waitFor(() => engine.logs.some((l) => l.includes('engine API listening')), 20_000, 50)).toBe(true);
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  await control?.remove();
});

describe('crafted Host headers', () => {
  test('the console, REST API and /metrics answer 400 problems, never the development error page', async () => {
    for (const host of CRAFTED_HOSTS) {
      for (const path of ['/', '/login', '/api/v1/apps', '/metrics', '/readyz', '/console/assets/console.css', '/nowhere']) {
        const answer = await rawRequest(control.httpPort, { path, host });
        expectProblem(answer, 400);
      }
    }
  }, 60_000);

  test('the config server answers 400 problems, with or without the secret', async () => {
    const secret = readFileSync(join(control.dataDir, 'engine-secret'), 'utf8').trim();
    for (const host of CRAFTED_HOSTS) {
      expectProblem(await rawRequest(control.configPort, { path: '/v1/config', host }), 400);
      const authorized = await rawRequest(control.configPort, { path: '/v1/config', host, headers: { authorization: `Bearer ${secret}` } });
      expectProblem(authorized, 400);
    }
  }, 30_000);

  test('the engine API answers 400 problems', async () => {
    for (const host of CRAFTED_HOSTS) {
      for (const path of ['/healthz', '/v1/status', '/metrics']) {
        expectProblem(await rawRequest(engineApiPort, { path, host, headers: { authorization: `Bearer ${engineSecret}` } }), 400);
      }
    }
  }, 30_000);

  test('a well-formed Host still gets the normal answers', async () => {
    expect((await rawRequest(control.httpPort, { path: '/healthz', host: `127.0.0.1:${control.httpPort}` })).status).toBe(200);
    expect((await rawRequest(control.httpPort, { path: '/login', host: `127.0.0.1:${control.httpPort}` })).status).toBe(200);
    expect((await rawRequest(engineApiPort, { path: '/healthz', host: 'localhost' })).status).toBe(200);
  });
});

describe('asset names that are Object prototype properties', () => {
  test('/console/assets/{constructor,__proto__,toString,...} and the docs assets are 404, not 500', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      for (const path of [`/console/assets/${name}`, `/api/docs/${name}`]) {
        const res = await fetch(`http://127.0.0.1:${control.httpPort}${path}`);
        const body = await res.text();
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expectNoInternals(body);
      }
    }
    expect((await fetch(`http://127.0.0.1:${control.httpPort}/console/assets/console.css`)).status).toBe(200);
  }, 30_000);
});

describe('the compiled weir-control binary', () => {
  test('answers a crafted Host with a 400 problem too, and prototype asset names with 404', async () => {
    const dir = tempDir();
    const binary = join(dir.path, 'weir-control');
    try {
      const built = await run(
        [process.execPath, 'build', join(repo, 'src/control-plane.ts'), '--compile', '--minify', '--bytecode', '--format=esm', '--outfile', binary],
        120_000,
      );
      expect(built.exitCode).toBe(0);
      const compiled = await startControlPlane('error-pages-admin-password', freePort(), binary);
      try {
        for (const host of CRAFTED_HOSTS) expectProblem(await rawRequest(compiled.httpPort, { path: '/api/v1/apps', host }), 400);
        const asset = await rawRequest(compiled.httpPort, { path: '/console/assets/constructor', host: 'localhost' });
        expect(asset.status).toBe(404);
        expectNoInternals(asset.body);
      } finally {
        await compiled.remove();
      }
    } finally {
      dir.remove();
    }
  }, 180_000);
});

describe('unexpected errors', () => {
  test('a handler that throws gives a 500 problem without message, path or stack, and the log gets the error', async () => {
    const logged: string[] = [];
    const log = (message: string, fields: Readonly<Record<string, unknown>>) => logged.push(`${message} ${JSON.stringify(fields)}`);
    const boom = (): Response => {
      throw new Error(`secret detail in ${repo}/src/somewhere.ts:12`);
    };
    // both layers: the guard around the handler, and Bun's own error hook behind it
    for (const fetchHandler of [guardFetch(boom, log), boom]) {
      const server = Bun.serve({ hostname: '127.0.0.1', port: 0, ...productionServe(log), fetch: fetchHandler });
      try {
        const answer = await rawRequest(server.port!, { path: '/x', host: 'localhost' });
        expectProblem(answer, 500);
        expect(answer.body).not.toContain('secret detail');
      } finally {
        server.stop(true);
      }
    }
    expect(logged.length).toBe(2);
    expect(logged.every((l) => l.includes('secret detail'))).toBe(true);
  });

  test('a console or API route that fails unexpectedly answers a logged 500 problem, not a 400 or a stack', async () => {
    const h = await makeHarness();
    spyOn(h.services.auth, 'sessionFromCookie').mockImplementation(() => {
      throw new Error(`store gone at ${repo}/src/control/store/session-store.ts:40`);
    });
    for (const path of ['/login', '/', '/relays', '/api/v1/apps']) {
      const res = await h.app.handle(new Request(`http://127.0.0.1${path}`, { headers: { cookie: 'weir_session=abc' } }));
      const body = await res.text();
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 500, type: 'application/problem+json' });
      expect((JSON.parse(body) as { code: string }).code).toBe('internal');
      expectNoInternals(body);
      expect(body).not.toContain('store gone');
    }
    expect(h.logLines.filter((l) => l.includes('store gone')).length).toBe(4);
  });
});
