// Lays out recorded ranges as timeline rows for the recordings page: one row per UTC hour when
// everything fits in a few hours, else one per UTC day, with each range cut at row edges into
// bars placed as fractions of the row. Rows with nothing recorded are kept, so gaps show.
// Pure: (ranges) => rows.

export type RecordedRange = Readonly<{ startMs: number; endMs: number; segments: number; sizeBytes: number }>;

export type TimelineBar = Readonly<{
  /** index of the range in the input, so a click selects the whole range */
  range: number;
  startMs: number;
  endMs: number;
  /** left edge and width as fractions of the row, 0..1 */
  x: number;
  width: number;
}>;

export type TimelineRow = Readonly<{ startMs: number; spanMs: number; bars: readonly TimelineBar[] }>;

export type Timeline = Readonly<{ unit: 'hour' | 'day'; rows: readonly TimelineRow[]; truncated: boolean }>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** at most this many hours end to end are drawn hour by hour */
const HOURLY_UP_TO_MS = 6 * HOUR_MS;

/** rows for the ranges (sorted or not); at most `maxRows`, the newest kept */
export function timelineRows(ranges: readonly RecordedRange[], maxRows = 62): Timeline {
  const usable = ranges
    .map((r, index) => ({ ...r, index }))
    .filter((r) => Number.isFinite(r.startMs) && Number.isFinite(r.endMs) && r.endMs > r.startMs);
  if (usable.length === 0) return { unit: 'day', rows: [], truncated: false };
  const first = Math.min(...usable.map((r) => r.startMs));
  const last = Math.max(...usable.map((r) => r.endMs));
  const unit = last - first <= HOURLY_UP_TO_MS ? 'hour' : 'day';
  const span = unit === 'hour' ? HOUR_MS : DAY_MS;
  const lastRowStart = Math.floor((last - 1) / span) * span;
  let rowStart = Math.floor(first / span) * span;
  const total = (lastRowStart - rowStart) / span + 1;
  const truncated = total > maxRows;
  if (truncated) rowStart = lastRowStart - (maxRows - 1) * span;
  const rows: TimelineRow[] = [];
  for (let start = rowStart; start <= lastRowStart; start += span) {
    const end = start + span;
    const bars: TimelineBar[] = [];
    for (const r of usable) {
      const from = Math.max(r.startMs, start);
      const to = Math.min(r.endMs, end);
      if (to <= from) continue;
      bars.push({ range: r.index, startMs: from, endMs: to, x: (from - start) / span, width: (to - from) / span });
    }
    bars.sort((a, b) => a.startMs - b.startMs);
    rows.push({ startMs: start, spanMs: span, bars });
  }
  return { unit, rows, truncated };
}

/** a time typed in the console: UNIX ms, or a UTC date and time (`2026-01-31 12:00:00[.123][Z]`); null when neither */
export function parseConsoleTime(text: string): number | null {
  const value = text.trim();
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)\s*(?:Z|UTC)?$/i.exec(value);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isFinite(ms) ? ms : null;
}

/** the form the console shows and reads back: `2026-01-31 12:00:00.123Z` (milliseconds only when not zero) */
export function formatConsoleTime(ms: number): string {
  const iso = new Date(ms).toISOString().replace('T', ' ');
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}
