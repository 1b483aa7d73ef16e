// A slow WHEP viewer over the real UDP path (whep-synthetic-client.ts: DTLS by openssl, SRTP and RTCP by us): one
// that reports a REMB under the stream's rate is sent audio and keyframes only, while another viewer of the same
// stream still gets every frame; when its REMB rises it gets full video again. Counted in its stats and the metric.
// One whose REMB is under even audio and keyframes is closed.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { WhepViewer } from '../../src/server/webrtc/webrtc-viewer.ts';
import { killAll, publishPattern, startTestEngine, tempDir, waitFor, type TestEngine } from './harness.ts';
import { connectSyntheticWhep, makeClientCertificate, type ReceivedFrame, type SyntheticWhepViewer } from './whep-synthetic-client.ts';

let engine: TestEngine;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const dir = tempDir();
const path = 'live/slowrtc';
const viewers: SyntheticWhepViewer[] = [];

beforeAll(async () => {
  engine = startTestEngine({ webrtc: { iceTimeoutMs: 10_000 } });
  await engine.ready;
  // a keyframe every 2 s: audio and keyframes are well under the stream's ~500 kbit/s
  publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 120, bFrames: 0, gop: 50 });
  expect(await waitFor(() => engine.context.streams.list().some((s) => s.path === path && s.videoHeader !== null && s.audioHeader !== null), 20_000)).toBe(true);
}, 40_000);

afterAll(async () => {
  for (const v of viewers) v.close();
  await publisher?.stop();
  await killAll();
  engine?.stop();
  dir.remove();
});

const framesSince = (v: SyntheticWhepViewer, ms: number): ReceivedFrame[] => v.video.filter((f) => f.atMs >= ms);
const serverSide = (v: SyntheticWhepViewer) => engine.webrtc!.sessions.byResourceId(v.id) as WhepViewer | undefined;

describe('a slow WHEP viewer', () => {
  test('low REMB: audio and keyframes only for it, every frame for the other viewer; full video again when REMB rises', async () => {
    const cert = await makeClientCertificate(dir.path);
    const whep = engine.httpUrl(`${path}/whep`);
    const fast = await connectSyntheticWhep(whep, cert, 20_000_000);
    viewers.push(fast);
    const slow = await connectSyntheticWhep(whep, cert, 200_000);
    viewers.push(slow);
    expect(await waitFor(() => fast.video.length > 10 && slow.video.length > 0, 15_000)).toBe(true);

    // degraded within the policy's measuring window and hold
    expect(await waitFor(() => serverSide(slow)?.degraded === true, 20_000)).toBe(true);
    const degradedAt = Date.now();
    expect(await waitFor(() => Date.now() - degradedAt > 6000, 7000)).toBe(true);
    // frames already in flight when it was degraded may arrive just after: judge from half a second on
    const from = degradedAt + 500;
    const slowFrames = framesSince(slow, from);
    const fastFrames = framesSince(fast, from);
    expect(slowFrames.length).toBeGreaterThanOrEqual(2);
    expect(slowFrames.every((f) => f.keyframe)).toBe(true);
    if (slow.hasAudioTrack) expect(slow.audio.filter((t) => t >= from).length).toBeGreaterThan(100);
    // the other viewer: 25 fps, every frame sent; received all but what a loaded machine's loopback may lose (no NACK here)
    expect(fastFrames.length).toBeGreaterThan(100);
    expect(fastFrames.some((f) => !f.keyframe)).toBe(true);
    const span = (fastFrames[fastFrames.length - 1]!.rtpTime - fastFrames[0]!.rtpTime) >>> 0;
    expect(span % 3600).toBe(0); // RTP time steps of 90000/25
    expect(fastFrames.length).toBeGreaterThanOrEqual(Math.floor((span / 3600 + 1) * 0.98));
    expect(serverSide(fast)?.degraded).toBe(false);
    expect(serverSide(fast)?.stats.framesSkipped).toBe(0);
    expect(serverSide(slow)?.stats.degradations).toBe(1);
    expect(serverSide(slow)?.stats.framesSkipped).toBeGreaterThan(50);
    expect(engine.context.counters.webrtc?.degradations).toBe(1);

    slow.remb = 20_000_000;
    const raisedAt = Date.now();
    expect(await waitFor(() => framesSince(slow, raisedAt).filter((f) => !f.keyframe).length > 25, 20_000)).toBe(true);
    expect(serverSide(slow)?.degraded).toBe(false);
    // full video resumes at a keyframe: the first frame after the switch is one
    const resumed = framesSince(slow, raisedAt);
    const firstInter = resumed.findIndex((f) => !f.keyframe);
    expect(firstInter).toBeGreaterThan(0);
    expect(resumed[firstInter - 1]!.keyframe).toBe(true);
    expect(engine.logs.some((l) => l.includes('WebRTC viewer back to full video'))).toBe(true);
  }, 90_000);

  test('a link that cannot carry even audio and keyframes is closed with a reason, counted as a slow disconnect', async () => {
    const cert = await makeClientCertificate(dir.path);
    const starved = await connectSyntheticWhep(engine.httpUrl(`${path}/whep`), cert, 30_000);
    viewers.push(starved);
    expect(await waitFor(() => serverSide(starved)?.degraded === true, 20_000)).toBe(true);
    expect(await waitFor(() => serverSide(starved) === undefined, 30_000)).toBe(true);
    const closed = engine.logs.find((l) => l.includes('WebRTC viewer closed') && l.includes('slow link'));
    expect(closed).toContain('cannot carry even audio and keyframes');
    expect(closed).toContain('REMB 30 kbit/s');
    expect(engine.context.counters.webrtc?.slowDisconnects).toBe(1);
    expect(engine.context.clients.list().filter((c) => c.protocol === 'webrtc')).toHaveLength(2);
  }, 60_000);
});
