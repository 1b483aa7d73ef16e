// Real-decoder validation of the TS muxer: ffmpeg-encoded FLV (H.264 + AAC with B-frames, MP3) and MP4 (HEVC) input,
// muxed by TsMuxer, then decoded by ffmpeg and probed packet by packet with ffprobe.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { splitLengthPrefixed } from '../../src/media/nal-units.ts';
import { TsMuxer } from '../../src/remux/ts-muxer.ts';
import { checkContinuity, readTsPackets } from './ts-demux.ts';
import { readMp4VideoTrack } from './ts-mp4-samples.ts';

const VIDEO_ID = 1;
const AUDIO_ID = 2;
const LAVFI_VIDEO = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'];
const SOURCES = {
  h264Aac: {
    file: 'h264-aac.flv',
    args: [...LAVFI_VIDEO, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '2', '-pix_fmt', 'yuv420p',
      '-c:v', 'libx264', '-bf', '2', '-g', '25', '-c:a', 'aac', '-b:a', '64k'],
  },
  hevc: {
    file: 'hevc.mp4',
    args: [...LAVFI_VIDEO, '-t', '2', '-pix_fmt', 'yuv420p', '-c:v', 'libx265', '-x265-params',
      'log-level=error:keyint=25:min-keyint=25:bframes=2', '-tag:v', 'hvc1'],
  },
  mp3: { file: 'mp3-44100.flv', args: ['-f', 'lavfi', '-i', 'sine=sample_rate=44100', '-t', '2', '-c:a', 'libmp3lame'] },
  mp3Half: { file: 'mp3-22050.flv', args: ['-f', 'lavfi', '-i', 'sine=sample_rate=22050', '-t', '2', '-c:a', 'libmp3lame'] },
} as const;

