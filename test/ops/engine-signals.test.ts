// The weir-engine process on signals, run as a subprocess (src/engine.ts) under a fake config
// server with OS-assigned ports: SIGHUP fetches the configuration again; SIGTERM with ffmpeg
// publishing, an ffmpeg RTMP player and an LL-HLS player holding a blocking playlist request
// drains: the player gets its end and exits, the playlist ends with EXT-X-ENDLIST, and the
// process exits 0 within the drain bound.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeSnapshot, startFakeConfigServer, type FakeConfigServer } from '../engine/fake-config-server.ts';
import { killAll, logReader, publishPattern, spawnBackground, tempDir } from '../e2e/harness.ts';
import { joinHls, withQuery } from '../e2e/hls-session.ts';

const SECRET = 'ops-signals-secret';
const DRAIN_MS = 4000;
let fake: FakeConfigServer;
let dir: { path: string; remove(): void };

beforeAll(() => {
  dir = tempDir();
  fake = startFakeConfigServer({ secret: SECRET, snapshot: makeSnapshot({ revision: 1, hls: { targetDurationMs: 1000, partTargetMs: 250, windowSegments: 6, alwaysRemux: false, muxerCloseAfterMs: 60_000 } }) });
});

afterAll(async () => {
  await killAll();
  fake?.stop();
  dir?.remove();
});


function startEngineProcess() {
  const secretFile = join(dir.path, 'engine-secret');
  writeFileSync(secretFile, SECRET + '\n');
  const proc = Bun.spawn(
    [process.execPath, resolve(import.meta.dir, '../../src/engine.ts'), '--config-url', fake.url, '--engine-secret-file', secretFile, '--api-host', '127.0.0.1', '--api-port', '0'],
    { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore', env: { ...process.env, WEIR_DRAIN_TIMEOUT_MS: String(DRAIN_MS) } },
  );
  return { proc, log: logReader(proc) };
}

describe('weir-engine signals', () => {
  test('SIGHUP fetches the configuration again and applies it', async () => {
    const { proc, log } = startEngineProcess();
    try {
      await log.waitFor(/RTMP listening host=\S+ port=(\d+)/);
      const before = fake.counts.config;
      fake.snapshot = { ...fake.snapshot, revision: 2 };
      proc.kill('SIGHUP');
      await log.waitFor(/SIGHUP: fetching the configuration again/);
      await log.waitFor(/configuration applied revision=2/);
      expect(fake.counts.config).toBeGreaterThan(before);
      expect(proc.exitCode).toBeNull(); // SIGHUP does not end it
    } finally {
      proc.kill('SIGKILL');
      await proc.exited;
    }
  }, 30_000);

  test('SIGTERM drains: the RTMP player gets its end, HLS gets ENDLIST, the process exits 0 in time', async () => {
    const { proc, log } = startEngineProcess();
    try {
      const rtmpPort = await log.waitFor(/RTMP listening host=\S+ port=(\d+)/);
      const httpPort = await log.waitFor(/HTTP listening host=\S+ port=(\d+)/);
      await publishPattern(`rtmp://127.0.0.1:${rtmpPort}/live/cam`, { seconds: 60, bFrames: 0 });
      await log.waitFor(/publish started/);
      const player = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-i', `rtmp://127.0.0.1:${rtmpPort}/live/cam`, '-c', 'copy', '-f', 'null', '-']);
      await log.waitFor(/play started conn=\S+ peer=\S+ stream=live\/cam/);
      // an LL-HLS player: wait until segments exist, then hold a blocking reload for the next one
      const llUrl = await joinHls(`http://127.0.0.1:${httpPort}/live/cam/ll.m3u8`);
      const first = await (await fetch(llUrl)).text();
      expect(first).toContain('#EXTM3U');
      expect(first).not.toContain('#EXT-X-ENDLIST');
      const msns = [...first.matchAll(/ll-[a-z0-9]+-(\d+)(?:\.\d+)?\.m4s/g)].map((m) => Number(m[1]));
      const next = Math.max(...msns) + 1;
      const blocked = fetch(withQuery(llUrl, `_HLS_msn=${next}`)).then(async (r) => ({ status: r.status, text: await r.text() }));
      const flv = await fetch(`http://127.0.0.1:${httpPort}/live/cam.flv`);
      const flvDone = new Response(flv.body).arrayBuffer();
      await Bun.sleep(300);

      const startedMs = performance.now();
      proc.kill('SIGTERM');
      const exitCode = await Promise.race([proc.exited, Bun.sleep(DRAIN_MS + 15_000).then(() => 'timeout' as const)]);
      const elapsedMs = performance.now() - startedMs;
      expect(exitCode).toBe(0);
      // "in time" is the "drained" line below (a drain that reaches its deadline logs "drain timed
      // out"); this bound only keeps a hung exit from passing, with room for a loaded machine
      expect(elapsedMs).toBeLessThan(DRAIN_MS + 10_000);

      // the RTMP player was told the stream ended and exited on its own (its publish had ~55 s left)
      const playerExit = await Promise.race([player.proc.exited, Bun.sleep(15_000).then(() => 'still running' as const)]);
      expect(playerExit).toBe(0);
      // the blocked LL-HLS reload was answered with the final playlist
      const final = await blocked;
      expect(final.status).toBe(200);
      expect(final.text).toContain('#EXT-X-ENDLIST');
      // the HTTP-FLV response ended (not cut): its body completes
      expect((await flvDone).byteLength).toBeGreaterThan(1000);
      await log.ended;
      expect(log.text).toMatch(/HLS stream finished stream=live\/cam variant=hls .*endlist=true/);
      expect(log.text).toMatch(/HLS stream finished stream=live\/cam variant=ll-hls .*endlist=true/);
      expect(log.text).toMatch(/INFO  drained streams=1/);
      await player.stop();
    } finally {
      proc.kill('SIGKILL');
      await proc.exited;
    }
  }, 40_000);
});
