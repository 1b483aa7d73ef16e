// Real RTP from ffmpeg publishing over RTSP/TCP: every split of the captured stream parses the same, and the depacketized
// frames decode in ffprobe with the frame count ffmpeg encoded.
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { killAll, run, tempDir } from '../e2e/harness.ts';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';
import type { RtspMessage } from '../../src/rtsp/rtsp-message.ts';
import { SenderReportClock } from '../../src/rtsp/rtp-timestamp.ts';
import { earliestStartUnixMs, wallclockOffsetTicks } from '../../src/rtsp/track-sync.ts';
import { recordFfmpegPublish } from './record-server.ts';
import { replay, toAdts, toAnnexB } from './depacketize-recording.ts';

const dir = tempDir();
afterAll(async () => {
  await killAll();
  dir.remove();
});

async function countFrames(path: string, format: string): Promise<number> {
  const r = await run(['ffprobe', '-v', 'error', '-f', format, '-count_frames', '-select_streams', '0', '-show_entries', 'stream=nb_read_frames,codec_name,width,height', '-of', 'json', path]);
  expect(r.exitCode).toBe(0);
  const stream = JSON.parse(r.stdout).streams[0];
  return Number(stream.nb_read_frames);
}

async function decodeErrors(path: string, format: string): Promise<string> {
  const r = await run(['ffmpeg', '-v', 'error', '-f', format, '-i', path, '-f', 'null', '-']);
  expect(r.exitCode).toBe(0);
  return r.stderr;
}

const lavfiVideo = (seconds: number) => ['-f', 'lavfi', '-i', `testsrc=size=640x360:rate=25:duration=${seconds}`];

