// The look-back and time-shift parameters of an HLS playlist request, in the URL forms users of
// the NVR servers Weir replaces already have: `start_time`/`end_time` (UNIX ms) or
// `start_time`/`duration` (ms) for a recorded range, `shifttime` (seconds) for a live playlist
// that trails live. `weir_anchor` is Weir's own: the time-shift session's first segment, so media
// sequence numbers stay stable across reloads. Pure: a query in, a request or a reason out.

export const LookbackParam = {
  StartTime: 'start_time',
  EndTime: 'end_time',
  Duration: 'duration',
  ShiftTime: 'shifttime',
  Anchor: 'weir_anchor',
} as const;

const PARAMS: ReadonlySet<string> = new Set(Object.values(LookbackParam));

export type LookbackRequest =
  | Readonly<{ kind: 'range'; startMs: number; endMs: number }>
  | Readonly<{ kind: 'shift'; shiftMs: number; anchorMs: number | null }>;

export type LookbackParse = Readonly<{ ok: true; request: LookbackRequest | null }> | Readonly<{ ok: false; reason: string }>;

const UNIX_MS = /^\d{1,15}$/;
const SECONDS = /^\d{1,10}(\.\d{1,3})?$/;

/** Whether a query key belongs to look-back or time-shift (not to who is asking). */
export function isLookbackParam(key: string): boolean {
  return PARAMS.has(key);
}

/** The look-back or time-shift a query asks for; `request: null` when it asks for neither (live). */
export function parseLookbackQuery(search: URLSearchParams): LookbackParse {
  for (const key of PARAMS) if (search.getAll(key).length > 1) return bad(`'${key}' is given more than once`);
  const start = search.get(LookbackParam.StartTime);
  const end = search.get(LookbackParam.EndTime);
  const duration = search.get(LookbackParam.Duration);
  const shift = search.get(LookbackParam.ShiftTime);
  const anchor = search.get(LookbackParam.Anchor);
  if (shift !== null) {
    if (start !== null || end !== null || duration !== null) return bad("'shifttime' cannot be combined with 'start_time', 'end_time' or 'duration'");
    if (!SECONDS.test(shift) || Number(shift) <= 0) return bad("'shifttime' must be a positive number of seconds");
    if (anchor !== null && !UNIX_MS.test(anchor)) return bad("'weir_anchor' must be UNIX milliseconds");
    return { ok: true, request: { kind: 'shift', shiftMs: Math.round(Number(shift) * 1000), anchorMs: anchor === null ? null : Number(anchor) } };
  }
  if (anchor !== null) return bad("'weir_anchor' belongs to a 'shifttime' playlist");
  if (start === null) {
    if (end !== null || duration !== null) return bad("'end_time' and 'duration' need 'start_time'");
    return { ok: true, request: null };
  }
  if (!UNIX_MS.test(start)) return bad("'start_time' must be UNIX milliseconds (an integer)");
  const startMs = Number(start);
  if (end !== null && duration !== null) return bad("give 'end_time' or 'duration', not both");
  if (end === null && duration === null) return bad("'start_time' needs 'end_time' or 'duration'");
  if (end !== null) {
    if (!UNIX_MS.test(end)) return bad("'end_time' must be UNIX milliseconds (an integer)");
    const endMs = Number(end);
    if (endMs <= startMs) return bad("'end_time' must be after 'start_time'");
    return { ok: true, request: { kind: 'range', startMs, endMs } };
  }
  if (!UNIX_MS.test(duration!) || Number(duration) === 0) return bad("'duration' must be a positive integer of milliseconds");
  return { ok: true, request: { kind: 'range', startMs, endMs: startMs + Number(duration) } };
}

function bad(reason: string): LookbackParse {
  return { ok: false, reason };
}
