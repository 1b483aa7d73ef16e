// The fMP4 reader judged by ffmpeg, not by our own muxer: ffmpeg writes an fMP4 HLS stream
// (`-hls_segment_type fmp4`, H.264 with B-frames + AAC), our reader parses its init and segments,
// and every sample must match what ffprobe reads from the same bytes: count, order, timestamps,
// composition offsets, keyframe flags and sizes; the codec configs must be the ones ffprobe sees.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFmp4Init, parseFmp4Segment, type Fmp4Frame, type Fmp4Init } from '../../src/remux/fmp4-demuxer.ts';
import { run, tempDir } from '../e2e/harness.ts';

let dir: { path: string; remove(): void };
let init: Fmp4Init;
let frames: Fmp4Frame[] = [];
let segmentCount = 0;

type ProbedPacket = { stream_index: number; pts: number; dts: number; size: string; flags: string };
let probed: { packets: ProbedPacket[]; streams: Array<{ index: number; codec_name: string; time_base: string; extradata?: string; width?: number; height?: number; sample_rate?: string; channels?: number }> };

beforeAll(async () => {
  dir = tempDir();
  const made = await run([
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '3', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
    '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '1', '-hls_playlist_type', 'vod',
    '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(dir.path, 'seg%d.m4s'), join(dir.path, 'out.m3u8'),
  ], 60_000);
  expect(made.stderr).toBe('');
  expect(made.exitCode).toBe(0);
  const playlist = readFileSync(join(dir.path, 'out.m3u8'), 'utf8');
  const segments = playlist.split('\n').filter((l) => l.endsWith('.m4s'));
  segmentCount = segments.length;
  init = parseFmp4Init(readFileSync(join(dir.path, 'init.mp4')));
  const nextDts = new Map<number, number>();
  for (const name of segments) frames.push(...parseFmp4Segment(readFileSync(join(dir.path, name)), init, nextDts));
  // ffprobe reads the same bytes: the init segment followed by every media segment, in playlist order
  const all = join(dir.path, 'all.mp4');
  await Bun.write(all, new Blob([readFileSync(join(dir.path, 'init.mp4')), ...segments.map((s) => readFileSync(join(dir.path, s)))]));
  const result = await run([
    'ffprobe', '-v', 'error', '-of', 'json', '-show_streams', '-show_data', '-show_entries',
    'packet=stream_index,pts,dts,size,flags:stream=index,codec_name,time_base,extradata,width,height,sample_rate,channels', all,
  ]);
  expect(result.exitCode).toBe(0);
  probed = JSON.parse(result.stdout);
}, 90_000);

afterAll(() => dir?.remove());

/** ffprobe's extradata dump ("00000000: 0164 001e ...  .d..") back to bytes */
function extradataBytes(dump: string): Uint8Array {
  const hex = dump
    .split('\n')
    .map((line) => line.slice(10, 50).replace(/\s/g, ''))
    .join('');
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

describe('fMP4 reader on ffmpeg output', () => {
  test('the init segment: an H.264 and an AAC track with the configs ffprobe sees', () => {
    expect(readdirSync(dir.path).filter((n) => n.endsWith('.m4s')).length).toBeGreaterThanOrEqual(3);
    expect(init.tracks.map((t) => ({ kind: t.kind, codec: t.codec, entry: t.sampleEntry }))).toEqual([
      { kind: 'video', codec: 'h264', entry: 'avc1' },
      { kind: 'audio', codec: 'aac', entry: 'mp4a' },
    ]);
    const [video, audio] = probed.streams;
    expect(video!.codec_name).toBe('h264');
    expect(audio!.codec_name).toBe('aac');
    // the track timescales are ffprobe's time bases
    expect(`1/${init.tracks[0]!.timescale}`).toBe(video!.time_base);
    expect(`1/${init.tracks[1]!.timescale}`).toBe(audio!.time_base);
    expect(Buffer.from(init.tracks[0]!.config).toString('hex')).toBe(Buffer.from(extradataBytes(video!.extradata!)).toString('hex'));
    expect(Buffer.from(init.tracks[1]!.config).toString('hex')).toBe(Buffer.from(extradataBytes(audio!.extradata!)).toString('hex'));
    expect(init.tracks[0]!.nalLengthSize).toBe(4);
  });

  test('every sample as ffprobe reads it: order, dts, pts, keyframe, size', () => {
    expect(segmentCount).toBeGreaterThanOrEqual(3);
    for (const [index, track] of init.tracks.entries()) {
      const ours = frames.filter((f) => f.trackId === track.trackId);
      const theirs = probed.packets.filter((p) => p.stream_index === index);
      expect(ours.length, track.kind).toBe(theirs.length);
      expect(ours.length, track.kind).toBeGreaterThan(track.kind === 'video' ? 70 : 120);
      // both start at the same decode time; an edit list ffprobe may apply shifts both alike
      const shift = theirs[0]!.dts - ours[0]!.dts;
      expect(ours.map((f) => [f.dts + shift, f.pts + shift, f.keyframe, f.data.byteLength])).toEqual(
        theirs.map((p) => [p.dts, p.pts, p.flags.startsWith('K'), Number(p.size)]),
      );
    }
    // B-frames really are there: some samples are shown before others decoded earlier
    const video = frames.filter((f) => f.trackId === init.tracks[0]!.trackId);
    expect(video.some((f) => f.pts !== f.dts)).toBe(true);
    expect(video.filter((f) => f.keyframe).length).toBe(3); // -g 25 over 3 s at 25 fps
  });

  test('video samples are length-prefixed NAL units that fill the sample exactly', () => {
    for (const frame of frames.filter((f) => f.trackId === init.tracks[0]!.trackId)) {
      let offset = 0;
      while (offset < frame.data.byteLength) {
        const length = new DataView(frame.data.buffer, frame.data.byteOffset + offset, 4).getUint32(0);
        expect(length).toBeGreaterThan(0);
        offset += 4 + length;
      }
      expect(offset).toBe(frame.data.byteLength);
    }
  });
});
