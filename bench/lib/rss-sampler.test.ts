import { expect, test } from 'bun:test';
import { RssSampler, summarizeRss } from './rss-sampler.ts';

test('summarizeRss: the median of a sawtooth, its top and the last reading', () => {
  const MiB = 1 << 20;
  expect(summarizeRss([72, 76, 80, 86, 74, 78].map((m) => m * MiB))).toEqual({ medianBytes: 77 * MiB, maxBytes: 86 * MiB, lastBytes: 78 * MiB, samples: 6 });
  expect(summarizeRss([3, 1, 2])).toEqual({ medianBytes: 2, maxBytes: 3, lastBytes: 2, samples: 3 });
  expect(summarizeRss([])).toEqual({ medianBytes: 0, maxBytes: 0, lastBytes: 0, samples: 0 });
});

test('RssSampler reads at start, on its interval and at stop, for the pids it was given', async () => {
  // readings 10, 20, 30, ...: the last one is the reading stop() took
  const asked: (readonly number[])[] = [];
  const sampler = new RssSampler([42], 5, (pids) => {
    asked.push(pids);
    return asked.length * 10;
  });
  await Bun.sleep(32);
  const summary = sampler.stop();
  expect(summary.samples).toBeGreaterThanOrEqual(3);
  expect(summary.samples).toBe(asked.length);
  expect(asked.every((p) => p.length === 1 && p[0] === 42)).toBe(true);
  expect(summary.lastBytes).toBe(asked.length * 10);
  expect(summary.maxBytes).toBe(asked.length * 10);
  const n = asked.length;
  expect(sampler.stop().samples).toBe(n + 1); // stopped: no more interval readings, only the one stop() takes
});
