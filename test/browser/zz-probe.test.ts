// TEMPORARY experiment, not committed
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { killAll, publishPattern, startTestEngine, waitFor, type TestEngine } from '../e2e/harness.ts';
import { launchBrowser, openPlayerPage, type Browser } from './browser.ts';

let engine: TestEngine;
let browser: Browser;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const path = 'live/probe';
const PART = Number(process.env.PART_MS ?? 334);
const GOP = Number(process.env.GOP ?? 25);
const CFG = JSON.parse(process.env.HLSCFG ?? '{}');

beforeAll(async () => {
  engine = startTestEngine({ hls: { partTargetMs: PART } });
  publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 120, bFrames: 0, gop: GOP });
  browser = await launchBrowser();
  expect(await waitFor(() => (engine.context.hls.find(path)?.ll?.segments.length ?? 0) >= Number(process.env.MINSEG ?? 2), 40_000)).toBe(true);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await publisher?.stop();
  await killAll();
  engine.stop();
});

test('probe', async () => {
  const player = await openPlayerPage(browser, { kind: 'hls', url: engine.httpUrl(`${path}/ll.m3u8`), lowLatency: true, config: CFG });
  await player.waitForProgress(2, 30_000);
  const early = player.logs();
  const lat: number[] = [];
  for (let i = 0; i < 30; i++) {
    const l = await player.latency();
    if (l !== null) lat.push(Math.round(l * 1000) / 1000);
    await Bun.sleep(500);
  }
  const pl = await (await fetch(engine.httpUrl(`${path}/ll.m3u8?weir_sid=abcdefabcdefabcdef`))).text();
  console.log(`PART=${PART} GOP=${GOP} CFG=${JSON.stringify(CFG)} min=${Math.min(...lat)} lat=${lat.join(' ')}`);
  console.log(pl.split('\n').filter((l) => /PART-INF|SERVER-CONTROL/.test(l)).join('\n'));
  console.log((await player.errors()).join('\n'));
  if (process.env.LOGS) console.log(early.filter((l) => new RegExp(process.env.LOGS!, 'i').test(l)).slice(0, 80).join('\n'));
  await player.close();
}, 90_000);
