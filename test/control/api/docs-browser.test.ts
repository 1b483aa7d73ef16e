// The API docs UI in headless Chromium: it renders every operation from /api/openapi.json under
// its CSP with no request leaving this origin, and "try it out" works with a console session.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Browser, launchBrowser } from '../../browser/browser.ts';
import { ADMIN_PASSWORD, type Harness, makeHarness } from './helpers.ts';

let browser: Browser;
let h: Harness;
let server: ReturnType<typeof Bun.serve>;
let origin: string;

beforeAll(async () => {
  h = await makeHarness();
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => h.app.handle(req) });
  origin = `http://127.0.0.1:${server.port}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  server?.stop(true);
});

type PageGlobals = { document: { querySelectorAll(selector: string): { length: number } } };

describe('docs UI in a browser', () => {
  test('renders every operation offline, and its requests carry the session CSRF token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const foreign: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:')) foreign.push(url);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // log in the way the console does, so the page has a session cookie
    const login = await page.request.post(`${origin}/api/v1/session`, { data: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(login.status()).toBe(201);

    await page.goto(`${origin}/api/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('.opblock').length > 40, undefined, { timeout: 20_000 });

    // try it out: POST /api/v1/tokens through the UI's own request path
    const answer = page.waitForResponse((response) => response.url() === `${origin}/api/v1/tokens` && response.request().method() === 'POST');
    const block = page.locator('#operations-API_tokens-postApiV1Tokens');
    await block.locator('.opblock-summary').click();
    await block.locator('button.try-out__btn').click();
    await block.locator('textarea.body-param__text').fill(JSON.stringify({ name: 'from the docs' }));
    await block.locator('button.execute').click();
    const response = await answer;
    expect(response.status()).toBe(201);
    expect(response.request().headers()['x-csrf-token']).toBeString();

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
