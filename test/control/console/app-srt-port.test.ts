// The console's app form shows and saves an app's own SRT port, with the service's refusals as 400s.
import { beforeEach, expect, test } from 'bun:test';
import type { Harness } from '../api/helpers.ts';
import { consoleSession, type ConsoleSession } from './console-session.ts';

let h: Harness;
let req: ConsoleSession['req'];

beforeEach(async () => {
  ({ h, req } = await consoleSession());
});

const form = (srtPort: string) => ({ sourceType: 'push', publishPolicy: 'open', playPolicy: 'open', outagePolicy: 'admitted', srtPort });

test('the app form shows the SRT port; saving sets, keeps and clears it; a taken or reserved port is refused', async () => {
  expect((await req('GET', '/apps/live')).text).toContain('<input name="srtPort" type="number" min="1" max="65535" value="">');
  expect((await req('POST', '/apps/live', form('9000'))).status).toBe(200);
  expect(h.services.apps.get('live').srtPort).toBe(9000);
  expect((await req('GET', '/apps/live')).text).toContain('name="srtPort" type="number" min="1" max="65535" value="9000"');
  // a form without the field (an older page) leaves it
  expect((await req('POST', '/apps/live', { sourceType: 'push', outagePolicy: 'admitted' })).status).toBe(200);
  expect(h.services.apps.get('live').srtPort).toBe(9000);
  h.services.apps.create({ name: 'cams' });
  const taken = await req('POST', '/apps/cams', form('9000'));
  expect(taken.status).toBe(400);
  expect(taken.text).toContain("app &#39;live&#39;");
  expect((await req('POST', '/apps/cams', form('10080'))).status).toBe(400);
  expect((await req('POST', '/apps/cams', form('x'))).status).toBe(400);
  expect(h.services.apps.get('cams').srtPort ?? null).toBeNull();
  expect((await req('POST', '/apps/live', form(''))).status).toBe(200);
  expect(h.services.apps.get('live').srtPort ?? null).toBeNull();
  // both languages name the field
  expect((await req('GET', '/apps/live')).text).toContain('Own SRT port');
  const admin = h.services.users.list().find((u) => u.username === 'admin')!;
  h.services.users.update(admin.id, { language: 'zh' });
  expect((await req('GET', '/apps/live')).text).toContain('独立 SRT 端口');
});
