// End-to-end: an engine under a FAKE config server (a small Bun.serve speaking the contract in
// src/shared/config-protocol.ts), real ffmpeg/ffprobe: configuration at start, admission
// refusals, a port move on reload under a live publish, life without the control plane, and
// an app removed while streaming. All ports from the OS; processes ended by PID.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ManagedEngine } from '../../src/engine/engine-managed.ts';
import { startUnderFakeConfigServer, type EngineUnderFake } from './managed-engine.ts';
import type { RunningEngine } from '../../src/engine/engine-runtime.ts';
import { CONFIG_CACHE_FILE } from '../../src/engine/control-link/config-client.ts';
import type { AdmissionAnswer, AdmissionQuery, ConfigSnapshot, EngineStatus } from '../../src/shared/config-protocol.ts';
import { appSettings, makeSnapshot, type FakeConfigServer } from '../engine/fake-config-server.ts';
import { freePort, killAll, logReader, probe, publishPattern, run, testPatternArgs, waitFor } from './harness.ts';
import { joinHls, withQuery } from './hls-session.ts';

const SECRET = 'e2e-engine-config-secret';
const auth = { Authorization: `Bearer ${SECRET}` };
const APPS = [appSettings('live'), appSettings('locked', { publishPolicy: 'stream-key', playPolicy: 'signed-url' }), appSettings('other')];

/** The fake's policy: 'locked' needs key=good to publish and token=ok to play; everything else is open. */
function admit(query: AdmissionQuery): AdmissionAnswer {
  if (query.app !== 'locked') return { allow: true, cacheTtlMs: 5000 };
  const params = new URLSearchParams(query.query);
  if (query.action === 'publish') {
    return params.get('key') === 'good' ? { allow: true, cacheTtlMs: 5000 } : { allow: false, reason: 'bad stream key', cacheTtlMs: 5000 };
  }
  return params.get('token') === 'ok' ? { allow: true, cacheTtlMs: 5000 } : { allow: false, reason: 'play token required', cacheTtlMs: 5000 };
}

let fake: FakeConfigServer;
let managed: ManagedEngine;
let engine: RunningEngine;
let dir: string;
let api: string;
let revision = 1;
let httpPort = 0;
const logs: string[] = [];

function rtmpUrl(path: string): string {
  return `rtmp://127.0.0.1:${engine.rtmpPort}/${path}`;
}

function httpUrl(path: string): string {
  return `http://127.0.0.1:${engine.httpPort}/${path}`;
}

function isLive(app: string, name: string): () => boolean {
  return () => engine.context.streams.find(app, name)?.started === true;
}

/** Gives the fake a new snapshot and tells the engine, as the control plane would. */
async function publishSnapshot(overrides: Partial<ConfigSnapshot>): Promise<number> {
  revision++;
  fake.snapshot = makeSnapshot({
    apps: APPS,
    listen: { rtmpHost: '127.0.0.1', rtmpPort: 0, httpHost: '127.0.0.1', httpPort },
    ...overrides,
    revision,
  });
  const res = await fetch(`${api}/v1/reload`, { method: 'POST', headers: auth });
  expect(res.status).toBe(202);
  expect(await waitFor(() => managed.configClient!.revision === revision, 5000)).toBe(true);
  return revision;
}


let under: EngineUnderFake;

beforeAll(async () => {
  under = await startUnderFakeConfigServer(SECRET, logs, { snapshot: makeSnapshot({ revision, apps: APPS }), admit }, {
    version: '0.0.0-e2e',
    configClient: { pollIntervalMs: 1000, initialBackoffMs: 100, maxBackoffMs: 1000 },
  });
  ({ fake, managed, engine, api, dir } = under);
});

afterAll(async () => {
  await killAll();
  under?.stop();
});

