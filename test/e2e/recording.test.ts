// End-to-end recording (issue 13, items 1-2): an engine SUBPROCESS under the fake config server,
// real ffmpeg publishing. Segments appear under {path}/{app}/{stream}/ and every file decodes;
// kill -9 mid-recording leaves only whole files that decode, and the index the restarted engine
// rebuilds from the names matches the files; a tiny quota deletes oldest first; a free-space
// floor above the real free space pauses recording (log line, metric, status) while HTTP-FLV
// playback goes on. Ports from freePort(), loopback only, processes ended by PID.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rebuildIndex } from '../../src/record/recording-index.ts';
import { parseSegmentName } from '../../src/record/segment-name.ts';
import type { RecordingSettings } from '../../src/shared/config-protocol.ts';
import { appSettings, makeSnapshot, startFakeConfigServer, type FakeConfigServer } from '../engine/fake-config-server.ts';
import { freePort, killAll, run, spawnBackground, startProcess, tempDir, testPatternArgs, waitFor, waitForListening, type Proc } from './harness.ts';

const SECRET = 'e2e-recording-secret-0123456789';
let dir: { path: string; remove(): void };
let fake: FakeConfigServer;
const engines: Proc[] = [];

function recording(overrides: Partial<RecordingSettings>): RecordingSettings {
  return { enabled: true, format: 'fmp4', segmentDurationSec: 1, path: join(dir.path, 'store'), retentionDays: 0, quotaMb: 0, ...overrides };
}

type EngineProc = Proc & { rtmp: number; http: number; api: number };

async function startEngine(extra: string[] = []): Promise<EngineProc> {
  const [rtmp, http, api] = [freePort(), freePort(), freePort()];
  const proc = startProcess(
    ['src/engine.ts', '--config-url', fake.url, '--rtmp-host', '127.0.0.1', '--rtmp-port', String(rtmp), '--http-host', '127.0.0.1', '--http-port', String(http), '--api-port', String(api), '--record-check-ms', '200', ...extra],
    { WEIR_ENGINE_SECRET: SECRET },
  );
  engines.push(proc);
  expect(await waitForListening(rtmp, 20_000)).toBe(true);
  expect(await waitForListening(api, 20_000)).toBe(true);
  return { ...proc, rtmp, http, api };
}

