// The console's snapshot settings (issue 13 item 5): the app form's fieldset shows and saves them in
// English and Chinese and says when the engine has no decoder (ffmpeg); the live streams page shows a
// thumbnail wall of the streams of apps with snapshots on, from the REST API, escaped, or the warning.
import { beforeEach, expect, test } from 'bun:test';
import type { LiveStreamState } from '../../../src/shared/config-protocol.ts';
import type { Harness } from '../api/helpers.ts';
import { consoleSession, type ConsoleSession } from './console-session.ts';

let h: Harness;
let req: ConsoleSession['req'];

beforeEach(async () => {
  ({ h, req } = await consoleSession());
});

const base = { sourceType: 'push', publishPolicy: 'open', playPolicy: 'open', outagePolicy: 'admitted', hls: 'on', llHls: 'on' };
const live = (app: string, stream: string): LiveStreamState => ({
  app,
  stream,
  publisherId: 'c1',
  publisherAddress: '127.0.0.1',
  startedAtMs: 1_699_999_990_000,
  tracks: [{ kind: 'video', codec: 'h264', width: 320, height: 240 }],
  bitrateInBps: 1000,
  bitrateOutBps: 0,
  viewers: {},
});

test('the app form shows the snapshot fieldset with its defaults, and saving it changes the app', async () => {
  const page = await req('GET', '/apps/live');
  expect(page.text).toContain('<legend>Snapshots</legend>');
  expect(page.text).toContain('name="snapIntervalSec" type="number" min="1" max="3600" value="10"');
  expect(page.text).toContain('name="snapKeep" type="number" min="1" max="100" value="1"');
  expect(page.text).not.toContain('snapshot-no-decoder');
  const revision = h.services.config.revision();
  const saved = await req('POST', '/apps/live', { ...base, snapEnabled: 'on', snapIntervalSec: '3', snapKeep: '4' });
  expect(saved.status).toBe(200);
  expect(h.services.apps.get('live').snapshot).toEqual({ enabled: true, intervalSec: 3, keep: 4 });
  expect(h.services.config.revision()).toBe(revision + 1);
  await req('POST', '/apps/live', { ...base, snapIntervalSec: '3', snapKeep: '4' });
  expect(h.services.apps.get('live').snapshot.enabled).toBe(false);
  for (const bad of [{ snapIntervalSec: '0' }, { snapKeep: '101' }, { snapKeep: 'x' }]) {
    const refused = await req('POST', '/apps/live', { ...base, snapEnabled: 'on', snapIntervalSec: '3', snapKeep: '4', ...bad });
    expect(refused.status).toBe(400);
    expect(h.services.apps.get('live').snapshot.enabled).toBe(false);
  }
  // a form without the fieldset leaves the settings alone
  await req('POST', '/apps/live', { ...base, snapEnabled: 'on', snapIntervalSec: '3', snapKeep: '4' });
  await req('POST', '/apps/live', { ...base, outagePolicy: 'closed' });
  expect(h.services.apps.get('live').snapshot.enabled).toBe(true);
});

test('an engine without ffmpeg: the app form and the live streams page say so', async () => {
  h.engine.status_ = { ...h.engine.status_, snapshotDecoder: null };
  const page = await req('GET', '/apps/live');
  expect(page.text).toContain('data-testid="snapshot-no-decoder"');
  expect(page.text).toContain('ffmpeg is not installed');
  expect((await req('GET', '/apps')).text).toContain('snapshot-no-decoder');
  const saved = await req('POST', '/apps/live', { ...base, snapEnabled: 'on', snapIntervalSec: '5', snapKeep: '1' });
  expect(saved.text).toContain('snapshot-no-decoder');
  h.engine.liveStreams = [live('live', 'cam')];
  const streams = await req('GET', '/streams');
  expect(streams.text).toContain('install ffmpeg on the engine host');
  expect(streams.text).not.toContain('data-testid="thumbnails"');
  // an engine that is down says nothing about its decoder
  h.engine.up = false;
  expect((await req('GET', '/apps/live')).text).not.toContain('data-testid="snapshot-no-decoder"');
});

test('the live streams page shows thumbnails of the streams of apps with snapshots on, from the REST API, escaped', async () => {
  h.services.apps.create({ name: 'plain' });
  h.services.apps.update('live', { snapshot: { enabled: true } });
  h.engine.status_ = { ...h.engine.status_, snapshotDecoder: '/usr/bin/ffmpeg' };
  h.engine.liveStreams = [live('live', 'cam"<x>'), live('plain', 'other')];
  const page = await req('GET', '/streams');
  expect(page.text).toContain('data-testid="thumbnails"');
  expect(page.text).toContain('<img src="/api/v1/streams/live/cam%22%3Cx%3E/snapshot"');
  expect(page.text).toContain('alt="live/cam&quot;&lt;x&gt;"');
  expect(page.text).not.toContain('/api/v1/streams/plain/other/snapshot');
  expect((await req('GET', '/fragments/streams')).text).toContain('data-testid="thumbnails"');
  // the image URL answers the JPEG to the logged-in console (session cookie)
  h.engine.snapshots.set('live/cam"<x>/0', { found: true, jpeg: new Uint8Array([0xff, 0xd8, 0xff]), takenAtMs: 1 });
  const image = await req('GET', '/api/v1/streams/live/cam%22%3Cx%3E/snapshot');
  expect(image.status).toBe(200);
  expect(image.headers.get('content-type')).toBe('image/jpeg');
  h.engine.liveStreams = [live('plain', 'other')];
  expect((await req('GET', '/streams')).text).not.toContain('data-testid="thumbnails"');
});

test('in Chinese', async () => {
  const admin = h.services.users.list().find((u) => u.username === 'admin')!;
  h.services.users.update(admin.id, { language: 'zh' });
  h.engine.status_ = { ...h.engine.status_, snapshotDecoder: null };
  const page = await req('GET', '/apps/live');
  expect(page.text).toContain('<legend>截图</legend>');
  expect(page.text).toContain('未安装 ffmpeg');
});
