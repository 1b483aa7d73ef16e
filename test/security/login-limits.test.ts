// Issue 10, item 9: failed logins were counted per username across all addresses, so five wrong
// passwords a minute from anywhere kept `admin` locked out forever. Now they count per
// (address, username) and per address, with a doubling wait, and a correct password from an
// address without failures gets in while another address hammers `admin`. Against a real
// control plane, with clients on distinct loopback addresses (127.0.0.x).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { requestFrom, startControlPlane, type ControlPlane } from './processes.ts';

const ADMIN_PASSWORD = 'login-limits-admin-password';
let control: ControlPlane;

const apiLogin = (from: string, username: string, password: string) =>
  requestFrom(from, control.httpPort, {
    method: 'POST',
    path: '/api/v1/session',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });

const consoleLogin = (from: string, username: string, password: string) =>
  requestFrom(from, control.httpPort, {
    method: 'POST',
    path: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });

beforeAll(async () => {
  control = await startControlPlane(ADMIN_PASSWORD);
}, 60_000);

afterAll(async () => {
  await control?.remove();
});

describe('login limits', () => {
  test('an address hammering admin is held back, and the admin still logs in from another address', async () => {
    const attacker = '127.0.0.2';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await apiLogin(attacker, 'admin', `guess ${i}`)).status);
    // 5 free failures, then 429 without the password even being checked
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    const limited = await apiLogin(attacker, 'admin', ADMIN_PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('set-cookie')).toBeUndefined();

    // the admin, from addresses without failures, through the API and the console form
    const api = await apiLogin('127.0.0.3', 'admin', ADMIN_PASSWORD);
    expect(api.status).toBe(201);
    expect(api.headers.get('set-cookie')).toContain('weir_session=');
    const form = await consoleLogin('127.0.0.4', 'admin', ADMIN_PASSWORD);
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/');

    // more hammering while the admin works changes nothing for a clean address
    for (let i = 0; i < 5; i++) expect((await apiLogin(attacker, 'admin', 'again')).status).toBe(429);
    expect((await apiLogin('127.0.0.5', 'admin', ADMIN_PASSWORD)).status).toBe(201);
  }, 60_000);

  test('an address trying many usernames is limited as an address', async () => {
    const sprayer = '127.0.0.6';
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await apiLogin(sprayer, `user${i}`, 'Password1')).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect((await consoleLogin(sprayer, 'admin', ADMIN_PASSWORD)).status).toBe(429);
    expect((await apiLogin('127.0.0.7', 'admin', ADMIN_PASSWORD)).status).toBe(201);
  }, 60_000);
});