function publish(engine: EngineProc, path: string, seconds: number, videoArgs: string[] = []) {
  return spawnBackground(['ffmpeg', ...testPatternArgs({ seconds, bFrames: 2, gop: 25 }), ...videoArgs, '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmp}/${path}`]);
}

function segmentFiles(app: string, stream: string): string[] {
  try {
    return readdirSync(join(dir.path, 'store', app, stream)).filter((n) => parseSegmentName(n) !== null).sort();
  } catch {
    return [];
  }
}

async function api<T>(engine: EngineProc, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${engine.api}${path}`, { headers: { Authorization: `Bearer ${SECRET}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function metrics(engine: EngineProc): Promise<string> {
  return (await fetch(`http://127.0.0.1:${engine.api}/metrics`)).text();
}

/** Every frame of the file decodes; returns its duration in ms as ffprobe reads it. */
async function decodesAlone(file: string): Promise<number> {
  const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
  expect({ file, exitCode: decoded.exitCode, stderr: decoded.stderr }).toEqual({ file, exitCode: 0, stderr: '' });
  const probed = await run(['ffprobe', '-v', 'error', '-of', 'json', '-show_format', '-show_streams', file]);
  expect(probed.exitCode).toBe(0);
  const json = JSON.parse(probed.stdout) as { format: { duration: string; start_time: string }; streams: Array<{ codec_name: string }> };
  expect(json.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  return Math.round((Number(json.format.duration)) * 1000);
}

beforeAll(() => {
  dir = tempDir();
  fake = startFakeConfigServer({
    secret: SECRET,
    snapshot: makeSnapshot({
      revision: 1,
      apps: [
        appSettings('live'),
        appSettings('rec', { recording: recording({}) }),
        appSettings('rects', { recording: recording({ format: 'ts' }) }),
        appSettings('quota', { recording: recording({ quotaMb: 1 }) }),
        appSettings('long', { recording: recording({ segmentDurationSec: 600 }) }),
        // retention applies while recording is off too
        appSettings('aged', { recording: recording({ enabled: false, retentionDays: 2 }) }),
      ],
    }),
  });
});

afterAll(async () => {
  await killAll();
  for (const e of engines) await e.stop();
  fake?.stop();
  dir?.remove();
});

describe('recording', () => {
  test('fMP4 and MPEG-TS segments appear and decode; kill -9 leaves only whole files; the rebuilt index matches them', async () => {
    const engine = await startEngine();
    const fmp4 = publish(engine, 'rec/cam', 60);
    const ts = publish(engine, 'rects/cam', 60);
    expect(await waitFor(() => segmentFiles('rec', 'cam').length >= 4 && segmentFiles('rects', 'cam').length >= 4, 40_000, 100)).toBe(true);
    engine.proc.kill('SIGKILL'); // mid-segment: one is always open while ffmpeg publishes
    await engine.proc.exited;
    await fmp4.stop();
    await ts.stop();

    for (const app of ['rec', 'rects']) {
      const names = segmentFiles(app, 'cam');
      const parsed = names.map((n) => parseSegmentName(n)!);
      expect(parsed.every((p) => p.format === (app === 'rec' ? 'fmp4' : 'ts'))).toBe(true);
      for (let i = 1; i < parsed.length; i++) {
        // one publish: each file starts where the one before ended (name times are whole ms)
        expect(Math.abs(parsed[i]!.startMs - (parsed[i - 1]!.startMs + parsed[i - 1]!.durationMs))).toBeLessThanOrEqual(2);
      }
      for (const [i, name] of names.entries()) {
        const durationMs = await decodesAlone(join(dir.path, 'store', app, 'cam', name));
        if (app === 'rec') expect(Math.abs(durationMs - parsed[i]!.durationMs)).toBeLessThan(150);
      }
    }

    // The restarted engine rebuilds its index from the names alone and removes the dead process's temporary files.
    const again = await startEngine();
    type Index = { streams: Array<{ stream: string; ranges: Array<{ startMs: number; endMs: number }>; segments: Array<{ fileName: string; startMs: number; durationMs: number; sizeBytes: number }> }> };
    const index = await api<Index>(again, '/v1/recordings/rec');
    const onDisk = rebuildIndex(segmentFiles('rec', 'cam').map((fileName) => ({ stream: 'cam', fileName, sizeBytes: statSync(join(dir.path, 'store', 'rec', 'cam', fileName)).size })));
    expect(index.streams.map((s) => s.stream)).toEqual(['cam']);
    expect(index.streams[0]!.segments).toEqual(onDisk.map(({ fileName, startMs, durationMs, sizeBytes }) => ({ fileName, startMs, durationMs, sizeBytes, format: 'fmp4' })));
    expect(index.streams[0]!.ranges.length).toBe(1);
    expect(index.streams[0]!.ranges[0]!.startMs).toBe(onDisk[0]!.startMs);
    expect(readdirSync(join(dir.path, 'store', 'rec', 'cam')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${again.api}/v1/recordings/rec`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${again.api}/v1/recordings/live`, { headers: { Authorization: `Bearer ${SECRET}` } })).status).toBe(404);
    await again.stop();
  }, 120_000);

  test('segments past the retention are deleted (found by name at start), newer ones and other files stay', async () => {
    const streamDir = join(dir.path, 'store', 'aged', 'cam');
    mkdirSync(streamDir, { recursive: true });
    const now = Date.now();
    const day = 86_400_000;
    const old = [`${now - 5 * day}-6000.mp4`, `${now - 3 * day}-6000.ts`];
    const kept = [`${now - day}-6000.mp4`, `${now - 60_000}-6000.mp4`, 'notes.txt'];
    for (const name of [...old, ...kept]) writeFileSync(join(streamDir, name), 'x');
    const engine = await startEngine();
    expect(await waitFor(() => !existsSync(join(streamDir, old[0]!)) && !existsSync(join(streamDir, old[1]!)), 20_000, 50)).toBe(true);
    expect(readdirSync(streamDir).sort()).toEqual([...kept].sort());
    // the files can be gone before the log line has come through the engine's stdout pipe
    expect(await waitFor(() => engine.logs.some((l) => l.includes('recordings deleted') && l.includes('byAge=2')), 10_000, 50)).toBe(true);
    await engine.stop();
  }, 60_000);

  test('over a tiny quota the oldest segments are deleted first', async () => {
    const engine = await startEngine();
    // noisy video at 4 Mbit/s: a 1 MiB quota is passed within seconds
    const pub = spawnBackground([
      'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25,noise=alls=60:allf=t', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '1M', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmp}/quota/cam`,
    ]);
    let firstSeen: string | undefined;
    expect(await waitFor(() => (firstSeen ??= segmentFiles('quota', 'cam')[0]) !== undefined, 30_000, 50)).toBe(true);
    expect(await waitFor(() => engine.logs.some((l) => l.includes('recordings deleted')), 40_000, 100)).toBe(true);
    await pub.stop();
    expect(await metrics(engine)).toMatch(/^weir_recording_segments_deleted_total [1-9]/m);
    await engine.stop(); // the disk holds still from here on
    const files = segmentFiles('quota', 'cam');
    expect(files).not.toContain(firstSeen);
    const starts = files.map((n) => parseSegmentName(n)!.startMs);
    expect(starts[0]!).toBeGreaterThan(parseSegmentName(firstSeen!)!.startMs);
    const total = files.reduce((sum, n) => sum + statSync(join(dir.path, 'store', 'quota', 'cam', n)).size, 0);
    const largest = Math.max(...files.map((n) => statSync(join(dir.path, 'store', 'quota', 'cam', n)).size));
    // the quota holds after each sweep; at most the segment just written is over it
    expect(total).toBeLessThanOrEqual(1024 * 1024 + largest);
  }, 120_000);

  test('turned on while a stream is live, recording starts at the next keyframe; turned off, it stops', async () => {
    const engine = await startEngine();
    const pub = publish(engine, 'live/mid', 60);
    type Streams = Array<{ app: string; stream: string }>;
    const isLive = async () => (await api<Streams>(engine, '/v1/streams')).some((s) => s.stream === 'mid');
    const deadline = Date.now() + 30_000;
    while (!(await isLive()) && Date.now() < deadline) await Bun.sleep(100);
    const before = fake.snapshot;
    const reload = async () => expect((await fetch(`http://127.0.0.1:${engine.api}/v1/reload`, { method: 'POST', headers: { Authorization: `Bearer ${SECRET}` } })).status).toBe(202);
    fake.snapshot = { ...before, revision: before.revision + 1, apps: before.apps.map((a) => (a.name === 'live' ? { ...a, recording: recording({}) } : a)) };
    await reload();
    expect(await waitFor(() => segmentFiles('live', 'mid').length >= 2, 30_000, 100)).toBe(true);
    for (const name of segmentFiles('live', 'mid')) await decodesAlone(join(dir.path, 'store', 'live', 'mid', name));
    fake.snapshot = { ...before, revision: before.revision + 2 };
    await reload();
    expect(await waitFor(() => engine.logs.some((l) => l.includes('recording stopped')), 10_000, 50)).toBe(true);
    // the segment closed at the switch may still be on its way to the disk: wait for the engine's count
    type Status = { recording: { segmentsWritten: number } };
    const written = async () => (await api<Status>(engine, '/v1/status')).recording.segmentsWritten;
    const settle = Date.now() + 10_000;
    while ((await written()) !== segmentFiles('live', 'mid').length && Date.now() < settle) await Bun.sleep(100);
    const atStop = segmentFiles('live', 'mid').length;
    expect(await written()).toBe(atStop);
    await Bun.sleep(3000); // three segment durations: nothing more may appear
    expect(segmentFiles('live', 'mid').length).toBe(atStop);
    expect(await written()).toBe(atStop);
    await pub.stop();
    fake.snapshot = before;
    await engine.stop();
  }, 90_000);

  test('SIGTERM writes the open segment before the engine exits', async () => {
    const engine = await startEngine();
    const pub = publish(engine, 'long/cam', 60);
    type Streams = Array<{ stream: string; bitrateInBps: number }>;
    const deadline = Date.now() + 30_000;
    while (!(await api<Streams>(engine, '/v1/streams')).some((s) => s.stream === 'cam') && Date.now() < deadline) await Bun.sleep(100);
    await Bun.sleep(3000); // some media in the open (ten-minute) segment
    expect(segmentFiles('long', 'cam')).toEqual([]);
    await engine.stop(); // SIGTERM
    expect(engine.proc.signalCode).toBeNull(); // it exited by itself, not by the SIGKILL fallback
    await pub.stop();
    const files = segmentFiles('long', 'cam');
    expect(files.length).toBe(1);
    expect(parseSegmentName(files[0]!)!.durationMs).toBeGreaterThan(2000);
    await decodesAlone(join(dir.path, 'store', 'long', 'cam', files[0]!));
  }, 90_000);

  test('below the free-space floor recording pauses with a log line, metric and status; HTTP-FLV goes on', async () => {
    // a floor of 1 EiB: above any real free space
    const engine = await startEngine(['--record-min-free-mb', String(2 ** 40)]);
    expect(await waitFor(() => engine.logs.some((l) => l.includes('recording paused')), 20_000, 50)).toBe(true);
    const pub = publish(engine, 'rec/floor', 30);
    const viewer = await run(['ffprobe', '-v', 'error', '-of', 'json', '-show_streams', '-read_intervals', '%+3', '-count_frames', '-select_streams', 'v', `http://127.0.0.1:${engine.http}/rec/floor.flv`], 40_000);
    expect(viewer.exitCode).toBe(0);
    const frames = Number((JSON.parse(viewer.stdout) as { streams: Array<{ nb_read_frames: string }> }).streams[0]!.nb_read_frames);
    expect(frames).toBeGreaterThan(25);
    expect(await metrics(engine)).toMatch(/^weir_recording_paused\{app="rec"\} 1$/m);
    const status = await api<{ recording: { paths: Array<{ path: string; paused: boolean; apps: string[] }> } }>(engine, '/v1/status');
    expect(status.recording.paths.find((p) => p.path === join(dir.path, 'store'))?.paused).toBe(true);
    await pub.stop();
    expect(segmentFiles('rec', 'floor')).toEqual([]);
    expect(engine.logs.filter((l) => l.includes('recording paused')).length).toBe(1);
    await engine.stop();
  }, 90_000);
});
