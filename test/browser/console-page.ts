// Weir's web console opened in headless Chromium and logged in as admin through its form, as the
// console tests start: a fresh browser context (its own cookies) at the size the test screenshots.
import type { Browser, BrowserContext, Page } from 'playwright-core';

export type ConsolePage = {
  page: Page;
  context: BrowserContext;
  /** the console's URL for `path` (starting with '/') */
  url(path: string): string;
  close(): Promise<void>;
};

export type OpenConsoleOptions = {
  /** the control plane's HTTP port */
  port: number;
  password: string;
  viewport: { width: number; height: number };
  /** runs on the new page before it loads anything, to listen to its errors, console or requests */
  watch?: (page: Page) => void;
};

/**
 * Opens `/` signed out, which must send the browser to the login form, logs in as admin there and
 * waits until the console is back at `/`. The context is closed on failure.
 */
export async function openConsole(browser: Browser, options: OpenConsoleOptions): Promise<ConsolePage> {
  const url = (path: string) => `http://127.0.0.1:${options.port}${path}`;
  const context = await browser.newContext({ viewport: options.viewport });
  try {
    const page = await context.newPage();
    options.watch?.(page);
    await page.goto(url('/'));
    if (page.url() !== url('/login')) throw new Error(`a signed-out visit to / ended at ${page.url()}, not the login form`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', options.password);
    await Promise.all([page.waitForURL(url('/')), page.click('button.primary')]);
    return { page, context, url, close: () => context.close() };
  } catch (error) {
    await context.close().catch(() => {});
    throw error;
  }
}
