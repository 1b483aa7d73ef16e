// The OpenAPI document, the offline docs UI, /healthz, and problem answers for what no route handles.
import { describe, expect, test } from 'bun:test';
import { adminToken, call, expectProblem, makeHarness } from './helpers.ts';

type Operation = {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

const HIDDEN = /^\/api\/(docs|openapi\.json)/;

describe('OpenAPI document', () => {
  test('lists every route with its parameters, body and answer schemas, and the problem answers', async () => {
    const h = await makeHarness();
    const res = await call(h.app, 'GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBe('Weir control plane API');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearerAuth', 'sessionCookie']);
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);

    let routes = 0;
    for (const route of h.app.routes) {
      if (HIDDEN.test(route.path)) continue;
      routes++;
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      const op: Operation | undefined = doc.paths[path]?.[route.method.toLowerCase()];
      if (!op) throw new Error(`${route.method} ${path} is not in the OpenAPI document`);
      expect(op.summary, `${route.method} ${path} summary`).toBeString();
      expect(op.tags?.length, `${route.method} ${path} tags`).toBeGreaterThan(0);

      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        const param = op.parameters?.find((p) => p.in === 'path' && `{${p.name}}` === name);
        expect(param?.schema, `${route.method} ${path} parameter ${name}`).toBeDefined();
      }
      if (['POST', 'PATCH', 'PUT'].includes(route.method) && op.requestBody) {
        expect(Object.keys(op.requestBody.content)).toEqual(['application/json']);
        expect(op.requestBody.content['application/json']?.schema).toMatchObject({ type: 'object' });
      }
      const statuses = Object.keys(op.responses).map(Number);
      const success = statuses.filter((s) => s < 300);
      expect(success.length, `${route.method} ${path} success answer`).toBe(1);
      const ok = op.responses[String(success[0])];
      if (success[0] !== 204) expect(ok?.content?.['application/json']?.schema, `${route.method} ${path} answer schema`).toBeDefined();
      const public_ = route.path === '/healthz' || (route.method === 'POST' && route.path === '/api/v1/session');
      if (public_) {
        expect(op.security).toEqual([]);
      } else {
        expect(op.security).toBeUndefined(); // the document-wide requirement applies
        expect(op.responses['401']?.content?.['application/problem+json']?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
      }
      for (const status of statuses.filter((s) => s >= 400)) {
        expect(op.responses[String(status)]?.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
      }
    }
    expect(routes).toBeGreaterThan(40);
    expect(Object.keys(doc.paths).some((p) => HIDDEN.test(p))).toBe(false);

    // spot checks: the schemas are the routes' own
    const createApp = doc.paths['/api/v1/apps'].post as Operation;
    const body = createApp.requestBody?.content['application/json']?.schema as { required: string[]; properties: Record<string, { pattern?: string; enum?: string[] }> };
    expect(body.required).toEqual(['name']);
    expect(body.properties.name?.pattern).toBe('^[A-Za-z0-9_-]{2,40}$');
    expect(body.properties.publishPolicy?.enum).toEqual(['open', 'stream-key', 'signed-url', 'hook']);
    expect(Object.keys(createApp.responses).sort()).toEqual(['201', '400', '401', '403', '409']);
    expect((doc.paths['/api/v1/session'].post as Operation).responses['429']).toMatchObject({ headers: { 'Retry-After': {} } });
    expect((doc.paths['/api/v1/streams'].get as Operation).responses['503']).toBeDefined();
  });
});

// Opens alike in shape to the OpenAPI test above (a harness, a GET, its status and type); each then checks its own document.
describe('docs UI', () => {
  test('/api/docs is HTML that loads only local assets, each of which is served', async () => {
    const h = await makeHarness();
    const res = await call(h.app, 'GET', '/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/html');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = res.text;
    const refs = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThanOrEqual(5);
    for (const tag of html.match(/<(?:script|link)\b[^>]*>/g) ?? []) expect(tag).not.toMatch(/https?:|\/\//);
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    for (const ref of refs) {
      expect(ref).toStartWith('/api/docs/');
      const asset = await call(h.app, 'GET', ref);
      expect(asset.status, ref).toBe(200);
      expect(asset.text.length, ref).toBeGreaterThan(100);
    }
    expect((await call(h.app, 'GET', '/api/docs/swagger-ui-bundle.js')).headers.get('content-type')).toContain('javascript');
    expect((await call(h.app, 'GET', '/api/docs/swagger-ui.css')).headers.get('content-type')).toContain('text/css');

    const init = await call(h.app, 'GET', '/api/docs/swagger-initializer.js');
    expect(init.text).toContain('"/api/openapi.json"');
    expect(init.text).toContain('validatorUrl: null'); // swagger-ui would otherwise call validator.swagger.io
    expect(init.text).not.toMatch(/https?:\/\//);
  });

  test('an unknown docs asset is a 404 problem', async () => {
    const h = await makeHarness();
    // Plain '../' is resolved away by the URL parser before routing (it would only test the
    // router); encoded slashes survive it and reach the docs route as one asset name.
    for (const path of ['/api/docs/%2e%2e%2f%2e%2e%2fpackage.json', '/api/docs/..%2f..%2fpackage.json', '/api/docs/..%5c..%5cpackage.json']) {
      const res = await call(h.app, 'GET', path);
      const problem = expectProblem(res, 404, 'not-found');
      expect(problem.detail, path).toStartWith('No docs asset ');
      expect(res.text).not.toContain('"devDependencies"');
    }
    expectProblem(await call(h.app, 'GET', '/api/docs/swagger-ui.js.map'), 404, 'not-found');
  });
});

describe('what no route handles', () => {
  test('/healthz is ok without auth', async () => {
    const h = await makeHarness();
    const res = await call(h.app, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('unknown routes and methods are 404 problems, with or without credentials', async () => {
    const h = await makeHarness();
    const token = await adminToken(h);
    const problem = expectProblem(await call(h.app, 'GET', '/api/v1/nope'), 404, 'not-found');
    expect(problem.detail).toBe('No route for GET /api/v1/nope');
    expectProblem(await call(h.app, 'GET', '/nowhere', { creds: { token } }), 404, 'not-found');
    expectProblem(await call(h.app, 'PUT', '/api/v1/apps', { creds: { token }, body: {} }), 404, 'not-found');
  });

  test('bodies are JSON only; a form post is a 400 problem and changes nothing', async () => {
    const h = await makeHarness();
    const token = await adminToken(h);
    const form = await call(h.app, 'POST', '/api/v1/apps', {
      creds: { token },
      raw: 'name=cam',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(400);
    expect(form.headers.get('content-type')).toStartWith('application/problem+json');
    const empty = await call(h.app, 'POST', '/api/v1/apps', { creds: { token } });
    expect(empty.status).toBe(400);
    expect((await call(h.app, 'GET', '/api/v1/apps', { creds: { token } })).body.items).toHaveLength(1);
  });

  test('an unexpected failure is a 500 problem that leaks nothing and is logged', async () => {
    const h = await makeHarness();
    const token = await adminToken(h);
    const original = h.services.apps.list.bind(h.services.apps);
    h.services.apps.list = () => {
      throw new Error('database is on fire at /secret/path.db');
    };
    const res = await call(h.app, 'GET', '/api/v1/apps', { creds: { token } });
    const problem = expectProblem(res, 500, 'internal');
    expect(res.text).not.toContain('fire');
    expect(res.text).not.toContain('secret');
    expect(problem).not.toHaveProperty('stack');
    expect(h.logLines.join('\n')).toContain('database is on fire');
    h.services.apps.list = original;
  });
});
