// Recorded fMP4 files as HLS parts: the init is the file up to its moof, and the media part's
// tfdt moves to the file's wall-clock start, so back-to-back files join on one timeline (what
// look-back playlists rely on). Checked on files cut from a real ffmpeg FLV, and with ffprobe.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { concatBytes } from '../../src/media/bytes.ts';
import { placeRecordedFmp4, splitRecordedFmp4 } from '../../src/record/recorded-fmp4.ts';
import { type CompletedSegment, SegmentCutter } from '../../src/record/segment-cutter.ts';
import { parseFmp4Init, parseFmp4Segment } from '../../src/remux/fmp4-demuxer.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { run, tempDir } from '../e2e/harness.ts';
import { encodeTestFlv } from './test-flv.ts';

const WALL_START = 1_764_892_800_000;
let dir: { path: string; remove(): void };
let segments: CompletedSegment[];

beforeAll(async () => {
  dir = tempDir();
  const cutter = new SegmentCutter({ format: 'fmp4', segmentDurationMs: 1000, maxSegmentBytes: 64 << 20 });
  segments = [];
  for (const t of new FlvReader().push(await encodeTestFlv(dir.path, 4, { bFrames: 2 }))) {
    const packet = { type: t.tagType as 8 | 9 | 18, timestampMs: t.timestampMs, body: t.body, header: false, randomAccess: false, discontinuity: false };
    segments.push(...cutter.push(packet, WALL_START + t.timestampMs));
  }
  segments.push(...cutter.flush());
});
afterAll(() => dir.remove());

test('init is ftyp + moov; media starts with moof and its frames move by the start in each timescale', () => {
  expect(segments.length).toBeGreaterThanOrEqual(3);
  const second = segments[1]!;
  const { init, media } = splitRecordedFmp4(second.bytes);
  expect(new TextDecoder().decode(init.subarray(4, 8))).toBe('ftyp');
  expect(new TextDecoder().decode(media.subarray(4, 8))).toBe('moof');
  const parsed = parseFmp4Init(init);
  const original = parseFmp4Segment(media, parsed);
  const placed = parseFmp4Segment(placeRecordedFmp4(second.bytes, second.startMs), parsed);
  expect(placed.length).toBe(original.length);
  for (const track of parsed.tracks) {
    const offset = Math.round((second.startMs * track.timescale) / 1000);
    const before = original.filter((f) => f.trackId === track.trackId);
    const after = placed.filter((f) => f.trackId === track.trackId);
    expect(after.map((f) => f.dts)).toEqual(before.map((f) => f.dts + offset));
    expect(after.map((f) => f.pts - f.dts)).toEqual(before.map((f) => f.pts - f.dts));
  }
  // the file itself is left as it was
  expect(parseFmp4Segment(splitRecordedFmp4(second.bytes).media, parsed)).toEqual(original);
});

test('placed files join end to end: one init and the placed media decode with continuous timestamps', async () => {
  const init = splitRecordedFmp4(segments[0]!.bytes).init;
  const joined = concatBytes([init, ...segments.map((s) => placeRecordedFmp4(s.bytes, s.startMs))]);
  const path = join(dir.path, 'joined.mp4');
  writeFileSync(path, joined);
  const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', path, '-f', 'null', '-']);
  expect(decoded.stderr).toBe('');
  const probed = await run(['ffprobe', '-v', 'error', '-of', 'json', '-select_streams', 'v', '-show_entries', 'packet=dts_time', '-show_packets', path]);
  const dts = (JSON.parse(probed.stdout) as { packets: Array<{ dts_time: string }> }).packets.map((p) => Number(p.dts_time));
  expect(dts.length).toBeGreaterThanOrEqual(95);
  for (let i = 1; i < dts.length; i++) expect(dts[i]! - dts[i - 1]!).toBeCloseTo(0.04, 2); // 25 fps, no jump at any file boundary
  expect(dts[0]!).toBeCloseTo(WALL_START / 1000, 1);
});

test('a file that is not a recording is a ProtocolError', () => {
  for (const bytes of [new Uint8Array(0), new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]), segments[0]!.bytes.subarray(0, 40)]) {
    let caught: unknown;
    try {
      placeRecordedFmp4(bytes, WALL_START);
    } catch (err) {
      caught = err;
    }
    expect(isProtocolError(caught)).toBe(true);
  }
});
