// SegmentCutter on a real ffmpeg FLV (H.264 + AAC, keyframe every second): every file starts at
// a keyframe, is cut at the first keyframe at or after the duration, decodes on its own with
// ffprobe/ffmpeg, and the files' names tile the timeline without gaps.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import type { MediaPacket } from '../../src/hub/media-packet.ts';
import { type CompletedSegment, SegmentCutter } from '../../src/record/segment-cutter.ts';
import { formatSegmentName } from '../../src/record/segment-name.ts';
import type { RecordingFormat } from '../../src/shared/config-protocol.ts';
import { run, tempDir } from '../e2e/harness.ts';
import { encodeTestFlv } from './test-flv.ts';

const WALL_START = 1_764_892_800_000;
let dir: { path: string; remove(): void };
let packets: MediaPacket[];

beforeAll(async () => {
  dir = tempDir();
  packets = new FlvReader()
    .push(await encodeTestFlv(dir.path, 5, { bFrames: 2 }))
    .map((t) => ({ type: t.tagType as 8 | 9 | 18, timestampMs: t.timestampMs, body: t.body, header: false, randomAccess: false, discontinuity: false }));
});
afterAll(() => dir.remove());

function cut(format: RecordingFormat, segmentDurationMs: number, maxSegmentBytes = 64 << 20): { segments: CompletedSegment[]; cutter: SegmentCutter } {
  const cutter = new SegmentCutter({ format, segmentDurationMs, maxSegmentBytes });
  const segments: CompletedSegment[] = [];
  // the wall clock advances with the media, as for a live publisher
  for (const p of packets) segments.push(...cutter.push(p, WALL_START + p.timestampMs));
  segments.push(...cutter.flush());
  return { segments, cutter };
}

async function probeFile(bytes: Uint8Array, name: string): Promise<{ duration: number; videoFrames: number; firstKey: boolean }> {
  const path = join(dir.path, name);
  writeFileSync(path, bytes);
  const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', path, '-f', 'null', '-']);
  expect(decoded.stderr).toBe('');
  expect(decoded.exitCode).toBe(0);
  const probed = await run(['ffprobe', '-v', 'error', '-of', 'json', '-select_streams', 'v', '-show_entries', 'packet=flags:format=duration', '-show_packets', path]);
  const json = JSON.parse(probed.stdout) as { packets: Array<{ flags: string }>; format: { duration: string } };
  return { duration: Number(json.format.duration), videoFrames: json.packets.length, firstKey: json.packets[0]?.flags.startsWith('K') ?? false };
}

describe.each(['fmp4', 'ts'] as const)('%s segments', (format) => {
  test('cut at keyframes after the duration; each file decodes alone; names tile the timeline', async () => {
    const { segments } = cut(format, 2000);
    expect(segments.length).toBe(3); // 5 s with a keyframe each second: 2 s, 2 s, 1 s
    expect(segments.map((s) => s.durationMs)).toEqual([2000, 2000, expect.any(Number)]);
    expect(segments[2]!.durationMs).toBeGreaterThanOrEqual(960);
    expect(segments[2]!.durationMs).toBeLessThanOrEqual(1200); // the AAC track runs a few frames past the video
    expect(segments[0]!.startMs).toBe(WALL_START);
    for (let i = 1; i < segments.length; i++) expect(segments[i]!.startMs).toBe(segments[i - 1]!.startMs + segments[i - 1]!.durationMs);
    let frames = 0;
    for (const s of segments) {
      const probed = await probeFile(s.bytes, formatSegmentName(s));
      expect(probed.firstKey).toBe(true);
      expect(Math.abs(probed.duration * 1000 - s.durationMs)).toBeLessThan(150);
      frames += probed.videoFrames;
    }
    expect(frames).toBe(125);
  });
});

test('an fMP4 file starts with its own init segment (ftyp, moov) then one fragment', () => {
  const { segments } = cut('fmp4', 1000);
  for (const s of segments) {
    const boxes: string[] = [];
    for (let at = 0; at < s.bytes.byteLength; ) {
      const view = new DataView(s.bytes.buffer, s.bytes.byteOffset + at);
      boxes.push(new TextDecoder().decode(s.bytes.subarray(at + 4, at + 8)));
      at += view.getUint32(0);
    }
    expect(boxes).toEqual(['ftyp', 'moov', 'moof', 'mdat']);
  }
});

test('past the byte cap a segment closes at the next keyframe, whatever its duration', () => {
  const { segments: whole } = cut('ts', 60_000);
  expect(whole.length).toBe(1);
  const cap = Math.floor(whole[0]!.bytes.byteLength / 4); // about a second of media
  const { segments, cutter } = cut('ts', 60_000, cap);
  expect(cutter.forcedCuts).toBe(0);
  expect(segments.length).toBeGreaterThan(2);
  for (const s of segments.slice(0, -1)) expect(s.durationMs % 1000).toBe(0); // cut at the one-second keyframes
});

test('at twice the byte cap a segment closes at once, and the next waits for a keyframe', () => {
  const { segments, cutter } = cut('ts', 60_000, 2000);
  expect(cutter.forcedCuts).toBeGreaterThan(0);
  expect(segments.length).toBeGreaterThan(1);
  for (const s of segments) expect(s.bytes.byteLength).toBeLessThan(60_000);
});

test('paused: nothing is buffered or emitted; resumed: starts again at a keyframe', () => {
  const cutter = new SegmentCutter({ format: 'fmp4', segmentDurationMs: 1000, maxSegmentBytes: 64 << 20 });
  const out: CompletedSegment[] = [];
  for (const p of packets) {
    cutter.setPaused(p.timestampMs < 2500);
    out.push(...cutter.push(p, WALL_START + p.timestampMs));
  }
  out.push(...cutter.flush());
  expect(out.length).toBe(2); // 3..4 s and 4..5 s
  expect(out[0]!.startMs).toBeGreaterThanOrEqual(WALL_START + 2960);
});

test('a publisher whose clock strays from the wall clock: names follow the wall clock again', () => {
  const cutter = new SegmentCutter({ format: 'ts', segmentDurationMs: 1000, maxSegmentBytes: 64 << 20 });
  const out: CompletedSegment[] = [];
  // the wall clock runs twice as fast as the media
  for (const p of packets) out.push(...cutter.push(p, WALL_START + 2 * p.timestampMs));
  const drift = out.map((s, i) => s.startMs - (WALL_START + 2000 * i));
  for (const d of drift) expect(Math.abs(d)).toBeLessThanOrEqual(2100);
});

test('an unsupported codec is reported, not recorded', () => {
  const cutter = new SegmentCutter({ format: 'fmp4', segmentDurationMs: 1000, maxSegmentBytes: 64 << 20 });
  // FLV audio tag: sound format 2 (MP3), 44 kHz, 16-bit, stereo, then a frame header
  const mp3: MediaPacket = { type: 8, timestampMs: 0, body: Uint8Array.of(0x2f, 0xff, 0xfb, 0x90, 0x64, 0, 0, 0), header: false, randomAccess: true, discontinuity: false };
  expect(cutter.push(mp3, WALL_START)).toEqual([]);
  expect(cutter.unsupported).toContain('mp3');
  expect(cutter.flush()).toEqual([]);
});