function flatten(parts: RtspMessage[]): string {
  return JSON.stringify(parts, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}

describe('ffmpeg RTSP publish (TCP interleaved) depacketized', () => {
  test('H.264 + AAC: 50 video frames decode cleanly, AAC frames decode, splits parse the same', async () => {
    const rec = await recordFfmpegPublish([
      ...lavfiVideo(2),
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=2',
      // noise makes every frame span many packets, so losses land inside frames
      '-vf', 'noise=alls=40:allf=t+u', '-c:v', 'libx264', '-bf', '0', '-g', '25', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-crf', '20',
      '-c:a', 'aac', '-b:a', '64k',
    ]);
    expect(rec.sdp).toContain('H264');
    // split invariance on real bytes: one push vs. byte by byte vs. irregular chunks
    const whole = flatten(new RtspParser().push(rec.bytes));
    const byByte = new RtspParser();
    const single: RtspMessage[] = [];
    for (let at = 0; at < rec.bytes.length; at++) single.push(...byByte.push(rec.bytes.subarray(at, at + 1)));
    expect(flatten(single)).toBe(whole);
    const chunked = new RtspParser();
    const parts: RtspMessage[] = [];
    for (let at = 0, step = 1; at < rec.bytes.length; at += step, step = (step * 7 + 3) % 997 + 1) parts.push(...chunked.push(rec.bytes.subarray(at, at + step)));
    expect(flatten(parts)).toBe(whole);

    const out = replay(rec);
    expect(out.tracks[0]![0]!.codec).toBe('h264');
    expect(out.tracks[1]![0]!.codec).toBe('aac');
    const video = out.frames[0]!;
    expect(video.length).toBe(50);
    expect(video[0]!.keyframe).toBe(true);
    expect(video.filter((f) => f.keyframe).length).toBe(2);
    expect(video[1]!.pts - video[0]!.pts).toBe(3600); // 25 fps at 90 kHz
    expect(out.receivers[0]!.stats.packetsLost).toBe(0);
    const h264 = join(dir.path, 'out.h264');
    await Bun.write(h264, toAnnexB(out.tracks[0]![0]!, video));
    expect(await countFrames(h264, 'h264')).toBe(50);
    expect(await decodeErrors(h264, 'h264')).toBe('');

    // lossy replay: about 1 in 800 video packets dropped (each frame spans ~50 packets)
    let state = 7;
    const lossy = replay(rec, (channel) => channel === 0 && ((state = (state * 1103515245 + 12345) >>> 0) >>> 8) % 800 === 0);
    const kept = lossy.frames[0]!;
    expect(lossy.receivers[0]!.stats.packetsLost).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(50);
    expect(kept[0]!.keyframe).toBe(true);
    // drop-until-keyframe: within each GOP the kept frames are the IDR and an unbroken run after it
    const keptPts = new Set(kept.map((f) => f.pts));
    let holeInGop = false;
    for (const f of video) {
      if (f.keyframe) holeInGop = !keptPts.has(f.pts);
      else if (!keptPts.has(f.pts)) holeInGop = true;
      else expect(holeInGop).toBe(false);
    }
    // every kept frame is byte-identical to the same frame of the loss-free replay, and they decode without an error
    const byPts = new Map(video.map((f) => [f.pts, f.data]));
    for (const f of kept) expect(f.data).toEqual(byPts.get(f.pts)!);
    const lossyPath = join(dir.path, 'lossy.h264');
    await Bun.write(lossyPath, toAnnexB(lossy.tracks[0]![0]!, kept));
    expect(await countFrames(lossyPath, 'h264')).toBe(kept.length);
    expect(await decodeErrors(lossyPath, 'h264')).toBe('');

    // ffmpeg's RTCP sender reports line both tracks up on one timeline: they started together
    const clocks = [0, 1].map((i) => {
      const clock = new SenderReportClock(out.receivers[i]!.description.clockRate);
      const sr = out.rtcp[i]!.find((p) => p.type === 'sr');
      if (sr?.type !== 'sr') throw new Error(`no SR on track ${i}`);
      clock.onSenderReport(sr);
      return { clock, firstRtpTimestamp: out.receivers[i]!.firstRtpTimestamp! };
    });
    const reference = earliestStartUnixMs(clocks)!;
    const offsets = clocks.map((c) => wallclockOffsetTicks(c.clock, c.firstRtpTimestamp, reference, 90_000)!);
    expect(Math.min(...offsets)).toBe(0);
    expect(Math.max(...offsets)).toBeLessThan(90_000 / 10);

    const audio = out.frames[1]!;
    // 2 s at 44.1 kHz is 86 AAC frames; ffmpeg's RTP muxer aggregates several per packet and leaves its last,
    // unfinished packet unsent, so a few are missing at the end, but none between
    expect(audio.length).toBeGreaterThanOrEqual(78);
    for (let i = 1; i < audio.length; i++) expect(Math.abs(audio[i]!.pts - audio[i - 1]!.pts - (1024 * 90000) / 44100)).toBeLessThan(1);
    const aac = join(dir.path, 'out.aac');
    await Bun.write(aac, toAdts(out.tracks[1]![0]!, audio));
    expect(await countFrames(aac, 'aac')).toBe(audio.length);
    expect(await decodeErrors(aac, 'aac')).toBe('');
  }, 120_000);

  for (const [codec, encoder, params, format] of [
    ['H.264', 'libx264', ['-bf', '3', '-b_strategy', '0', '-x264-params', 'b-pyramid=normal'], 'h264'],
    ['H.265', 'libx265', ['-x265-params', 'bframes=3:b-pyramid=1:keyint=25:log-level=error'], 'hevc'],
  ] as const) {
    test(`${codec} with B-frames: decode times from the SPS reorder depth increase and never pass presentation times`, async () => {
      const rec = await recordFfmpegPublish([...lavfiVideo(2), '-c:v', encoder, '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', ...params]);
      const out = replay(rec);
      const video = out.frames[0]!;
      expect(video.length).toBe(50);
      const reordered = video.some((f, i) => i > 0 && f.pts < video[i - 1]!.pts);
      expect(reordered).toBe(true);
      for (let i = 0; i < video.length; i++) {
        expect(video[i]!.dts).toBeLessThanOrEqual(video[i]!.pts);
        if (i > 0) expect(video[i]!.dts).toBeGreaterThan(video[i - 1]!.dts);
      }
      // past the lead-in, decode times are the presentation times in sorted order, each used once
      const sortedPts = video.map((f) => f.pts).sort((a, b) => a - b);
      const lead = video.findIndex((f) => f.dts >= 0);
      expect(video.slice(lead).map((f) => f.dts)).toEqual(sortedPts.slice(0, video.length - lead));
      const path = join(dir.path, `bframes.${format}`);
      await Bun.write(path, toAnnexB(out.tracks[0]![0]!, video));
      expect(await countFrames(path, format)).toBe(50);
      expect(await decodeErrors(path, format)).toBe('');
    }, 120_000);
  }

  test('H.265: 25 frames decode cleanly', async () => {
    const rec = await recordFfmpegPublish([
      ...lavfiVideo(1),
      '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'bframes=0:keyint=25:log-level=error', '-pix_fmt', 'yuv420p',
    ]);
    expect(rec.sdp).toContain('H265');
    const out = replay(rec);
    expect(out.tracks[0]![0]!.codec).toBe('h265');
    const video = out.frames[0]!;
    expect(video.length).toBe(25);
    expect(video[0]!.keyframe).toBe(true);
    const h265 = join(dir.path, 'out.h265');
    await Bun.write(h265, toAnnexB(out.tracks[0]![0]!, video));
    expect(await countFrames(h265, 'hevc')).toBe(25);
    expect(await decodeErrors(h265, 'hevc')).toBe('');
  }, 120_000);

  test('Opus, PCMA and PCMU: one frame per packet, timestamps on the 90 kHz timeline', async () => {
    const rec = await recordFfmpegPublish(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', '-c:a', 'libopus', '-ac', '2']);
    expect(rec.sdp.toLowerCase()).toContain('opus/48000/2');
    const opus = replay(rec);
    const track = opus.tracks[0]![0]!;
    expect(track.codec).toBe('opus');
    expect(new TextDecoder().decode(track.config.subarray(0, 8))).toBe('OpusHead');
    expect(opus.frames[0]!.length).toBeGreaterThanOrEqual(50);
    expect(opus.frames[0]![1]!.pts - opus.frames[0]![0]!.pts).toBe(1800); // 20 ms

    for (const [codec, name] of [['pcm_alaw', 'g711a'], ['pcm_mulaw', 'g711u']] as const) {
      const g = replay(await recordFfmpegPublish(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000:duration=1', '-c:a', codec, '-ar', '8000', '-ac', '1']));
      expect(g.tracks[0]![0]!.codec).toBe(name);
      const samples = g.frames[0]!.reduce((n, f) => n + f.data.length, 0);
      expect(samples).toBe(8000);
      const f = g.frames[0]!;
      // each frame's pts is its first sample's time
      expect(f[1]!.pts - f[0]!.pts).toBe((f[0]!.data.length * 90000) / 8000);
    }
  }, 120_000);
});
