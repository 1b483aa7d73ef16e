// MP4 export planned from recorded segments: a fast-start file (moov before mdat) cut at video
// keyframes, both tracks, timestamps continuous across the files it was made of, for fMP4 and
// MPEG-TS recordings cut from a real ffmpeg FLV; gaps closed up; a codec change refused.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { concatBytes } from '../../src/media/bytes.ts';
import { exportSamples, planMp4Export, type ExportFile } from '../../src/record/mp4-export-plan.ts';
import { readRecordedFile } from '../../src/record/recorded-media.ts';
import { type CompletedSegment, SegmentCutter } from '../../src/record/segment-cutter.ts';
import type { RecordingFormat } from '../../src/shared/config-protocol.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { run, tempDir } from '../e2e/harness.ts';
import { encodeTestFlv } from './test-flv.ts';

const WALL_START = 1_764_892_800_000;
let dir: { path: string; remove(): void };
let flvBytes: Uint8Array;

beforeAll(async () => {
  dir = tempDir();
  flvBytes = await encodeTestFlv(dir.path, 6, { bFrames: 2 });
});
afterAll(() => dir.remove());

function record(format: RecordingFormat): CompletedSegment[] {
  const cutter = new SegmentCutter({ format, segmentDurationMs: 1000, maxSegmentBytes: 64 << 20 });
  const out: CompletedSegment[] = [];
  for (const t of new FlvReader().push(flvBytes)) {
    const packet = { type: t.tagType as 8 | 9 | 18, timestampMs: t.timestampMs, body: t.body, header: false, randomAccess: false, discontinuity: false };
    out.push(...cutter.push(packet, WALL_START + t.timestampMs));
  }
  return [...out, ...cutter.flush()];
}

/** Plans the export and writes it the way the engine does: header, then each file's planned samples. */
function exportMp4(segments: readonly CompletedSegment[], startMs: number, endMs: number): { bytes: Uint8Array; firstMs: number } {
  const media = segments.map((s) => readRecordedFile(s.bytes, s.format));
  const files: ExportFile[] = segments.map((s, i) => ({ startMs: s.startMs, durationMs: s.durationMs, format: s.format, tracks: media[i]!.tracks, samples: exportSamples(media[i]!.samples) }));
  const plan = planMp4Export(files, startMs, endMs);
  const parts = [plan.header];
  for (const write of plan.writes) for (const i of write.sampleIndexes) parts.push(media[write.fileIndex]!.samples[i]!.data);
  const bytes = concatBytes(parts);
  expect(bytes.length).toBe(plan.header.length + plan.mdatPayloadBytes);
  return { bytes, firstMs: plan.firstMs };
}

function topLevelBoxes(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at);
    out.push(new TextDecoder().decode(bytes.subarray(at + 4, at + 8)));
    if (size < 8) break;
    at += size;
  }
  return out;
}

type Packet = { codec_type: string; dts_time: string; pts_time: string; duration_time?: string; flags: string };

async function probePackets(bytes: Uint8Array, name: string): Promise<{ packets: Packet[]; duration: number; codecs: string[] }> {
  const path = join(dir.path, name);
  writeFileSync(path, bytes);
  const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', path, '-f', 'null', '-']);
  expect(decoded.stderr).toBe('');
  const probed = await run(['ffprobe', '-v', 'error', '-of', 'json', '-show_packets', '-show_streams', '-show_format', path]);
  const json = JSON.parse(probed.stdout) as { packets: Packet[]; streams: Array<{ codec_name: string }>; format: { duration: string } };
  return { packets: json.packets, duration: Number(json.format.duration), codecs: json.streams.map((s) => s.codec_name).sort() };
}

function expectContinuous(times: number[], step: number): void {
  for (let i = 1; i < times.length; i++) expect({ i, delta: +(times[i]! - times[i - 1]!).toFixed(4) }).toEqual({ i, delta: expect.closeTo(step, 3) });
}

describe.each(['fmp4', 'ts'] as const)('%s recordings', (format) => {
  test('a fast-start MP4 cut at keyframes, both tracks, continuous across files', async () => {
    const segments = record(format);
    expect(segments.length).toBe(6);
    // from 1.5 s to 4.5 s: the cut starts at the keyframe at 1 s and ends before the one at 5 s
    const { bytes, firstMs } = exportMp4(segments.slice(1, 5), WALL_START + 1500, WALL_START + 4500);
    expect(firstMs).toBe(WALL_START + 1000);
    expect(topLevelBoxes(bytes)).toEqual(['ftyp', 'moov', 'mdat']);
    const probed = await probePackets(bytes, `export-${format}.mp4`);
    expect(probed.codecs).toEqual(['aac', 'h264']);
    const video = probed.packets.filter((p) => p.codec_type === 'video');
    const audio = probed.packets.filter((p) => p.codec_type === 'audio');
    expect(video.length).toBe(100); // 4 s at 25 fps
    expect(video[0]!.flags.startsWith('K')).toBe(true);
    expect(video.filter((p) => p.flags.startsWith('K'))).toHaveLength(4);
    expectContinuous(video.map((p) => Number(p.dts_time)), 0.04);
    const audioDts = audio.map((p) => Number(p.dts_time));
    expect(audioDts.length).toBeGreaterThan(160);
    for (let i = 1; i < audioDts.length; i++) expect(Math.abs(audioDts[i]! - audioDts[i - 1]! - 1024 / 44100)).toBeLessThan(0.0016);
    expect(probed.duration).toBeGreaterThan(3.9);
    expect(probed.duration).toBeLessThan(4.2);
  });
});

test('a gap between files is closed up: timestamps stay continuous', async () => {
  const segments = record('fmp4');
  // the publisher "restarted": the last three files were recorded a minute later
  const moved = segments.map((s, i) => (i >= 3 ? { ...s, startMs: s.startMs + 60_000 } : s));
  const { bytes } = exportMp4(moved, WALL_START, WALL_START + 70_000);
  const probed = await probePackets(bytes, 'export-gap.mp4');
  const video = probed.packets.filter((p) => p.codec_type === 'video');
  expect(video.length).toBe(150);
  expectContinuous(video.map((p) => Number(p.dts_time)), 0.04);
});

test('a codec change inside the range is refused with the time', () => {
  const fmp4 = record('fmp4').slice(0, 2);
  const media = fmp4.map((s) => readRecordedFile(s.bytes, s.format));
  const files: ExportFile[] = fmp4.map((s, i) => ({ startMs: s.startMs, durationMs: s.durationMs, format: s.format, tracks: media[i]!.tracks, samples: exportSamples(media[i]!.samples) }));
  const changed = { ...files[1]!, tracks: files[1]!.tracks.map((t) => (t.kind === 'video' ? { ...t, config: new Uint8Array([1, 2, 3]) } : t)) };
  let caught: unknown;
  try {
    planMp4Export([files[0]!, changed], WALL_START, WALL_START + 2000);
  } catch (err) {
    caught = err;
  }
  expect(isProtocolError(caught)).toBe(true);
  expect((caught as Error).message).toContain('codecs change at 2025-12-05T00:00:01.000Z');
});
