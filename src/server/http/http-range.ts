// HTTP Range requests over one file (RFC 9110 §14): a single byte range (first-last, first-, -suffix)
// is answered 206, one that starts past the end 416; anything else (no header, another unit, several
// ranges, bad syntax) is ignored and the whole file goes out with 200, as §14.2 allows.
export type RangeRequest =
  | Readonly<{ kind: 'whole' }>
  | Readonly<{ kind: 'range'; start: number; /** inclusive */ end: number }>
  | Readonly<{ kind: 'unsatisfiable' }>;

const SINGLE_RANGE = /^bytes[ \t]*=[ \t]*(\d*)-(\d*)[ \t]*$/i;

export function parseRange(header: string | null, sizeBytes: number): RangeRequest {
  if (header === null) return { kind: 'whole' };
  const match = SINGLE_RANGE.exec(header);
  if (!match) return { kind: 'whole' };
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || sizeBytes === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, sizeBytes - suffix), end: sizeBytes - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return { kind: 'whole' };
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= sizeBytes) return { kind: 'unsatisfiable' };
  const end = last === '' ? sizeBytes - 1 : Number(last);
  return { kind: 'range', start, end: Math.min(end, sizeBytes - 1) };
}
