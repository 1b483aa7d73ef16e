// The console's app form shows and saves the recording settings (issue 13), in English and
// Chinese; bad values are refused without changing the app.
import { beforeEach, expect, test } from 'bun:test';
import type { Harness } from '../api/helpers.ts';
import { consoleSession, type ConsoleSession } from './console-session.ts';

let h: Harness;
let req: ConsoleSession['req'];

beforeEach(async () => {
  ({ h, req } = await consoleSession());
});

const base = { sourceType: 'push', publishPolicy: 'open', playPolicy: 'open', outagePolicy: 'admitted', hls: 'on', llHls: 'on' };
const rec = { recFormat: 'ts', recSegmentSec: '4', recPath: '/srv/rec', recRetentionDays: '30', recQuotaMb: '500' };

test('the app form shows the recording fieldset with its defaults, and saving it changes the app and the revision', async () => {
  const page = await req('GET', '/apps/live');
  expect(page.text).toContain('<legend>Recording</legend>');
  expect(page.text).toContain('<select name="recFormat"><option value="fmp4" selected>fmp4</option><option value="ts">ts</option></select>');
  expect(page.text).toContain('name="recSegmentSec" type="number" min="1" max="3600" value="6"');
  const revision = h.services.config.revision();
  const saved = await req('POST', '/apps/live', { ...base, ...rec, recEnabled: 'on' });
  expect(saved.status).toBe(200);
  expect(h.services.apps.get('live').recording).toEqual({ enabled: true, format: 'ts', segmentDurationSec: 4, path: '/srv/rec', retentionDays: 30, quotaMb: 500 });
  expect(h.services.config.revision()).toBe(revision + 1);
  expect(saved.text).toContain('value="/srv/rec"');
  // unchecked: off, the rest kept
  await req('POST', '/apps/live', { ...base, ...rec });
  expect(h.services.apps.get('live').recording).toMatchObject({ enabled: false, path: '/srv/rec' });
  // the list shows which apps record
  await req('POST', '/apps/live', { ...base, ...rec, recEnabled: 'on' });
  expect((await req('GET', '/apps')).text).toMatch(/<td>push<\/td>.*<td>ts<\/td>/s);
});

test('bad recording values are refused and change nothing', async () => {
  for (const bad of [{ recPath: 'relative' }, { recPath: '/a/../b' }, { recSegmentSec: '0' }, { recQuotaMb: '-1' }, { recPath: '' }]) {
    const refused = await req('POST', '/apps/live', { ...base, ...rec, recEnabled: 'on', ...bad });
    expect(refused.status).toBe(400);
    expect(h.services.apps.get('live').recording.enabled).toBe(false);
  }
});

test('a form without the recording fields leaves the recording settings alone', async () => {
  await req('POST', '/apps/live', { ...base, ...rec, recEnabled: 'on' });
  const saved = await req('POST', '/apps/live', { ...base, outagePolicy: 'closed' });
  expect(saved.status).toBe(200);
  expect(h.services.apps.get('live').recording.enabled).toBe(true);
});

test('in Chinese', async () => {
  const admin = h.services.users.list().find((u) => u.username === 'admin')!;
  h.services.users.update(admin.id, { language: 'zh' });
  const page = await req('GET', '/apps/live');
  expect(page.text).toContain('<legend>录制</legend>');
  expect(page.text).toContain('存储路径');
});
