// Segment names, the index rebuilt from them, recorded ranges, and the retention plan.
import { describe, expect, test } from 'bun:test';
import { rebuildIndex, recordedRanges, type RecordedSegment } from '../../src/record/recording-index.ts';
import { planRetention } from '../../src/record/retention-plan.ts';
import { formatSegmentName, formatTempName, parseSegmentName, tempNameOwner } from '../../src/record/segment-name.ts';

const DAY = 86_400_000;

function seg(stream: string, startMs: number, durationMs: number, sizeBytes: number): RecordedSegment {
  return { stream, fileName: formatSegmentName({ startMs, durationMs, format: 'fmp4' }), startMs, durationMs, format: 'fmp4', sizeBytes };
}

describe('segment names', () => {
  test('carry start (UTC ms), duration and format, and parse back', () => {
    const name = formatSegmentName({ startMs: 1_764_892_800_123, durationMs: 6040, format: 'fmp4' });
    expect(name).toBe('1764892800123-6040.mp4');
    expect(parseSegmentName(name)).toEqual({ startMs: 1_764_892_800_123, durationMs: 6040, format: 'fmp4' });
    expect(parseSegmentName('1764892800123-2000.ts')).toEqual({ startMs: 1_764_892_800_123, durationMs: 2000, format: 'ts' });
  });

  test('temporary files, strays and malformed names are not segments', () => {
    for (const name of [formatTempName('abc123', 7), 'index.json', '123.mp4', '-1-2.mp4', '12-3.mp4.tmp', '12-3.MP4', 'a-3.ts', '12-3.ts/x']) {
      expect(parseSegmentName(name)).toBeNull();
    }
    expect(tempNameOwner(formatTempName('abc123', 7))).toBe('abc123');
    expect(tempNameOwner('1-2.mp4')).toBeNull();
  });

  test('refuses values a name cannot carry', () => {
    expect(() => formatSegmentName({ startMs: -1, durationMs: 1, format: 'ts' })).toThrow(RangeError);
    expect(() => formatSegmentName({ startMs: 1.5, durationMs: 1, format: 'ts' })).toThrow(RangeError);
  });
});

describe('index rebuilt from file names', () => {
  test('sorted by start, other files ignored, sizes kept', () => {
    const index = rebuildIndex([
      { stream: 'cam', fileName: '3000-1000.mp4', sizeBytes: 30 },
      { stream: 'cam', fileName: '.rec-x-1.tmp', sizeBytes: 99 },
      { stream: 'cam', fileName: '1000-2000.mp4', sizeBytes: 10 },
      { stream: 'other', fileName: '2000-500.ts', sizeBytes: 20 },
      { stream: 'cam', fileName: 'notes.txt', sizeBytes: 1 },
    ]);
    expect(index.map((s) => [s.stream, s.startMs, s.durationMs, s.format, s.sizeBytes])).toEqual([
      ['cam', 1000, 2000, 'fmp4', 10],
      ['other', 2000, 500, 'ts', 20],
      ['cam', 3000, 1000, 'fmp4', 30],
    ]);
  });

  test('ranges join segments within the gap tolerance and split at a restart', () => {
    const ranges = recordedRanges([seg('a', 0, 2000, 1), seg('a', 2000, 2000, 2), seg('a', 4300, 1000, 4), seg('a', 10_000, 1000, 8)], 500);
    expect(ranges).toEqual([
      { startMs: 0, endMs: 5300, segments: 3, sizeBytes: 7 },
      { startMs: 10_000, endMs: 11_000, segments: 1, sizeBytes: 8 },
    ]);
    expect(recordedRanges([])).toEqual([]);
  });
});

describe('retention plan', () => {
  const now = 100 * DAY;

  test('nothing to do without limits', () => {
    expect(planRetention([seg('a', 0, 1000, 1e9)], now, { retentionDays: 0, quotaBytes: 0 })).toEqual([]);
  });

  test('deletes segments that ended before the retention, whatever the order given', () => {
    const old = seg('a', now - 3 * DAY, 1000, 5);
    const older = seg('b', now - 4 * DAY, 1000, 5);
    const straddling = seg('a', now - 2 * DAY - 500, 1000, 5); // ends inside the retention
    const fresh = seg('a', now - 1000, 1000, 5);
    const plan = planRetention([fresh, old, straddling, older], now, { retentionDays: 2, quotaBytes: 0 });
    expect(plan).toEqual([
      { segment: older, reason: 'age' },
      { segment: old, reason: 'age' },
    ]);
  });

  test('over the quota, the oldest go first until the rest fits, across streams', () => {
    const s = [seg('a', 1000, 1000, 40), seg('b', 2000, 1000, 40), seg('a', 3000, 1000, 40), seg('b', 4000, 1000, 40)];
    const plan = planRetention([...s].reverse(), now, { retentionDays: 0, quotaBytes: 100 });
    expect(plan).toEqual([
      { segment: s[0]!, reason: 'quota' },
      { segment: s[1]!, reason: 'quota' },
    ]);
    expect(planRetention(s, now, { retentionDays: 0, quotaBytes: 160 })).toEqual([]);
  });

  test('age deletions count toward the quota', () => {
    const ancient = seg('a', 0, 1000, 100);
    const s = [seg('a', now - 3000, 1000, 40), seg('a', now - 2000, 1000, 40)];
    const plan = planRetention([ancient, ...s], now, { retentionDays: 1, quotaBytes: 80 });
    expect(plan).toEqual([{ segment: ancient, reason: 'age' }]);
  });
});
