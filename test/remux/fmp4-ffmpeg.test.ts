// Real-decoder check: FLV from ffmpeg -> our FLV parsers -> Fmp4Muxer -> ffmpeg decodes it cleanly, ffprobe sees
// the same streams, timestamps and decoded frames as in the source. HEVC samples come from an ffmpeg-written MP4.
import { concatBytes } from '../../src/media/bytes.ts';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { Fmp4Muxer, type FragmentTrackInput } from '../../src/remux/fmp4-muxer.ts';
import { readMp4Track } from './fmp4-mp4-samples.ts';

const VIDEO_TIMESCALE = 90000;
const TICKS_PER_MS = VIDEO_TIMESCALE / 1000;
let dir = '';

function run(cmd: string[]): { exitCode: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function ffmpeg(args: string[]): void {
  const result = run(['ffmpeg', '-v', 'error', '-nostdin', '-y', ...args]);
  if (result.exitCode !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${result.stderr}`);
}

type Packet = { stream: number; pts: number; dts: number; key: boolean };

function probePackets(file: string): Packet[] {
  const out = run(['ffprobe', '-v', 'error', '-show_entries', 'packet=stream_index,pts,dts,flags', '-of', 'json', file]);
  const packets = (JSON.parse(out.stdout) as { packets: { stream_index: number; pts: number; dts: number; flags: string }[] }).packets;
  return packets.map((p) => ({ stream: p.stream_index, pts: p.pts, dts: p.dts, key: p.flags.startsWith('K') }));
}

type Stream = { codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number };

function probeStreams(file: string): Stream[] {
  const out = run(['ffprobe', '-v', 'error', '-show_streams', '-of', 'json', file]);
  return (JSON.parse(out.stdout) as { streams: Stream[] }).streams;
}

/** md5 of every decoded frame (picture or audio frame) of each stream, in output order, from one decode. */
function decodedHashes(file: string): Map<number, string[]> {
  const out = run(['ffmpeg', '-v', 'error', '-nostdin', '-i', file, '-map', '0', '-f', 'framemd5', '-']);
  if (out.exitCode !== 0) throw new Error(out.stderr);
  const byStream = new Map<number, string[]>();
  for (const line of out.stdout.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',').map((f) => f.trim());
    const stream = Number(fields[0]);
    byStream.set(stream, [...(byStream.get(stream) ?? []), fields.at(-1)!]);
  }
  return byStream;
}

/** Cuts every track at the given dts boundaries (in ms) and muxes one fragment per interval. */
function muxAll(muxer: Fmp4Muxer, tracks: { track: Track; frames: MediaFrame[]; ticksPerMs: number }[], cutsMs: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [muxer.initSegment()];
  const bounds = [...cutsMs, Number.POSITIVE_INFINITY];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const inputs: FragmentTrackInput[] = tracks.map(({ track, frames, ticksPerMs }) => {
      const from = bounds[i]! * ticksPerMs;
      const to = bounds[i + 1]! * ticksPerMs;
      const inRange = frames.filter((f) => f.dts >= from && f.dts < to);
      const next = frames.find((f) => f.dts >= to);
      const last = frames.at(-1)!;
      const lastDuration = last.dts - frames.at(-2)!.dts;
      return { trackId: track.id, frames: inRange, endDts: next?.dts ?? last.dts + lastDuration };
    });
    parts.push(muxer.fragment(i + 1, inputs));
  }
  return parts;
}


beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weir-fmp4-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('fMP4 from an ffmpeg FLV (H.264 with B-frames + AAC)', () => {
  let source = '';
  let output = '';
  let video: { track: Track; frames: MediaFrame[]; ticksPerMs: number };
  let audio: { track: Track; frames: MediaFrame[]; ticksPerMs: number };
  let fragments = 0;

  beforeAll(() => {
    source = join(dir, 'source.flv');
    output = join(dir, 'out.mp4');
    // 2 s, GOP of 25 frames at 25 fps: keyframes at 0 and 1 s.
    ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', '2', '-c:v', 'libx264', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', source,
    ]);
    const vTrack: Track[] = [];
    const aTrack: Track[] = [];
    const vFrames: MediaFrame[] = [];
    const aFrames: MediaFrame[] = [];
    for (const tag of new FlvReader().push(new Uint8Array(readFileSync(source)))) {
      if (tag.tagType === FlvTagType.Video) {
        const info = parseVideoTag(tag.body);
        if (info.kind === 'sequence-header') vTrack.push({ id: 1, kind: 'video', codec: info.codec, timescale: VIDEO_TIMESCALE, config: info.config });
        if (info.kind === 'frame') {
          const dts = tag.timestampMs * TICKS_PER_MS;
          vFrames.push({ trackId: 1, dts, pts: dts + info.compositionTimeMs * TICKS_PER_MS, keyframe: info.keyframe, data: info.data });
        }
      } else if (tag.tagType === FlvTagType.Audio) {
        const info = parseAudioTag(tag.body);
        if (info.kind === 'sequence-header') aTrack.push({ id: 2, kind: 'audio', codec: info.codec, timescale: 1000, config: info.config });
        if (info.kind === 'frame') aFrames.push({ trackId: 2, dts: tag.timestampMs, pts: tag.timestampMs, keyframe: true, data: info.data });
      }
    }
    video = { track: vTrack[0]!, frames: vFrames, ticksPerMs: TICKS_PER_MS };
    audio = { track: aTrack[0]!, frames: aFrames, ticksPerMs: 1 };
    const muxer = new Fmp4Muxer([video.track, audio.track]);
    // Keyframe cuts (segments) plus cuts in the middle of each GOP (LL-HLS parts), by video dts.
    const keyMs = vFrames.filter((f) => f.keyframe).map((f) => f.dts / TICKS_PER_MS);
    const midMs = keyMs.map((k) => k + 12 * 40 + 1);
    const cuts = [0, ...keyMs.slice(1), ...midMs].sort((a, b) => a - b);
    const parts = muxAll(muxer, [video, audio], cuts);
    fragments = parts.length - 1;
    writeFileSync(output, concatBytes(parts));
  });

  test('the source is what we think: 50 video frames with B-frames, 2 keyframes, AAC', () => {
    expect(video.frames.length).toBe(50);
    expect(video.frames.filter((f) => f.keyframe).length).toBe(2);
    expect(video.frames.some((f) => f.pts !== f.dts)).toBe(true);
    expect(audio.frames.length).toBeGreaterThan(80);
    expect(fragments).toBe(4);
  });

  test('ffmpeg decodes init + fragments without a word and exits 0', () => {
    const result = run(['ffmpeg', '-v', 'warning', '-nostdin', '-i', output, '-f', 'null', '-']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('ffprobe sees H.264 320x240 and AAC 44.1 kHz mono', () => {
    const streams = probeStreams(output);
    expect(streams.map((s) => [s.codec_type, s.codec_name])).toEqual([['video', 'h264'], ['audio', 'aac']]);
    expect([streams[0]!.width, streams[0]!.height]).toEqual([320, 240]);
    expect([streams[1]!.sample_rate, streams[1]!.channels]).toEqual(['44100', 1]);
  });

  test('packet pts/dts and keyframe flags match the source FLV', () => {
    const ours = probePackets(output);
    const theirs = probePackets(source); // FLV: milliseconds
    for (const stream of [0, 1]) {
      const scale = stream === 0 ? TICKS_PER_MS : 1;
      const got = ours.filter((p) => p.stream === stream).map((p) => [p.dts / scale, p.pts / scale, p.key]);
      const want = theirs.filter((p) => p.stream === stream).map((p) => [p.dts, p.pts, p.key]);
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    }
    expect(ours.some((p) => p.stream === 0 && p.pts !== p.dts)).toBe(true);
  });

  test('decoded pictures and audio are identical to the source', () => {
    const ours = decodedHashes(output);
    const theirs = decodedHashes(source);
    expect(ours.get(0)!.length).toBe(50);
    expect(ours.get(1)!.length).toBe(theirs.get(1)!.length);
    expect(ours).toEqual(theirs);
  });
});

describe('fMP4 H.265 from an ffmpeg MP4 (libx265, B-frames)', () => {
  test('hvc1 fragments decode cleanly with the source timestamps and pictures', () => {
    const source = join(dir, 'hevc-source.mp4');
    const output = join(dir, 'hevc-out.mp4');
    ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '1', '-c:v', 'libx265', '-pix_fmt', 'yuv420p',
      '-x265-params', 'log-level=error:bframes=2:keyint=12:min-keyint=12:scenecut=0', '-tag:v', 'hvc1', source,
    ]);
    const mp4 = readMp4Track(new Uint8Array(readFileSync(source)));
    expect(mp4.format).toBe('hvc1');
    const track: Track = { id: 5, kind: 'video', codec: 'h265', timescale: mp4.timescale, config: mp4.config };
    const frames: MediaFrame[] = mp4.samples.map((s) => ({ trackId: 5, dts: s.dts, pts: s.pts, keyframe: s.keyframe, data: s.data }));
    expect(frames.some((f) => f.pts !== f.dts)).toBe(true);
    const ticksPerMs = mp4.timescale / 1000;
    // Cuts at each keyframe and between them.
    const cutsMs = frames.filter((f) => f.keyframe).flatMap((f) => [f.dts / ticksPerMs, f.dts / ticksPerMs + 200]);
    const muxer = new Fmp4Muxer([track]);
    writeFileSync(output, concatBytes(muxAll(muxer, [{ track, frames, ticksPerMs }], cutsMs)));

    const result = run(['ffmpeg', '-v', 'warning', '-nostdin', '-i', output, '-f', 'null', '-']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const [stream] = probeStreams(output);
    expect([stream!.codec_name, stream!.width, stream!.height]).toEqual(['hevc', 320, 240]);
    const packets = probePackets(output);
    expect(packets.map((p) => [p.dts, p.pts, p.key])).toEqual(frames.map((f) => [f.dts, f.pts, f.keyframe]));
    expect(decodedHashes(output)).toEqual(decodedHashes(source));
  });
});
