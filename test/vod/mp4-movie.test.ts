// The VOD MP4 reader on files ffmpeg makes here: H.264 + AAC (moov at the end, B-frames) and HEVC
// (fast start, co64 not needed), the segment plan cut at keyframes, and truncated and mutated copies
// that must give a typed ProtocolError and never another exception.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { childBoxes } from '../../src/vod/mp4-box.ts';
import { parseMp4Movie, type Mp4Movie } from '../../src/vod/mp4-movie.ts';
import { planSegments, rangeByteSpan, segmentFrames, writeVodPlaylist } from '../../src/vod/vod-segments.ts';
import { run, tempDir } from '../e2e/harness.ts';
import { prng } from '../seeded-random.ts';

const dir = tempDir();
let avc: Uint8Array;
let hevc: Uint8Array;

async function make(name: string, args: string[]): Promise<Uint8Array> {
  const out = join(dir.path, name);
  const result = await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', '10', ...args, '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', out], 60_000);
  expect(result.stderr).toBe('');
  return new Uint8Array(readFileSync(out));
}

function moovOf(file: Uint8Array): Uint8Array {
  const moov = childBoxes(file, 0, file.length).find((b) => b.type === 'moov')!;
  return file.subarray(moov.start, moov.end);
}

beforeAll(async () => {
  avc = await make('avc.mp4', ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2']);
  hevc = await make('hevc.mp4', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:log-level=error', '-tag:v', 'hvc1', '-movflags', '+faststart']);
}, 120_000);

afterAll(() => dir.remove());

function checkMovie(movie: Mp4Movie, file: Uint8Array, videoCodec: 'h264' | 'h265'): void {
  expect(movie.fragmented).toBe(false);
  const [video, audio] = movie.tracks;
  expect(video!.track.kind).toBe('video');
  expect(video!.track.codec).toBe(videoCodec);
  expect(audio!.track.kind).toBe('audio');
  expect(audio!.track.codec).toBe('aac');
  const v = video!.table;
  expect(v.count).toBe(250);
  // a sync sample every second (1 s GOP at 25 fps)
  const syncs = [...v.sync.keys()].filter((i) => v.sync[i] === 1);
  expect(syncs).toEqual(Array.from({ length: 10 }, (_, k) => k * 25));
  expect(v.endDts / video!.track.timescale).toBeCloseTo(10, 1);
  for (let i = 1; i < v.count; i++) expect(v.dts[i]!).toBeGreaterThan(v.dts[i - 1]!);
  // every sample inside the file, inside an mdat
  const mdat = childBoxes(file, 0, file.length).find((b) => b.type === 'mdat')!;
  for (const { table } of movie.tracks) {
    for (let i = 0; i < table.count; i++) {
      expect(table.offsets[i]!).toBeGreaterThanOrEqual(mdat.payload);
      expect(table.offsets[i]! + table.sizes[i]!).toBeLessThanOrEqual(mdat.end);
    }
  }
  // the first video sample is an AVCC/HVCC access unit: its first NAL length fits the sample
  const first = file.subarray(v.offsets[0]!, v.offsets[0]! + v.sizes[0]!);
  const nalLength = ((first[0]! << 24) | (first[1]! << 16) | (first[2]! << 8) | first[3]!) >>> 0;
  expect(nalLength + 4).toBeLessThanOrEqual(first.length);
}

describe('parseMp4Movie on ffmpeg files', () => {
  test('H.264 + AAC, moov after mdat, B-frames (ctts)', () => {
    const movie = parseMp4Movie(moovOf(avc), avc.length);
    checkMovie(movie, avc, 'h264');
    const offsets = movie.tracks[0]!.table.ctsOffsets;
    expect(offsets.some((o) => o !== offsets[0])).toBe(true); // reordered frames have varying offsets
  });

  test('HEVC (hvc1) + AAC, fast start', () => {
    expect(childBoxes(hevc, 0, hevc.length).map((b) => b.type).indexOf('moov')).toBeLessThan(
      childBoxes(hevc, 0, hevc.length).map((b) => b.type).indexOf('mdat'),
    );
    checkMovie(parseMp4Movie(moovOf(hevc), hevc.length), hevc, 'h265');
  });

  test('segments start on keyframes at or after the target, cover every sample once, and carry the bytes', () => {
    const movie = parseMp4Movie(moovOf(avc), avc.length);
    const segments = planSegments(movie, 4);
    expect(segments.map((s) => s.durationSec.toFixed(2))).toEqual(['4.00', '4.00', '2.00']);
    for (let t = 0; t < movie.tracks.length; t++) {
      const ranges = segments.flatMap((s) => s.ranges.filter((r) => r.track === t));
      expect(ranges[0]!.first).toBe(0);
      for (let k = 1; k < ranges.length; k++) expect(ranges[k]!.first).toBe(ranges[k - 1]!.end);
      expect(ranges.at(-1)!.end).toBe(movie.tracks[t]!.table.count);
    }
    for (const segment of segments) {
      const video = segment.ranges.find((r) => r.track === 0)!;
      expect(movie.tracks[0]!.table.sync[video.first]).toBe(1);
      const frames = segmentFrames(movie, segment, (offset, size) => avc.subarray(offset, offset + size));
      expect(frames[0]!.frames[0]!.keyframe).toBe(true);
      const span = rangeByteSpan(movie, video);
      expect(span.sampleBytes).toBe(frames[0]!.frames.reduce((n, f) => n + f.data.length, 0));
    }
    const playlist = writeVodPlaylist(segments, 'token=a%20b');
    expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(playlist).toContain('#EXT-X-TARGETDURATION:4');
    expect(playlist).toContain('#EXT-X-MAP:URI="init.mp4?token=a%20b"');
    expect(playlist).toContain('seg-2.m4s?token=a%20b');
    expect(playlist.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
  });
});

/** Parses and plans; anything thrown must be a ProtocolError. */
function parseOrTypedError(moov: Uint8Array, fileSize: number): 'ok' | 'error' {
  try {
    const movie = parseMp4Movie(moov, fileSize);
    if (!movie.fragmented) planSegments(movie, 4);
    return 'ok';
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return 'error';
  }
}

describe('damaged files give a ProtocolError, never a crash', () => {
  test('the moov truncated at every 97th byte', () => {
    const moov = moovOf(avc);
    for (let cut = 0; cut < moov.length; cut += 97) expect(parseOrTypedError(moov.slice(0, cut), avc.length)).toBe('error');
  });

  test('samples pointing past a truncated file', () => {
    // the moov kept whole, the file said to end halfway through the media data
    expect(parseOrTypedError(moovOf(avc), Math.floor(avc.length / 2))).toBe('error');
  });

  test('2000 copies with random bytes changed', () => {
    const random = prng(13);
    const original = moovOf(hevc);
    const outcomes = { ok: 0, error: 0 };
    for (let n = 0; n < 2000; n++) {
      const moov = original.slice();
      const changes = 1 + Math.floor(random() * 4);
      for (let k = 0; k < changes; k++) moov[Math.floor(random() * moov.length)] = Math.floor(random() * 256);
      outcomes[parseOrTypedError(moov, hevc.length)]++;
    }
    // most single-byte changes land in sample tables and still parse; the rest are refused with a reason
    expect(outcomes.ok + outcomes.error).toBe(2000);
    expect(outcomes.error).toBeGreaterThan(0);
  });

  test('a huge sample count is refused before anything is allocated', () => {
    const moov = moovOf(avc).slice();
    const at = Buffer.from(moov).indexOf('stsz');
    // uniform sample size and 0xffffff00 samples
    moov.set([0, 0, 0, 1, 0xff, 0xff, 0xff, 0x00], at + 8);
    expect(() => parseMp4Movie(moov, avc.length)).toThrow(/samples in one track|stts covers/);
  });
});