describe('an engine under a config server', () => {
  test("it starts with the config server's configuration and caches it", async () => {
    expect(engine.context.config().apps.map((a) => a.name)).toEqual(['live', 'locked', 'other']);
    expect(engine.context.config().rtmp.host).toBe('127.0.0.1');
    expect(fake.counts.config).toBeGreaterThanOrEqual(1);
    expect(fake.counts.unauthorized).toBe(0);
    const status = (await (await fetch(`${api}/v1/status`, { headers: auth })).json()) as EngineStatus;
    expect(status).toMatchObject({ ready: true, configRevision: 1 });
    expect(await (await fetch(`${api}/healthz`)).json()).toEqual({ ready: true });
    expect(existsSync(join(dir, CONFIG_CACHE_FILE))).toBe(true);
  });

  test('a publish the config server refuses fails in ffmpeg, with the reason in the logs', async () => {
    const refused = await run(['ffmpeg', ...testPatternArgs({ seconds: 3, bFrames: 0 }), '-f', 'flv', rtmpUrl('locked/cam?key=bad')], 20_000);
    expect(refused.exitCode).not.toBe(0);
    expect(logs.some((l) => l.includes('publish refused') && l.includes('bad stream key'))).toBe(true);
    const asked = fake.admissions.find((q) => q.action === 'publish' && q.app === 'locked');
    expect(asked).toMatchObject({ protocol: 'rtmp', stream: 'cam', query: 'key=bad', clientAddress: '127.0.0.1' });
    expect(asked!.clientId).toMatch(/^c\d+$/);
  });

  test('refused players get the protocol rejection; an HLS token reaches segments and parts', async () => {
    const publisher = await publishPattern(rtmpUrl('locked/cam?key=good'), { seconds: 15, bFrames: 0 });
    expect(await waitFor(isLive('locked', 'cam'), 8000)).toBe(true);
    // HTTP-FLV and WS-FLV: 403 with the reason
    const flv = await fetch(httpUrl('locked/cam.flv'));
    expect(flv.status).toBe(403);
    expect(await flv.text()).toContain('play token required');
    // RTMP: NetStream.Play.Failed, ffprobe gives up
    const rtmpPlay = await probe(rtmpUrl('locked/cam'));
    expect(rtmpPlay.exitCode).not.toBe(0);
    expect(logs.some((l) => l.includes('play refused') && l.includes('play token required'))).toBe(true);
    // with the token: allowed everywhere
    const probed = await probe(httpUrl('locked/cam.flv?token=ok'));
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    // HLS: the playlist is admitted with its token and hands it on to every URI
    expect((await fetch(httpUrl('locked/cam/index.m3u8'))).status).toBe(403);
    // HLS is muxed on demand, and a refused player is no demand
    expect(engine.context.hls.find('locked/cam')).toBeUndefined();
    // the player's session playlist keeps the token beside its session id; segments carry the token alone
    const session = await joinHls(httpUrl('locked/cam/index.m3u8?token=ok'));
    expect(session).toMatch(/\/index\.m3u8\?token=ok&weir_sid=[A-Za-z0-9_-]{16}$/);
    const playlist = await (await fetch(session)).text();
    const segment = playlist.split('\n').find((l) => l.endsWith('.ts?token=ok'));
    expect(segment).toBeDefined();
    expect((await fetch(httpUrl(`locked/cam/${segment}`))).status).toBe(200);
    expect((await fetch(httpUrl(`locked/cam/${segment!.replace('?token=ok', '')}`))).status).toBe(403);
    const ll = await (await fetch(withQuery(await joinHls(httpUrl('locked/cam/ll.m3u8?token=ok')), '_HLS_skip=YES'))).text();
    const uris = [...ll.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!);
    expect(uris.length).toBeGreaterThan(2);
    for (const uri of uris) expect(uri.endsWith('?token=ok')).toBe(true);
    const part = uris.find((u) => /\.\d+\.m4s\?/.test(u))!;
    expect((await fetch(httpUrl(`locked/cam/${part}`))).status).toBe(200);
    // one admission request per distinct (action, protocol, query), however many segments
    const hlsAsks = fake.admissions.filter((q) => q.app === 'locked' && q.protocol === 'hls');
    expect(hlsAsks.map((q) => q.query).sort()).toEqual(['', 'token=ok']);
    // ffmpeg plays the HLS with the token from the playlist
    const hls = await probe(httpUrl('locked/cam/index.m3u8?token=ok'));
    expect(hls.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    await publisher.stop();
  }, 45_000);

  test('a reload that moves the HTTP port keeps an ongoing RTMP publish', async () => {
    const publisher = await publishPattern(rtmpUrl('live/moving'), { seconds: 45, bFrames: 0 });
    expect(await waitFor(isLive('live', 'moving'), 8000)).toBe(true);
    const stream = engine.context.streams.find('live', 'moving')!;
    const handle = stream.publisher;
    const oldPort = engine.httpPort;
    const rtmpPort = engine.rtmpPort;
    httpPort = freePort();
    await publishSnapshot({});
    expect(engine.httpPort).toBe(httpPort);
    expect(engine.rtmpPort).toBe(rtmpPort);
    expect(logs.some((l) => l.includes('HTTP listening') && l.includes('moved=true'))).toBe(true);
    // the old port takes no new connections; the new one serves the stream
    let oldRefused = false;
    try {
      await fetch(`http://127.0.0.1:${oldPort}/live/moving.flv`, { signal: AbortSignal.timeout(2000) });
    } catch {
      oldRefused = true;
    }
    expect(oldRefused).toBe(true);
    const probed = await probe(`http://127.0.0.1:${httpPort}/live/moving.flv`);
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    // the publisher never noticed
    expect(publisher.proc.exitCode).toBeNull();
    expect(engine.context.streams.find('live', 'moving')).toBe(stream);
    expect(stream.publisher).toBe(handle);
    expect(stream.counters.publishers).toBe(1);
  }, 45_000);

  test('the engine keeps streaming while the config server is stopped and restarted', async () => {
    const stream = engine.context.streams.find('live', 'moving')!;
    expect(stream.publisher).not.toBeNull();
    fake.stop();
    const bytesBefore = stream.counters.bytesIn;
    // the config client notices, and keeps the configuration it has
    expect(await waitFor(() => (managed.configClient?.failures ?? 0) >= 2, 5000)).toBe(true);
    expect(logs.some((l) => l.includes('config server unreachable'))).toBe(true);
    // a new viewer (play policy open) and a new publisher (publish policy open) still get in
    const probed = await probe(httpUrl('live/moving.flv?fresh=1'));
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const second = await publishPattern(rtmpUrl('live/while-down'), { seconds: 8, bFrames: 0 });
    expect(await waitFor(isLive('live', 'while-down'), 8000)).toBe(true);
    // ...but nothing the engine cannot check alone
    const locked = await fetch(httpUrl('locked/cam.flv?token=new'));
    expect(locked.status).toBe(403);
    expect(await locked.text()).toContain('control plane unreachable');
    expect(stream.counters.bytesIn).toBeGreaterThan(bytesBefore + 20_000);
    expect(await (await fetch(`${api}/healthz`)).json()).toEqual({ ready: true });
    await second.stop();

    fake.restart();
    await publishSnapshot({ hls: { targetDurationMs: 1000, partTargetMs: 200, windowSegments: 4, alwaysRemux: false, muxerCloseAfterMs: 60_000 } });
    expect(engine.context.config().hls.targetDurationMs).toBe(1000);
    expect(logs.some((l) => l.includes('config server reachable again'))).toBe(true);
    expect(stream.publisher).not.toBeNull();
    expect(engine.context.streams.find('live', 'moving')).toBe(stream);
  }, 45_000);

  test('an app removed from the snapshot has its publisher and viewers kicked', async () => {
    const publisher = await publishPattern(rtmpUrl('other/doomed'), { seconds: 30, bFrames: 0 });
    expect(await waitFor(isLive('other', 'doomed'), 8000)).toBe(true);
    const viewer = await fetch(httpUrl('other/doomed.flv'));
    expect(viewer.status).toBe(200);
    const reading = (async () => {
      const reader = viewer.body!.getReader();
      try {
        for (;;) if ((await reader.read()).done) return 'ended';
      } catch {
        return 'ended';
      }
    })();
    await publishSnapshot({ apps: APPS.filter((a) => a.name !== 'other') });
    const t0 = Date.now();
    const exited = await Promise.race([publisher.proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
    expect(exited).toBe(true);
    expect(await Promise.race([reading, Bun.sleep(2000).then(() => 'still reading')])).toBe('ended');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(engine.context.streams.find('other', 'doomed')).toBeUndefined();
    expect(engine.context.hls.find('other/doomed')).toBeUndefined();
    expect((await fetch(httpUrl('other/doomed.flv'))).status).toBe(404);
    expect(logs.some((l) => l.includes('app removed') && l.includes('app=other'))).toBe(true);
    // the other app's stream is untouched
    expect(engine.context.streams.find('live', 'moving')?.publisher).not.toBeNull();
    await publisher.stop();
  }, 30_000);

  test('publish and play events reach the config server in batches', async () => {
    expect(await waitFor(() => fake.events.some((e) => e.type === 'publish-stop' && e.stream === 'doomed'), 3000)).toBe(true);
    const types = (stream: string) => fake.events.filter((e) => e.stream === stream).map((e) => e.type);
    expect(types('moving')).toContain('publish-start');
    expect(types('moving')).toContain('play-start');
    expect(types('doomed')).toEqual(expect.arrayContaining(['publish-start', 'play-start', 'play-stop', 'publish-stop']));
    const start = fake.events.find((e) => e.type === 'publish-start' && e.stream === 'moving')!;
    expect(start).toMatchObject({ app: 'live', clientAddress: '127.0.0.1' });
    expect(fake.counts.events).toBeLessThan(fake.events.length);
  });
});

describe('the weir-engine executable with --config-url', () => {
  test('fetches its configuration, serves the engine API, and starts from the cache while the config server is down', async () => {
    const secretFile = join(dir, 'secret-for-cli');
    writeFileSync(secretFile, SECRET + '\n');
    const cliDir = join(dir, 'cli');
    await run(['mkdir', '-p', cliDir]);
    const args = [
      process.execPath, resolve(import.meta.dir, '../../src/engine.ts'),
      '--config-url', fake.url, '--engine-secret-file', secretFile, '--data-dir', cliDir,
      '--api-host', '127.0.0.1', '--api-port', '0',
    ];
    // Back to OS-assigned ports: the in-process engine holds the fixed HTTP port (it follows
    // on its next poll).
    revision++;
    httpPort = 0;
    fake.snapshot = makeSnapshot({ apps: APPS, revision });
    for (const phase of ['server', 'cache'] as const) {
      if (phase === 'cache') fake.stop();
      const proc = Bun.spawn(args, { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore' });
      try {
        const log = logReader(proc);
        const apiPort = await log.waitFor(/engine API listening .*?port=(\d+)/);
        const base = `http://127.0.0.1:${apiPort}`;
        let ready = false;
        const deadline = Date.now() + 8000;
        while (!ready && Date.now() < deadline) {
          ready = ((await (await fetch(`${base}/healthz`)).json()) as { ready: boolean }).ready;
          if (!ready) await Bun.sleep(100);
        }
        expect(ready).toBe(true);
        const status = (await (await fetch(`${base}/v1/status`, { headers: auth })).json()) as EngineStatus;
        expect(status.configRevision).toBe(revision);
        expect((await fetch(`${base}/v1/status`)).status).toBe(401);
        if (phase === 'cache') await log.waitFor(/(serving the cached configuration)/);
        // it serves media on the snapshot's listen addresses
        const httpListen = await log.waitFor(/HTTP listening host=\S+ port=(\d+)/);
        expect(Number(httpListen)).toBeGreaterThan(0);
      } finally {
        proc.kill('SIGKILL');
        await proc.exited;
      }
    }
    fake.restart();
  }, 40_000);
});

