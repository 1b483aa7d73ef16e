// WHEP playback in real headless Chromium: ffmpeg publishes H.264 (+AAC) over RTMP, the browser POSTs its offer to
// /{app}/{stream}/whep, completes ICE-lite, DTLS and SRTP against the engine's one UDP port, and decodes video:
// requestVideoFrameCallback keeps firing. The engine lists the viewer as a webrtc client while it plays and
// forgets it after DELETE.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { killAll, publishPattern, publishPatternUntilVideo, spawnBackground, startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { inboundPackets, openWhepPage, startWhep, stopWhep, whepState, type WhepPageState } from './whep-page.ts';
import { useBrowser } from '../browser/browser.ts';
import type { Page } from 'playwright-core';
import { OpusTranscoders } from '../../src/server/webrtc/opus-transcoder.ts';
import type { WhepViewer } from '../../src/server/webrtc/webrtc-viewer.ts';

const chromium = useBrowser({ webrtc: true });
let engine: TestEngine;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const path = 'live/whep';

// Set-up alike in shape to whep-signalling.test.ts's (engine, publisher, wait for video): this one also serves RTSP and publishes longer.
beforeAll(async () => {
  engine = startTestEngine({ webrtc: {}, rtsp: {} });
  await engine.ready;
  publisher = await publishPatternUntilVideo(engine, path, { seconds: 120, bFrames: 0, gop: 25 });
}, 60_000);

afterAll(async () => {
  await publisher?.stop();
  await killAll();
  engine?.stop();
});

/** Waits (bounded) until the page has decoded `frames` video frames; the state then, or a diagnostic error. */
async function waitForFrames(page: Page, frames: number): Promise<WhepPageState> {
  let state = await whepState(page);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && state.frames < frames) {
    await Bun.sleep(250);
    state = await whepState(page);
  }
  if (state.frames < frames) throw new Error(`only ${state.frames} frames decoded: ${JSON.stringify({ ...state, answer: undefined })}\n${engine.logs.slice(-30).join('\n')}`);
  return state;
}

const webrtcViewers = () => engine.context.clients.list().filter((c) => c.protocol === 'webrtc' && c.role === 'viewer');

