// A logged-in admin in the console, on a fresh in-memory control plane: form posts carry the
// session cookie and CSRF token as the browser would send them.
import { expect } from 'bun:test';
import { ADMIN_PASSWORD, BASE, makeHarness, type Harness } from '../api/helpers.ts';

export type ConsoleReply = { status: number; headers: Headers; text: string };

export type ConsoleSession = {
  readonly h: Harness;
  req(method: string, path: string, form?: Record<string, string>, extra?: Record<string, string>): Promise<ConsoleReply>;
};

export async function consoleSession(): Promise<ConsoleSession> {
  const h = await makeHarness();
  let cookie = '';
  let csrf = '';
  const req = async (method: string, path: string, form?: Record<string, string>, extra: Record<string, string> = {}): Promise<ConsoleReply> => {
    const headers: Record<string, string> = { ...(cookie ? { cookie } : {}), ...extra };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (csrf) headers['x-csrf-token'] = csrf;
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const res = await h.app.handle(new Request(BASE + path, { method, headers, body, redirect: 'manual' }));
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const login = await req('POST', '/login', { username: 'admin', password: ADMIN_PASSWORD });
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  csrf = /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec((await req('GET', '/')).text)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return { h, req };
}
