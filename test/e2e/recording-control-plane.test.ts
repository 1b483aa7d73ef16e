// Recording set through the REST API of a real control plane reaches a real engine (both
// subprocesses, test/e2e/weir-processes.ts): PATCH /api/v1/apps/live {recording} -> snapshot ->
// the engine records ffmpeg's publish into {path}/live/{stream}/ and every file decodes.
import { expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSegmentName } from '../../src/record/segment-name.ts';
import { run, spawnBackground, testPatternArgs, waitFor } from './harness.ts';
import { useWeir } from './weir-processes.ts';

const running = useWeir();

test('REST turns recording on for an app; the engine records its stream in MPEG-TS', async () => {
  const store = join(running.dir, 'recordings');
  const patched = await running.weir.api('PATCH', '/apps/live', { recording: { enabled: true, format: 'ts', segmentDurationSec: 1, path: store } });
  expect(patched.status).toBe(200);
  expect(patched.json.recording).toMatchObject({ enabled: true, format: 'ts', path: store });
  expect(await running.weir.engineCurrent()).toBe(true);
  const pub = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 30, bFrames: 0 }), '-f', 'flv', `rtmp://127.0.0.1:${running.weir.ports.rtmp}/live/cp`]);
  const files = () => {
    try {
      return readdirSync(join(store, 'live', 'cp')).filter((n) => parseSegmentName(n) !== null);
    } catch {
      return [];
    }
  };
  expect(await waitFor(() => files().length >= 2, 30_000, 100)).toBe(true);
  await pub.stop();
  for (const name of files()) {
    expect(name.endsWith('.ts')).toBe(true);
    const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', join(store, 'live', 'cp', name), '-f', 'null', '-']);
    expect(decoded.exitCode).toBe(0);
  }
  // the engine's status, as the control plane reads it, shows the path and that it is not paused
  const engine = await running.weir.api('GET', '/engine');
  expect(engine.status).toBe(200);
  expect(engine.json.engine.recording.paths).toEqual([{ path: store, freeBytes: expect.any(Number), paused: false, apps: ['live'] }]);
  expect(engine.json.engine.recording.segmentsWritten).toBeGreaterThanOrEqual(files().length);
}, 90_000);