let dir = '';
beforeAll(async () => {

  dir = mkdtempSync(join(tmpdir(), 'weir-ts-'));
  await Promise.all(
    Object.values(SOURCES).map(async ({ file, args }) => {
      const proc = Bun.spawn(['ffmpeg', '-v', 'error', '-y', ...args, join(dir, file)], { stdout: 'ignore', stderr: 'pipe' });
      const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      if (code !== 0) throw new Error(`ffmpeg ${file}: ${stderr}`);
    }),
  );
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string[]): { exitCode: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe', timeout: 20_000 });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

type Input = { video?: Track; audio?: Track; frames: MediaFrame[] };

/** FLV file -> tracks and frames in file order (timescale 1000, pts = timestamp + composition time). */
function readFlv(path: string): Input {
  const input: Input = { frames: [] };
  for (const tag of new FlvReader().push(new Uint8Array(readFileSync(path)))) {
    if (tag.tagType === FlvTagType.Video) {
      const info = parseVideoTag(tag.body);
      if (info.kind === 'sequence-header') {
        input.video = { id: VIDEO_ID, kind: 'video', codec: info.codec, timescale: 1000, config: info.config };
      } else if (info.kind === 'frame') {
        const pts = tag.timestampMs + info.compositionTimeMs;
        input.frames.push({ trackId: VIDEO_ID, dts: tag.timestampMs, pts, keyframe: info.keyframe, data: info.data });
      }
    } else if (tag.tagType === FlvTagType.Audio) {
      const info = parseAudioTag(tag.body);
      if (info.kind === 'sequence-header') {
        input.audio = { id: AUDIO_ID, kind: 'audio', codec: info.codec, timescale: 1000, config: info.config };
      } else if (info.kind === 'frame') {
        input.audio ??= { id: AUDIO_ID, kind: 'audio', codec: info.codec, timescale: 1000, config: new Uint8Array(0) };
        input.frames.push({ trackId: AUDIO_ID, dts: tag.timestampMs, pts: tag.timestampMs, keyframe: true, data: info.data });
      }
    }
  }
  return input;
}

/** Muxes like the segmenter: PAT/PMT first and again before every video keyframe. */
function mux(input: Input, name: string): { path: string; bytes: Uint8Array } {
  const muxer = new TsMuxer({ ...(input.video && { video: input.video }), ...(input.audio && { audio: input.audio }) });
  const parts: Uint8Array[] = [muxer.writeTables()];
  for (const frame of input.frames) {
    if (frame.trackId === VIDEO_ID && frame.keyframe && parts.length > 1) parts.push(muxer.writeTables());
    parts.push(muxer.writeFrame(frame));
  }
  const bytes = new Uint8Array(Buffer.concat(parts));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

function expectCleanDecode(path: string): void {
  const decode = run(['ffmpeg', '-v', 'error', '-i', path, '-f', 'null', '-']);
  expect(decode.stderr).toBe('');
  expect(decode.exitCode).toBe(0);
}

type ProbeStream = { codec_name: string; codec_type: string; width?: number; height?: number; sample_rate?: string };
function probeStreams(path: string): ProbeStream[] {
  const probe = run(['ffprobe', '-v', 'error', '-show_entries', 'stream=codec_name,codec_type,width,height,sample_rate', '-of', 'json', path]);
  expect(probe.stderr).toBe('');
  return JSON.parse(probe.stdout).streams;
}

type ProbePacket = { pts: number; dts: number; flags: string };
function probePackets(path: string, stream: 'v' | 'a'): ProbePacket[] {
  const probe = run(['ffprobe', '-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts,dts,flags', '-of', 'json', path]);
  expect(probe.exitCode).toBe(0);
  return JSON.parse(probe.stdout).packets;
}

/** Source video frames against the TS's packets: same count, timestamps in 90 kHz, pts - dts and keyframes. */
function expectVideoTiming(frames: readonly MediaFrame[], timescale: number, packets: readonly ProbePacket[]): void {
  const video = frames.filter((f) => f.trackId === VIDEO_ID);
  expect(packets.length).toBe(video.length);
  const to90k = (t: number) => Math.round((t * 90000) / timescale);
  expect(packets.map((p) => p.pts - p.dts)).toEqual(video.map((f) => to90k(f.pts) - to90k(f.dts)));
  expect(packets.map((p) => p.dts)).toEqual(video.map((f) => to90k(f.dts)));
  expect(packets.map((p) => p.flags.startsWith('K'))).toEqual(video.map((f) => f.keyframe));
  expect(video.some((f) => f.pts !== f.dts)).toBe(true); // the source really has B-frames
}

describe('TS muxer output decoded by ffmpeg', () => {
  test('H.264 + AAC from FLV with B-frames', () => {
    const input = readFlv(join(dir, SOURCES.h264Aac.file));
    expect(input.video?.codec).toBe('h264');
    expect(input.audio?.codec).toBe('aac');
    const { path, bytes } = mux(input, 'h264-aac.ts');
    checkContinuity(readTsPackets(bytes));
    expectCleanDecode(path);
    const streams = probeStreams(path);
    expect(streams).toContainEqual({ codec_name: 'h264', codec_type: 'video', width: 320, height: 240 });
    expect(streams).toContainEqual({ codec_name: 'aac', codec_type: 'audio', sample_rate: '44100' });
    expectVideoTiming(input.frames, 1000, probePackets(path, 'v'));
    const audio = input.frames.filter((f) => f.trackId === AUDIO_ID);
    expect(probePackets(path, 'a').map((p) => p.pts)).toEqual(audio.map((f) => f.pts * 90));
  });

  test('HEVC from MP4 (hvcC + samples, parameter sets only in hvcC)', () => {
    const mp4 = readMp4VideoTrack(new Uint8Array(readFileSync(join(dir, SOURCES.hevc.file))));
    expect(mp4.format).toBe('hvc1');
    const video: Track = { id: VIDEO_ID, kind: 'video', codec: 'h265', timescale: mp4.timescale, config: mp4.config };
    const frames = mp4.samples.map((s) => ({ trackId: VIDEO_ID, ...s }));
    expect(frames.filter((f) => f.keyframe).length).toBe(2);
    const nalTypes = new Set(frames.flatMap((f) => splitLengthPrefixed(f.data, 4).map((nal) => (nal[0]! >> 1) & 0x3f)));
    expect([32, 33, 34].some((type) => nalTypes.has(type))).toBe(false); // so the muxer must insert them
    const { path, bytes } = mux({ video, frames }, 'hevc.ts');
    checkContinuity(readTsPackets(bytes));
    expectCleanDecode(path);
    expect(probeStreams(path)).toEqual([{ codec_name: 'hevc', codec_type: 'video', width: 320, height: 240 }]);
    expectVideoTiming(frames, mp4.timescale, probePackets(path, 'v'));
  });

  for (const [source, sampleRate] of [
    [SOURCES.mp3, '44100'],
    [SOURCES.mp3Half, '22050'],
  ] as const) {
    test(`MP3 audio-only at ${sampleRate} Hz from FLV (PCR on the audio PID)`, () => {
      const input = readFlv(join(dir, source.file));
      expect(input.video).toBeUndefined();
      expect(input.audio?.codec).toBe('mp3');
      const { path, bytes } = mux(input, source.file.replace('.flv', '.ts'));
      const packets = readTsPackets(bytes);
      checkContinuity(packets);
      expect(packets.filter((p) => p.pid === 0x101 && p.payloadUnitStart).every((p) => p.pcr90k !== undefined)).toBe(true);
      expectCleanDecode(path);
      expect(probeStreams(path)).toEqual([{ codec_name: 'mp3', codec_type: 'audio', sample_rate: sampleRate }]);
      const audio = input.frames.filter((f) => f.trackId === AUDIO_ID);
      expect(probePackets(path, 'a').map((p) => p.pts)).toEqual(audio.map((f) => f.pts * 90));
    });
  }
});
