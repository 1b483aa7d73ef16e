// applyConfig on a running engine: the RTMP listener moves while a publish on the old socket
// goes on; per-app HLS switches and durations reach streams that start afterwards.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { acceptsConnections, killAll, publishPattern, startTestEngine, waitFor, type TestEngine, freePort } from '../e2e/harness.ts';

let engine: TestEngine;

beforeAll(() => {
  engine = startTestEngine({ hls: { alwaysRemux: true } });
});

afterAll(async () => {
  await killAll();
  engine.stop();
});

test('the RTMP listener moves; a publish accepted on the old socket goes on', async () => {
  const oldPort = engine.rtmp.port;
  const publisher = await publishPattern(`rtmp://127.0.0.1:${oldPort}/live/stays`, { seconds: 20, bFrames: 0 });
  expect(await waitFor(() => engine.context.streams.find('live', 'stays')?.started === true, 8000)).toBe(true);
  const stream = engine.context.streams.find('live', 'stays')!;
  const newPort = freePort();
  const config = engine.context.config();
  const report = engine.applyConfig({ ...config, rtmp: { ...config.rtmp, port: newPort } });
  expect(report).toMatchObject({ rtmpMoved: true, httpMoved: false, removedApps: [], errors: [] });
  expect(engine.rtmp.port).toBe(newPort);
  expect(await acceptsConnections(oldPort)).toBe(false);
  expect(await acceptsConnections(newPort)).toBe(true);
  const before = stream.counters.bytesIn;
  await Bun.sleep(1500);
  expect(stream.counters.bytesIn).toBeGreaterThan(before + 20_000);
  expect(publisher.proc.exitCode).toBeNull();
  expect(engine.context.clients.list().some((c) => c.role === 'publisher' && c.stream === 'stays')).toBe(true);
  // applying the same configuration again changes nothing
  expect(engine.applyConfig(engine.context.config())).toMatchObject({ rtmpMoved: false, httpMoved: false });
  await publisher.stop();
}, 30_000);

test('an address that cannot be bound leaves the listener where it was', () => {
  const blocker = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  try {
    const config = engine.context.config();
    const port = engine.http.port;
    const report = engine.applyConfig({ ...config, http: { ...config.http, port: blocker.port } });
    expect(report.httpMoved).toBe(false);
    expect(report.errors.length).toBe(1);
    expect(engine.http.port).toBe(port);
  } finally {
    blocker.stop(true);
  }
});

test("per-app HLS switches and HLS durations apply to the app's new streams", async () => {
  const config = engine.context.config();
  engine.applyConfig({
    ...config,
    hls: { ...config.hls, targetDurationMs: 1000, partTargetMs: 250 },
    apps: [{ name: 'live', hls: false, llHls: true }, { name: 'tv' }],
  });
  const rtmp = `rtmp://127.0.0.1:${engine.rtmp.port}`;
  const a = await publishPattern(`${rtmp}/live/nohls`, { seconds: 10, bFrames: 0 });
  const b = await publishPattern(`${rtmp}/tv/withhls`, { seconds: 10, bFrames: 0 });
  expect(await waitFor(() => engine.context.streams.find('live', 'nohls')?.started === true, 8000)).toBe(true);
  expect(await waitFor(() => engine.context.streams.find('tv', 'withhls')?.started === true, 8000)).toBe(true);
  const live = engine.context.hls.find('live/nohls')!;
  expect(live.ts).toBeNull();
  expect(live.ll).not.toBeNull();
  expect(live.ll!.options.partTargetSec).toBe(0.25);
  const tv = engine.context.hls.find('tv/withhls')!;
  expect(tv.ts!.options.targetDurationSec).toBe(1);
  const res = await fetch(`http://127.0.0.1:${engine.http.port}/live/nohls/index.m3u8`);
  expect(res.status).toBe(404);
  expect(await res.text()).toContain('not enabled');
  await a.stop();
  await b.stop();
}, 30_000);
