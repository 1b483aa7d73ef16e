// AdmissionCache on its own: the fresh life, the bounded stale life, an answer's own maximum age,
// and a clear (new configuration revision) that no answer asked for before it survives.
import { describe, expect, test } from 'bun:test';
import { AdmissionCache } from '../../src/engine/control-link/admission-cache.ts';

const ALLOW = { allow: true } as const;
const limits = { maxEntries: 3, maxTtlMs: 60_000, maxStaleMs: 600_000 };

describe('AdmissionCache', () => {
  test('fresh for the answer cacheTtlMs, capped by maxTtlMs; usable until maxStaleMs after the answer', () => {
    const cache = new AdmissionCache(limits);
    cache.remember('a', ALLOW, { cacheTtlMs: 5000 }, 1000, cache.generation);
    cache.remember('b', ALLOW, { cacheTtlMs: 3_600_000 }, 1000, cache.generation);
    expect(cache.fresh('a', 5999)).toEqual(ALLOW);
    expect(cache.fresh('a', 6000)).toBeNull();
    expect(cache.fresh('b', 60_999)).toEqual(ALLOW);
    expect(cache.fresh('b', 61_000)).toBeNull();
    expect(cache.usable('a', 600_999)).toEqual(ALLOW);
    expect(cache.usable('a', 601_000)).toBeNull();
    expect(cache.usable('a', 1000)).toBeNull(); // an answer too old is forgotten, not kept for later
  });

  test("an answer's maxAgeMs (a signed URL's expiry) bounds both lives", () => {
    const cache = new AdmissionCache(limits);
    cache.remember('signed', ALLOW, { cacheTtlMs: 5000, maxAgeMs: 2000 }, 0, cache.generation);
    expect(cache.fresh('signed', 1999)).toEqual(ALLOW);
    expect(cache.fresh('signed', 2000)).toBeNull();
    expect(cache.usable('signed', 1999)).toEqual(ALLOW);
    expect(cache.usable('signed', 2000)).toBeNull();
    cache.remember('expired', ALLOW, { cacheTtlMs: 5000, maxAgeMs: -5 }, 0, cache.generation);
    expect(cache.fresh('expired', 0)).toBeNull();
    expect(cache.usable('expired', 0)).toBeNull();
  });

  test('clear() drops every answer, and an answer asked for before it is not remembered after it', () => {
    const cache = new AdmissionCache(limits);
    cache.remember('a', ALLOW, { cacheTtlMs: 5000 }, 0, cache.generation);
    const asked = cache.generation;
    cache.clear();
    expect(cache.usable('a', 1)).toBeNull();
    expect(cache.remember('late', ALLOW, { cacheTtlMs: 5000 }, 1, asked)).toBe(false);
    expect(cache.usable('late', 2)).toBeNull();
    expect(cache.remember('now', ALLOW, { cacheTtlMs: 5000 }, 1, cache.generation)).toBe(true);
  });

  test('holds at most maxEntries, dropping the least recently answered', () => {
    const cache = new AdmissionCache(limits);
    for (const key of ['a', 'b', 'c']) cache.remember(key, ALLOW, { cacheTtlMs: 5000 }, 0, cache.generation);
    cache.remember('a', ALLOW, { cacheTtlMs: 5000 }, 0, cache.generation); // answered again: newest
    cache.remember('d', ALLOW, { cacheTtlMs: 5000 }, 0, cache.generation);
    expect(cache.size).toBe(3);
    expect(cache.fresh('b', 1)).toBeNull();
    expect(cache.fresh('a', 1)).toEqual(ALLOW);
  });
});
