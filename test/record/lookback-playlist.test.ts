// Look-back and time-shift playlists of recorded segments, and the query forms that ask for them.
import { describe, expect, test } from 'bun:test';
import {
  buildRangePlaylist,
  buildShiftPlaylist,
  parseRecordedUri,
  recordedInitUri,
  recordedMediaUri,
  selectRange,
  type PlaylistSegment,
} from '../../src/record/lookback-playlist.ts';
import { parseLookbackQuery } from '../../src/record/lookback-query.ts';
import type { RecordingFormat } from '../../src/shared/config-protocol.ts';

const T0 = 1_764_892_800_000; // 2025-12-05T00:00:00.000Z

function seg(startMs: number, durationMs: number, format: RecordingFormat = 'fmp4', sizeBytes = 1000): PlaylistSegment {
  return { startMs, durationMs, format, sizeBytes };
}

/** Back-to-back segments of `durationMs` from `startMs`. */
function run(startMs: number, count: number, durationMs = 2000, format: RecordingFormat = 'fmp4'): PlaylistSegment[] {
  return Array.from({ length: count }, (_, i) => seg(startMs + i * durationMs, durationMs, format));
}

const query = (q: string) => parseLookbackQuery(new URLSearchParams(q));

describe('look-back query', () => {
  test('range by end_time or duration, time-shift in seconds, nothing for a live request', () => {
    expect(query(`start_time=${T0}&end_time=${T0 + 5000}`)).toEqual({ ok: true, request: { kind: 'range', startMs: T0, endMs: T0 + 5000 } });
    expect(query(`start_time=${T0}&duration=5000`)).toEqual({ ok: true, request: { kind: 'range', startMs: T0, endMs: T0 + 5000 } });
    expect(query('shifttime=30')).toEqual({ ok: true, request: { kind: 'shift', shiftMs: 30_000, anchorMs: null } });
    expect(query(`shifttime=2.5&weir_anchor=${T0}`)).toEqual({ ok: true, request: { kind: 'shift', shiftMs: 2500, anchorMs: T0 } });
    expect(query('token=abc')).toEqual({ ok: true, request: null });
  });

  test.each([
    ['start_time=abc&end_time=5', 'start_time'],
    [`start_time=${T0}`, "needs 'end_time' or 'duration'"],
    [`start_time=${T0}&end_time=${T0}`, 'after'],
    [`start_time=${T0}&end_time=${T0 + 1}&duration=5`, 'not both'],
    [`start_time=${T0}&duration=0`, 'duration'],
    [`start_time=${T0}&duration=-5`, 'duration'],
    [`end_time=${T0}`, 'need'],
    ['shifttime=0', 'positive'],
    ['shifttime=-3', 'positive'],
    ['shifttime=1e3', 'positive'],
    [`shifttime=3&start_time=${T0}`, 'cannot be combined'],
    [`start_time=${T0}&start_time=${T0}&duration=5`, 'more than once'],
    [`weir_anchor=${T0}`, 'shifttime'],
    ['shifttime=3&weir_anchor=x', 'weir_anchor'],
  ])('%s is refused with a reason', (q, reason) => {
    const parsed = query(q);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe('recorded URIs', () => {
  test('name the file and the part, and nothing else', () => {
    const s = { startMs: T0, durationMs: 2000, format: 'fmp4' as const };
    expect(recordedMediaUri(s)).toBe(`rec-${T0}-2000.m4s`);
    expect(parseRecordedUri(recordedMediaUri(s))).toEqual({ fileName: `${T0}-2000.mp4`, part: 'media' });
    expect(parseRecordedUri(recordedInitUri(s))).toEqual({ fileName: `${T0}-2000.mp4`, part: 'init' });
    expect(parseRecordedUri(`rec-${T0}-2000.ts`)).toEqual({ fileName: `${T0}-2000.ts`, part: 'media' });
    for (const bad of ['rec-../../etc/passwd', `rec-${T0}-2000.mp4`, `rec-${T0}.m4s`, `rec-${T0}-2000.m4s/x`, `seg-1-2.ts`, `rec-a-2.ts`]) {
      expect(parseRecordedUri(bad)).toBeNull();
    }
  });
});

describe('range playlist', () => {
  const segments = [...run(T0, 5), ...run(T0 + 60_000, 3)]; // 0-10 s, a gap, 60-66 s

  test('whole segments overlapping the range, VOD with ENDLIST, PDT on every segment', () => {
    const text = buildRangePlaylist(segments, T0 + 3000, T0 + 7000)!;
    const lines = text.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2']);
    expect(lines).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(lines.at(-1)).toBe('#EXT-X-ENDLIST');
    expect(lines.filter((l) => l.startsWith('rec-'))).toEqual([`rec-${T0 + 2000}-2000.m4s`, `rec-${T0 + 4000}-2000.m4s`, `rec-${T0 + 6000}-2000.m4s`]);
    expect(lines.filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:'))).toEqual([
      '#EXT-X-PROGRAM-DATE-TIME:2025-12-05T00:00:02.000Z',
      '#EXT-X-PROGRAM-DATE-TIME:2025-12-05T00:00:04.000Z',
      '#EXT-X-PROGRAM-DATE-TIME:2025-12-05T00:00:06.000Z',
    ]);
    expect(lines.filter((l) => l.startsWith('#EXT-X-MAP'))).toEqual([`#EXT-X-MAP:URI="rec-${T0 + 2000}-2000.init.mp4"`]);
    expect(text).not.toContain('DISCONTINUITY');
  });

  test('a gap is a DISCONTINUITY with a new EXT-X-MAP', () => {
    const lines = buildRangePlaylist(segments, T0, T0 + 70_000)!.trim().split('\n');
    const at = lines.indexOf('#EXT-X-DISCONTINUITY');
    expect(at).toBeGreaterThan(0);
    expect(lines.filter((l) => l === '#EXT-X-DISCONTINUITY')).toHaveLength(1);
    expect(lines[at + 1]).toBe(`#EXT-X-MAP:URI="rec-${T0 + 60_000}-2000.init.mp4"`);
    expect(lines[at - 1]).toBe(`rec-${T0 + 8000}-2000.m4s`);
    expect(lines.filter((l) => l.startsWith('rec-'))).toHaveLength(8);
  });

  test('rounding of a few ms between back-to-back segments is not a discontinuity; a restart right after is', () => {
    const jitter = [seg(T0, 2001), seg(T0 + 2000, 1999), seg(T0 + 4001, 2000)];
    expect(buildRangePlaylist(jitter, T0, T0 + 6000)).not.toContain('DISCONTINUITY');
    const restarted = [seg(T0, 2000), seg(T0 + 2500, 2000)];
    expect(buildRangePlaylist(restarted, T0, T0 + 6000)).toContain('#EXT-X-DISCONTINUITY');
  });

  test('MPEG-TS recordings: no EXT-X-MAP, version 3, .ts URIs', () => {
    const text = buildRangePlaylist(run(T0, 3, 6000, 'ts'), T0, T0 + 18_000)!;
    expect(text).toContain('#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n');
    expect(text).not.toContain('EXT-X-MAP');
    expect(text).toContain(`#EXTINF:6.0,\nrec-${T0}-6000.ts\n`);
  });

  test('nothing recorded in the range: null', () => {
    expect(buildRangePlaylist(segments, T0 + 20_000, T0 + 50_000)).toBeNull();
    expect(buildRangePlaylist(segments, T0 - 5000, T0)).toBeNull(); // end is exclusive
    expect(buildRangePlaylist([], T0, T0 + 1)).toBeNull();
  });

  test('selection finds the segment the range starts inside, over a day of segments', () => {
    const day = run(T0, 14_400, 6000);
    const picked = selectRange(day, T0 + 43_200_001, T0 + 43_200_002);
    expect(picked).toEqual([seg(T0 + 43_200_000, 6000)]);
  });
});

describe('time-shift playlist', () => {
  const segments = run(T0, 30); // 60 s recorded, 2 s each

  test('trails live: the last segments complete by now - shift, no ENDLIST', () => {
    const shifted = buildShiftPlaylist(segments, { nowMs: T0 + 60_000, shiftMs: 20_000, anchorMs: null, windowSegments: 3 })!;
    const lines = shifted.playlist.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('rec-'))).toEqual([`rec-${T0 + 34_000}-2000.m4s`, `rec-${T0 + 36_000}-2000.m4s`, `rec-${T0 + 38_000}-2000.m4s`]);
    expect(shifted.playlist).not.toContain('ENDLIST');
    expect(shifted.playlist).not.toContain('PLAYLIST-TYPE');
    expect(shifted.firstStartMs).toBe(T0 + 34_000);
    expect(shifted.peakBitsPerSec).toBe(4000); // 1000 bytes in 2 s
  });

  test('media sequence counts from the anchor: one more per segment as the clock moves', () => {
    const anchorMs = T0 + 34_000;
    const msn = (nowMs: number) => /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(buildShiftPlaylist(segments, { nowMs, shiftMs: 20_000, anchorMs, windowSegments: 3 })!.playlist)![1];
    expect(msn(T0 + 60_000)).toBe('0');
    expect(msn(T0 + 61_999)).toBe('0');
    expect(msn(T0 + 62_000)).toBe('1');
    expect(msn(T0 + 70_000)).toBe('5');
    const first = buildShiftPlaylist(segments, { nowMs: T0 + 70_000, shiftMs: 20_000, anchorMs, windowSegments: 3 })!.playlist;
    expect(first).toContain(`#EXT-X-MAP:URI="rec-${T0 + 44_000}-2000.init.mp4"\n#EXT-X-PROGRAM-DATE-TIME:2025-12-05T00:00:44.000Z`);
  });

  test('discontinuity sequence counts the runs passed since the anchor', () => {
    const twoRuns = [...run(T0, 5), ...run(T0 + 30_000, 10)];
    const shifted = buildShiftPlaylist(twoRuns, { nowMs: T0 + 60_000, shiftMs: 10_000, anchorMs: T0, windowSegments: 3 })!;
    expect(shifted.playlist).toContain('#EXT-X-MEDIA-SEQUENCE:12\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n');
    const straddling = buildShiftPlaylist(twoRuns, { nowMs: T0 + 44_000, shiftMs: 10_000, anchorMs: T0, windowSegments: 3 })!;
    expect(straddling.playlist).toContain('#EXT-X-MEDIA-SEQUENCE:4\n');
    expect(straddling.playlist).not.toContain('DISCONTINUITY-SEQUENCE');
    expect(straddling.playlist).toContain(`rec-${T0 + 8000}-2000.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="rec-${T0 + 30_000}-2000.init.mp4"`);
  });

  test('nothing complete by then: null', () => {
    expect(buildShiftPlaylist(segments, { nowMs: T0 + 1000, shiftMs: 500, anchorMs: null })).toBeNull();
    expect(buildShiftPlaylist(segments, { nowMs: T0 + 60_000, shiftMs: 3_600_000, anchorMs: null })).toBeNull();
  });
});
