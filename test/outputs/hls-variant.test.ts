// HlsVariant: which LL-HLS parts exist (the answer a blocking reload waits on) and the waiters
// that hold such a reload until the part appears.
import { describe, expect, test } from 'bun:test';
import { HlsVariant } from '../../src/outputs/hls/hls-variant.ts';

const bytes = (n: number) => new Uint8Array(n).fill(7);

function lowLatency(): HlsVariant {
  return new HlsVariant(
    { targetDurationSec: 2, windowSegments: 3, partTargetSec: 0.5 },
    (msn) => `s${msn}.m4s`,
    (msn, i) => `s${msn}.${i}.m4s`,
  );
}

/** a variant with complete segments 0..count-1 of `parts` parts each, and an open segment with `openParts` */
function withSegments(count: number, parts: number, openParts: number): HlsVariant {
  const v = lowLatency();
  for (let msn = 0; msn < count; msn++) {
    v.startSegment(msn * 2000);
    for (let i = 0; i < parts; i++) v.addPart(bytes(10), 0.5, i === 0);
    v.finishSegment(bytes(10 * parts), 0.5 * parts);
  }
  v.startSegment(count * 2000);
  for (let i = 0; i < openParts; i++) v.addPart(bytes(10), 0.5, i === 0);
  return v;
}

describe('HlsVariant.hasPart', () => {
  test('the open segment has exactly the parts added so far, not one more', () => {
    const v = withSegments(1, 4, 2);
    expect(v.hasPart(1, 0)).toBe(true);
    expect(v.hasPart(1, 1)).toBe(true);
    expect(v.hasPart(1, 2)).toBe(false); // the next part: not there yet
    expect(v.hasPart(1, 3)).toBe(false);
    v.addPart(bytes(10), 0.5, false);
    expect(v.hasPart(1, 2)).toBe(true);
    expect(v.hasPart(1, 3)).toBe(false);
  });

  test('an open segment without parts has none', () => {
    const v = withSegments(1, 4, 0);
    expect(v.hasPart(1, 0)).toBe(false);
  });

  test('a complete segment has its parts; past its last part means the next segment\'s first', () => {
    const v = withSegments(2, 4, 0);
    expect(v.hasPart(1, 3)).toBe(true);
    expect(v.hasPart(1, 4)).toBe(false); // = part 0 of segment 2, which has no part yet
    v.addPart(bytes(10), 0.5, true);
    expect(v.hasPart(1, 4)).toBe(true);
    expect(v.hasPart(2, 0)).toBe(true);
    expect(v.hasPart(2, 1)).toBe(false);
  });

  test('segments not yet started have no parts; segments gone from the window count as there', () => {
    const v = withSegments(8, 2, 1);
    expect(v.hasPart(9, 0)).toBe(false);
    expect(v.hasPart(8, 1)).toBe(false);
    const oldest = v.segments[0]!.msn;
    expect(oldest).toBeGreaterThan(0);
    expect(v.hasPart(oldest - 1, 0)).toBe(true);
  });

  test('once ended every part counts as there: blocked requests get the final playlist', () => {
    const v = withSegments(1, 2, 1);
    expect(v.hasPart(5, 0)).toBe(false);
    v.end();
    expect(v.hasPart(5, 0)).toBe(true);
  });
});

describe('HlsVariant.waitUntil', () => {
  test('answers at once when the condition already holds', async () => {
    const v = withSegments(1, 2, 1);
    expect(await v.waitUntil(() => v.hasPart(1, 0), 10)).toBe(true);
  });

  test('holds until the part is added, then answers true', async () => {
    const v = withSegments(1, 2, 1);
    let answer = null as boolean | null;
    const waiting = v.waitUntil(() => v.hasPart(1, 2), 60_000).then((ok) => (answer = ok));
    v.addPart(bytes(10), 0.5, false); // part 1: not the one waited for
    await Promise.resolve();
    expect(answer).toBeNull();
    v.addPart(bytes(10), 0.5, false); // part 2
    await waiting;
    expect(answer).toBe(true);
  });

  test('a finished segment wakes a waiter for the next segment\'s first part only once that part exists', async () => {
    const v = withSegments(1, 2, 2);
    let answer = null as boolean | null;
    const waiting = v.waitUntil(() => v.hasPart(2, 0), 60_000).then((ok) => (answer = ok));
    v.finishSegment(bytes(20), 1);
    v.startSegment(4000);
    await Promise.resolve();
    expect(answer).toBeNull();
    v.addPart(bytes(10), 0.5, true);
    await waiting;
    expect(answer).toBe(true);
  });

  test('answers false at the timeout when nothing arrives', async () => {
    const v = withSegments(1, 2, 1);
    expect(await v.waitUntil(() => v.hasPart(1, 5), 20)).toBe(false);
  });

  test('end wakes waiters; releaseAll answers each with its condition', async () => {
    const v = withSegments(1, 2, 1);
    const ended = v.waitUntil(() => v.ended, 60_000);
    v.end();
    expect(await ended).toBe(true);

    const w = withSegments(1, 2, 1);
    const never = w.waitUntil(() => w.hasPart(1, 9), 60_000);
    const now = w.waitUntil(() => w.hasPart(1, 9) || w.segments.length === 1, 60_000);
    w.releaseAll();
    expect(await never).toBe(false);
    expect(await now).toBe(true);
  });
});
