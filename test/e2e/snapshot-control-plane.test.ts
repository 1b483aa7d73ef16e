// Snapshots set through the REST API of a real control plane reach a real engine (both subprocesses):
// PATCH /api/v1/apps/live {snapshot} -> the engine decodes ffmpeg's publish with ffmpeg; the JPEG comes
// back through GET /api/v1/streams/live/{stream}/snapshot and the engine's own snapshot.jpg, and
// GET /api/v1/engine names the decoder.
import { expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, spawnBackground, testPatternArgs } from './harness.ts';
import { useWeir } from './weir-processes.ts';

const running = useWeir();

test('REST turns snapshots on; the JPEG of the live stream comes back through the REST API at its size', async () => {
  const patched = await running.weir.api('PATCH', '/apps/live', { snapshot: { enabled: true, intervalSec: 1 } });
  expect(patched.status).toBe(200);
  expect(patched.json.snapshot).toEqual({ enabled: true, intervalSec: 1, keep: 1 });
  expect(await running.weir.engineCurrent()).toBe(true);
  const engine = await running.weir.api('GET', '/engine');
  expect(engine.json.engine.snapshotDecoder).toEndWith('/ffmpeg');
  const pub = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 40, bFrames: 0, size: '480x270' }), '-f', 'flv', `rtmp://127.0.0.1:${running.weir.ports.rtmp}/live/wall`]);
  try {
    let res = await running.weir.raw('/streams/live/wall/snapshot');
    for (let i = 0; i < 150 && res.status !== 200; i++) {
      await res.arrayBuffer();
      await Bun.sleep(200);
      res = await running.weir.raw('/streams/live/wall/snapshot');
    }
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const file = join(running.dir, 'wall.jpg');
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
    expect((await probe(file)).streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 480, height: 270 });
    const direct = await fetch(running.weir.httpUrl('live/wall/snapshot.jpg'));
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-type')).toBe('image/jpeg');
  } finally {
    await pub.stop();
  }
}, 90_000);
