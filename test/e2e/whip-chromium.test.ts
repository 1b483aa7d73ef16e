// WHIP ingest from real headless Chromium: its fake camera and microphone (H.264 + Opus) published to
// /{app}/{stream}/whip with the stream key as bearer token; the engine lists a webrtc publisher, and ffprobe/ffmpeg
// read the stream back over RTMP (video: ffmpeg 5.1 cannot read Enhanced RTMP Opus) and over LL-HLS (fMP4 with Opus,
// video and audio decoded), and a second page plays it over WHEP. Classic HLS is not offered for Opus (no Opus in TS).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { AdmissionRequest } from '../../src/server/admission.ts';
import { killAll, run, startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { openWhepPage, outboundPackets, startWhep, startWhip, stopWhep, whepState } from './whep-page.ts';
import { useBrowser } from '../browser/browser.ts';

const chromium = useBrowser({ webrtc: true });
let engine: TestEngine;
const asked: AdmissionRequest[] = [];
const path = 'live/whipcam';

beforeAll(async () => {
  engine = startTestEngine({
    webrtc: {},
    hls: { alwaysRemux: true },
    admission: {
      decide: async (request) => {
        asked.push(request);
        if (request.action === 'play') return { allow: true };
        return new URLSearchParams(request.query).get('key') === 'stream-key' ? { allow: true } : { allow: false, reason: 'invalid stream key' };
      },
    },
  });
  await engine.ready;
}, 60_000);

afterAll(async () => {
  await killAll();
  engine?.stop();
});

const publishers = () => engine.context.clients.list().filter((c) => c.protocol === 'webrtc' && c.role === 'publisher');

describe('WHIP from Chromium', () => {
  test('a wrong stream key is refused with 403', async () => {
    const { page, close } = await openWhepPage(chromium.browser);
    try {
      await startWhip(page, engine.httpUrl(`${path}/whip`), 'wrong');
      const state = await whepState(page);
      expect(state.status).toBe(403);
      expect(state.errors.join()).toContain('invalid stream key');
      expect(publishers()).toHaveLength(0);
    } finally {
      await close();
    }
  }, 60_000);

  test('the fake camera published over WHIP plays back over RTMP and LL-HLS (Opus in fMP4)', async () => {
    const { page, close } = await openWhepPage(chromium.browser);
    try {
      await startWhip(page, engine.httpUrl(`${path}/whip`), 'stream-key');
      const state = await whepState(page);
      expect(state.errors).toEqual([]);
      expect(state.status).toBe(201);
      expect(state.location).toMatch(/^\/live\/whipcam\/whip\/[0-9a-f]{32}$/);
      expect(asked.some((r) => r.action === 'publish' && r.protocol === 'webrtc' && r.query === 'key=stream-key')).toBe(true);
      const live = () => engine.context.streams.list().find((s) => s.path === path);
      const ok = await waitFor(() => (live()?.started ?? false) && live()!.audioHeader !== null && (live()!.gop.length ?? 0) > 10, 30_000, 100);
      if (!ok) throw new Error(`no media: ${JSON.stringify(await whepState(page))} ${JSON.stringify(await outboundPackets(page))}\n${engine.logs.slice(-40).join('\n')}`);
      expect(publishers()).toHaveLength(1);
      // ffmpeg 5.1 reads Enhanced RTMP video but not its Opus audio ("Audio codec (9) is not implemented"): the
      // probe is bounded and only the video is decoded
      const rtmp = await run(['ffprobe', '-v', 'error', '-analyzeduration', '2000000', '-of', 'json', '-show_streams', engine.rtmpUrl(path)], 30_000);
      const streams = (JSON.parse(rtmp.stdout || '{}') as { streams?: Array<{ codec_name?: string; width?: number; height?: number }> }).streams ?? [];
      expect(streams.find((s) => s.codec_name === 'h264')).toMatchObject({ width: 320, height: 240 });
      const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-analyzeduration', '2000000', '-i', engine.rtmpUrl(path), '-map', '0:v', '-t', '2', '-f', 'null', '-'], 30_000);
      expect(decoded.exitCode).toBe(0);
      const videoErrors = decoded.stderr.split('\n').filter((l) => l.trim() && !/Audio codec \(9\)|upload a sample/.test(l));
      expect(videoErrors).toEqual([]);
      // LL-HLS carries Opus in fMP4 ('Opus' sample entry with 'dOps'); classic HLS (MPEG-TS) is not offered for it
      expect(await waitFor(() => (engine.context.hls.find(path)?.ll?.segments.length ?? 0) >= 1, 20_000)).toBe(true);
      const ll = await run(['ffprobe', '-v', 'error', '-of', 'json', '-show_streams', engine.httpUrl(`${path}/ll.m3u8`)], 30_000);
      const llStreams = (JSON.parse(ll.stdout || '{}') as { streams?: Array<{ codec_name?: string; sample_rate?: string; channels?: number }> }).streams ?? [];
      if (llStreams.length === 0) throw new Error(`ffprobe read nothing from LL-HLS: ${ll.stderr.slice(0, 500)}`);
      expect(llStreams.map((s) => s.codec_name).sort()).toEqual(['h264', 'opus']);
      expect(llStreams.find((s) => s.codec_name === 'opus')).toMatchObject({ sample_rate: '48000' });
      const llDecoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-i', engine.httpUrl(`${path}/ll.m3u8`), '-t', '2', '-f', 'null', '-'], 30_000);
      expect({ exit: llDecoded.exitCode, stderr: llDecoded.stderr }).toEqual({ exit: 0, stderr: '' });
      expect((await fetch(engine.httpUrl(`${path}/index.m3u8`))).status).toBe(404);
      // and back out to another browser over WHEP: H.264 and Opus both ways without transcoding
      const viewer = await openWhepPage(chromium.browser);
      try {
        await startWhep(viewer.page, engine.httpUrl(`${path}/whep`));
        let seen = await whepState(viewer.page);
        for (let i = 0; i < 120 && seen.frames < 25; i++) {
          await Bun.sleep(250);
          seen = await whepState(viewer.page);
        }
        expect(seen.errors).toEqual([]);
        expect(seen.frames).toBeGreaterThanOrEqual(25);
        expect([...seen.tracks].sort()).toEqual(['audio', 'video']);
        expect(seen.audioNote).toBeNull();
      } finally {
        await viewer.close();
      }
      expect(await stopWhep(page, engine.httpUrl(''))).toBe(200);
      expect(await waitFor(() => publishers().length === 0 && live()?.publisher == null, 5000)).toBe(true);
    } finally {
      await close();
    }
  }, 90_000);
});
