// The console's app form shows and saves the outage policy (what the engine decides alone while
// it cannot reach the control plane), like the REST API does.
import { beforeEach, expect, test } from 'bun:test';
import type { Harness } from '../api/helpers.ts';
import { consoleSession, type ConsoleSession } from './console-session.ts';

let h: Harness;
let req: ConsoleSession['req'];

beforeEach(async () => {
  ({ h, req } = await consoleSession());
});

test('the app form offers admitted, closed and open, and saving it changes the app and the revision', async () => {
  const page = await req('GET', '/apps/live');
  expect(page.text).toContain('<select name="outagePolicy"><option value="admitted" selected>admitted</option><option value="closed">closed</option><option value="open">open</option></select>');
  const revision = h.services.config.revision();
  const saved = await req('POST', '/apps/live', { sourceType: 'push', publishPolicy: 'open', playPolicy: 'open', outagePolicy: 'closed' });
  expect(saved.status).toBe(200);
  expect(h.services.apps.get('live').outagePolicy).toBe('closed');
  expect(h.services.config.revision()).toBe(revision + 1);
  const refused = await req('POST', '/apps/live', { sourceType: 'push', outagePolicy: 'sometimes' });
  expect(refused.status).toBe(400);
  expect(h.services.apps.get('live').outagePolicy).toBe('closed');
});
