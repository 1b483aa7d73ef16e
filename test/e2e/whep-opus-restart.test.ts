// The AAC-to-Opus ffmpeg dying under a WHEP viewer: it is started again (with a backoff) and the viewer's Opus
// track resumes, over the real UDP path (whep-synthetic-client.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { killAll, publishPattern, startTestEngine, tempDir, waitFor, type TestEngine } from './harness.ts';
import { connectSyntheticWhep, makeClientCertificate, type SyntheticWhepViewer } from './whep-synthetic-client.ts';

let engine: TestEngine;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
let viewer: SyntheticWhepViewer | undefined;
const dir = tempDir();
const path = 'live/opusrestart';

beforeAll(async () => {
  engine = startTestEngine({ webrtc: { iceTimeoutMs: 10_000 } });
  await engine.ready;
  publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 90, bFrames: 0 });
  expect(await waitFor(() => engine.context.streams.list().some((s) => s.path === path && s.videoHeader !== null && s.audioHeader !== null), 20_000)).toBe(true);
}, 40_000);

afterAll(async () => {
  viewer?.close();
  await publisher?.stop();
  await killAll();
  engine?.stop();
  dir.remove();
});

/** The AAC-to-Opus ffmpeg processes this test process started (its children whose command line asks for libopus). */
function opusChildren(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('libopus')) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('AAC to Opus for WHEP', () => {
  test('an ffmpeg killed mid-stream is started again and the Opus track resumes', async () => {
    const v = await connectSyntheticWhep(engine.httpUrl(`${path}/whep`), await makeClientCertificate(dir.path), null);
    viewer = v;
    expect(v.hasAudioTrack).toBe(true);
    expect(await waitFor(() => v.audio.length > 50, 15_000)).toBe(true);
    const stream = engine.context.streams.list().find((s) => s.path === path)!;
    const transcoder = engine.webrtc!.transcoders!.find(stream)!;
    const pids = opusChildren();
    expect(pids).toHaveLength(1);
    expect(transcoder.pid).toBe(pids[0]!);

    // the ffmpeg the engine started for this test, ended by its PID
    process.kill(pids[0]!, 'SIGKILL');
    const killedAt = Date.now();
    // Opus flows again: a second's worth of 20 ms packets from the new ffmpeg
    const resumedFrom = killedAt + 500;
    expect(await waitFor(() => v.audio.filter((t) => t >= resumedFrom).length > 50, 15_000)).toBe(true);
    expect(transcoder.restarts).toBe(1);
    expect(transcoder.pid).not.toBe(pids[0]!);
    expect(opusChildren()).toEqual([transcoder.pid!]);
    expect(engine.logs.some((l) => l.includes('AAC to Opus transcoder exited; restarting'))).toBe(true);
    // video was never interrupted
    expect(v.video.filter((f) => f.atMs >= killedAt).length).toBeGreaterThan(25);
  }, 60_000);
});