describe('WHEP in Chromium', () => {
  test('decodes H.264 video frames from an RTMP publish; AAC audio arrives transcoded to Opus (ffmpeg present)', async () => {
    const { page, close } = await openWhepPage(chromium.browser);
    try {
      await startWhep(page, engine.httpUrl(`${path}/whep`));
      let state = await whepState(page);
      expect(state.errors).toEqual([]);
      expect(state.status).toBe(201);
      expect(state.location).toMatch(/^\/live\/whep\/whep\/[0-9a-f]{32}$/);
      expect(state.audioNote).toBeNull();
      expect(state.answer).toMatch(/a=rtpmap:\d+ opus\/48000\/2/);
      state = await waitForFrames(page, 30);
      expect(state.state).toBe('connected');
      expect([...state.tracks].sort()).toEqual(['audio', 'video']);
      // one transcoder for the stream, started for this viewer; Opus packets reach the browser and decrypt
      let packets = await inboundPackets(page);
      for (let i = 0; i < 60 && packets.audio < 50; i++) {
        await Bun.sleep(250);
        packets = await inboundPackets(page);
      }
      expect(packets.audio).toBeGreaterThanOrEqual(50);
      const transcoders = (engine.webrtc!.transcoders as unknown as { byStream: Map<unknown, { framesOut: number }> }).byStream;
      expect(transcoders.size).toBe(1);
      expect(webrtcViewers()).toHaveLength(1);
      // the browser's SRTCP receiver reports decrypt and parse; with our sender reports they give the RTT
      const session = engine.webrtc!.sessions.byResourceId(state.location!.split('/').pop()!) as unknown as { stats: { reportsReceived: number; rttMs: number } } | undefined;
      if (!session) throw new Error('the session behind the Location is not in the table');
      expect(await waitFor(() => session.stats.reportsReceived > 0, 10_000)).toBe(true);
      expect(Number.isFinite(session.stats.rttMs)).toBe(true);
      const stopped = await stopWhep(page, engine.httpUrl(''));
      expect(stopped).toBe(200);
      expect(await waitFor(() => webrtcViewers().length === 0, 5000)).toBe(true);
      // stopped after its last viewer
      expect(transcoders.size).toBe(0);
    } finally {
      await close();
    }
  }, 90_000);

  test('without ffmpeg an AAC stream plays video-only, and the answer says why', async () => {
    const listener = engine.webrtc!;
    const previous = listener.transcoders;
    listener.transcoders = new OpusTranscoders(null, engine.context.logger);
    const { page, close } = await openWhepPage(chromium.browser);
    try {
      await startWhep(page, engine.httpUrl(`${path}/whep`));
      const state = await waitForFrames(page, 10);
      expect(state.audioNote).toBe('aac audio is not sent over WebRTC (Opus only, and no ffmpeg to transcode it): video only');
      expect(state.answer).toContain('a=inactive');
      expect(state.tracks).toContain('video');
    } finally {
      await close();
      listener.transcoders = previous;
    }
  }, 90_000);

  test('a viewer whose page goes without DELETE does not take the publisher down (sends to its closed port fail quietly)', async () => {
    const { page, close } = await openWhepPage(chromium.browser);
    await startWhep(page, engine.httpUrl(`${path}/whep`));
    await waitForFrames(page, 10);
    const before = engine.logs.length;
    await close(); // no DELETE: the engine keeps sending until the ICE timeout, and the kernel answers port unreachable
    await Bun.sleep(2000);
    expect(engine.logs.slice(before).filter((l) => l.includes('internal error'))).toEqual([]);
    expect(engine.context.streams.list().find((s) => s.path === path)?.publisher).not.toBeNull();
    // and the next viewer plays
    const next = await openWhepPage(chromium.browser);
    try {
      await startWhep(next.page, engine.httpUrl(`${path}/whep`));
      await waitForFrames(next.page, 10);
      await stopWhep(next.page, engine.httpUrl(''));
    } finally {
      await next.close();
      // the vanished viewer would wait for its ICE timeout: gone now, so later tests see only their own viewer
      engine.webrtc!.sessions.closeAll('test cleanup');
    }
  }, 90_000);

  test('H.264 + Opus published over RTSP: Chromium receives both, audio passed through', async () => {
    const opusPath = 'live/whep-opus';
    const rtspPublisher = spawnBackground([
      'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '60', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-ar', '48000',
      '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${engine.rtspPort!}/${opusPath}`,
    ]);
    const { page, close } = await openWhepPage(chromium.browser);
    try {
      expect(await waitFor(() => engine.context.streams.list().some((s) => s.path === opusPath && s.videoHeader !== null && s.audioHeader !== null), 20_000)).toBe(true);
      await startWhep(page, engine.httpUrl(`${opusPath}/whep`));
      const state = await waitForFrames(page, 30);
      expect(state.audioNote).toBeNull();
      expect([...state.tracks].sort()).toEqual(['audio', 'video']);
      expect(state.answer).toMatch(/a=rtpmap:\d+ opus\/48000\/2/);
      let packets = await inboundPackets(page);
      for (let i = 0; i < 40 && packets.audio < 50; i++) {
        await Bun.sleep(250);
        packets = await inboundPackets(page);
      }
      expect(packets.audio).toBeGreaterThanOrEqual(50);
      expect(packets.video).toBeGreaterThan(0);
    } finally {
      await close();
      await rtspPublisher.stop();
    }
  }, 90_000);

  test('lost packets are retransmitted on NACK from the per-viewer history, and playback goes on', async () => {
    // loss on the way out: every 40th RTP packet (not RTCP, not DTLS/STUN) of the first send is dropped
    const listener = engine.webrtc! as unknown as { socket: { send(bytes: Uint8Array, port: number, address: string): boolean } };
    const socket = listener.socket;
    const send = socket.send.bind(socket);
    let rtp = 0;
    let dropped = 0;
    socket.send = (bytes, port, address) => {
      const isRtp = bytes[0]! >> 6 === 2 && !(bytes[1]! >= 192 && bytes[1]! <= 223);
      if (isRtp && ++rtp % 40 === 0) {
        dropped++;
        return true;
      }
      return send(bytes, port, address);
    };
    const { page, close } = await openWhepPage(chromium.browser);
    try {
      await startWhep(page, engine.httpUrl(`${path}/whep`));
      await waitForFrames(page, 30);
      const viewer = () => engine.context.clients.list().find((c) => c.protocol === 'webrtc');
      expect(await waitFor(() => (viewer()?.link?.packetsRetransmitted ?? 0) >= 3, 20_000)).toBe(true);
      const stats = await inboundPackets(page);
      expect(stats.nackCount).toBeGreaterThan(0);
      expect(dropped).toBeGreaterThanOrEqual(3);
      // a retransmission is a second send of the same packet: it can be dropped again (every 40th), rarely
      const frames = (await whepState(page)).frames;
      await waitForFrames(page, frames + 25);
    } finally {
      socket.send = send;
      await close();
    }
  }, 90_000);

  test('the slow-viewer policy leaves a browser on loopback alone: its REMB is read and it keeps full video', async () => {
    // Chromium's REMB starts under what it receives and climbs: a viewer judged on it too early would be degraded
    const { page, close } = await openWhepPage(chromium.browser);
    try {
      await startWhep(page, engine.httpUrl(`${path}/whep`));
      let state = await waitForFrames(page, 25);
      const session = engine.webrtc!.sessions.byResourceId(state.location!.split('/').pop()!) as WhepViewer;
      const rembs: number[] = [];
      const startFrames = state.frames;
      // 15 s: past the REMB warm-up (its first comes seconds in), the measuring window and the degrade hold
      for (let i = 0; i < 60; i++) {
        await Bun.sleep(250);
        rembs.push(session.stats.rembBps);
        expect(session.degraded).toBe(false);
      }
      state = await whepState(page);
      const read = rembs.filter((r) => r > 0);
      expect(read.length).toBeGreaterThan(0);
      expect(read[read.length - 1]!).toBeGreaterThanOrEqual(read[0]!);
      expect(session.stats.degradations).toBe(0);
      expect(session.stats.framesSkipped).toBe(0);
      // 15 s at 25 fps, decoded
      expect(state.frames - startFrames).toBeGreaterThan(250);
    } finally {
      await close();
    }
  }, 90_000);
});
