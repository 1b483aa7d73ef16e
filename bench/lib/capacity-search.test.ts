import { describe, expect, test } from 'bun:test';
import { searchCapacity, type CapacityOutcome } from './capacity-search.ts';

/** a fake engine that passes up to `limit`, and the counts it was asked for */
function engine(limit: number, clientLimitedFrom = Number.POSITIVE_INFINITY) {
  const asked: number[] = [];
  const measure = async (n: number): Promise<CapacityOutcome> => {
    asked.push(n);
    return { pass: n <= limit && n < clientLimitedFrom, clientLimited: n >= clientLimitedFrom };
  };
  return { asked, measure };
}

describe('searchCapacity', () => {
  test('stops at the first failing count, then bisects to within 10%', async () => {
    const e = engine(150);
    const r = await searchCapacity([50, 100, 200, 400], e.measure, { keepGoing: false, bisect: true });
    expect(e.asked).toEqual([50, 100, 200, 150, 175, 162]);
    expect(r).toEqual({ sustained: 150, firstFail: 162 });
  });

  test('without bisect: the list only', async () => {
    const e = engine(150);
    expect(await searchCapacity([50, 100, 200, 400], e.measure, { keepGoing: false, bisect: false })).toEqual({ sustained: 100, firstFail: 200 });
    expect(e.asked).toEqual([50, 100, 200]);
  });

  test('keepGoing measures the whole list; firstFail stays the first failure', async () => {
    const e = engine(100);
    expect(await searchCapacity([50, 200, 100], e.measure, { keepGoing: true, bisect: false })).toEqual({ sustained: 100, firstFail: 200 });
    expect(e.asked).toEqual([50, 200, 100]);
  });

  test('no count failed: firstFail 0, the highest count sustained', async () => {
    const e = engine(1000);
    expect(await searchCapacity([1, 8, 16], e.measure, { keepGoing: false, bisect: true })).toEqual({ sustained: 16, firstFail: 0 });
    expect(e.asked).toEqual([1, 8, 16]);
  });

  test('the first count fails: nothing to bisect between', async () => {
    const e = engine(10);
    expect(await searchCapacity([50, 100], e.measure, { keepGoing: false, bisect: true })).toEqual({ sustained: 0, firstFail: 50 });
    expect(e.asked).toEqual([50]);
  });

  test('no bisection after a client-limited failure: it says nothing of the engine', async () => {
    const e = engine(1000, 200);
    expect(await searchCapacity([100, 200], e.measure, { keepGoing: false, bisect: true })).toEqual({ sustained: 100, firstFail: 200 });
    expect(e.asked).toEqual([100, 200]);
  });
});
