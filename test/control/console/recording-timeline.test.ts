// The recordings page's timeline layout and time parsing: hour rows for a few hours, day rows past
// that, ranges cut at row edges, empty rows kept for gaps, the newest rows kept when there are many.
import { expect, test } from 'bun:test';
import { formatConsoleTime, parseConsoleTime, timelineRows } from '../../../src/control/console/recording-timeline.ts';

const T0 = Date.UTC(2026, 11, 5);
const H = 3_600_000;
const r = (startMs: number, endMs: number) => ({ startMs, endMs, segments: 1, sizeBytes: 1 });

test('within 6 h: hour rows; a range across an hour edge is cut into two bars of the same range', () => {
  const t = timelineRows([r(T0 + 0.5 * H, T0 + 1.25 * H), r(T0 + 3 * H, T0 + 3.5 * H)]);
  expect(t.unit).toBe('hour');
  expect(t.rows.map((row) => row.startMs)).toEqual([T0, T0 + H, T0 + 2 * H, T0 + 3 * H]);
  expect(t.rows[0]!.bars).toEqual([{ range: 0, startMs: T0 + 0.5 * H, endMs: T0 + H, x: 0.5, width: 0.5 }]);
  expect(t.rows[1]!.bars).toEqual([{ range: 0, startMs: T0 + H, endMs: T0 + 1.25 * H, x: 0, width: 0.25 }]);
  expect(t.rows[2]!.bars).toEqual([]); // the gap
  expect(t.rows[3]!.bars.map((b) => b.range)).toEqual([1]);
});

test('past 6 h: day rows, with empty days kept; a range ending on midnight adds no row', () => {
  const t = timelineRows([r(T0 + 23 * H, T0 + 24 * H), r(T0 + 72 * H + 6 * H, T0 + 72 * H + 12 * H)]);
  expect(t.unit).toBe('day');
  expect(t.rows.map((row) => row.startMs)).toEqual([T0, T0 + 24 * H, T0 + 48 * H, T0 + 72 * H]);
  expect(t.rows[0]!.bars[0]).toMatchObject({ x: 23 / 24, width: 1 / 24 });
  expect(t.rows[1]!.bars).toEqual([]);
  expect(t.rows[3]!.bars[0]).toMatchObject({ x: 0.25, width: 0.25, range: 1 });
});

test('many days: the newest rows are kept and the timeline says it is cut; empty and bad ranges give no rows', () => {
  const t = timelineRows([r(T0, T0 + H), r(T0 + 100 * 24 * H, T0 + 100 * 24 * H + H)], 10);
  expect(t.truncated).toBe(true);
  expect(t.rows).toHaveLength(10);
  expect(t.rows.at(-1)!.startMs).toBe(T0 + 100 * 24 * H);
  expect(timelineRows([])).toEqual({ unit: 'day', rows: [], truncated: false });
  expect(timelineRows([r(T0, T0)]).rows).toEqual([]);
});

test('times: UNIX ms or a UTC date and time, read back from what the page shows', () => {
  expect(parseConsoleTime(String(T0))).toBe(T0);
  expect(parseConsoleTime('2026-12-05 00:00:00Z')).toBe(T0);
  expect(parseConsoleTime('2026-12-05T01:02')).toBe(T0 + H + 2 * 60_000);
  expect(parseConsoleTime(' 2026-12-05 00:00:01.5 UTC ')).toBe(T0 + 1500);
  for (const bad of ['', 'now', '2026-12-05', '2026-13-05 00:00:00', '2026-12-05 00:00:00+08:00', '1e12']) expect(parseConsoleTime(bad)).toBeNull();
  for (const ms of [T0, T0 + 1234]) expect(parseConsoleTime(formatConsoleTime(ms))).toBe(ms);
  expect(formatConsoleTime(T0)).toBe('2026-12-05 00:00:00Z');
  expect(formatConsoleTime(T0 + 5)).toBe('2026-12-05 00:00:00.005Z');
});
