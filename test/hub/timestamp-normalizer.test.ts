import { describe, expect, test } from 'bun:test';
import { TimestampNormalizer } from '../../src/hub/timestamp-normalizer.ts';

describe('TimestampNormalizer', () => {
  test('keeps the first publisher clock as is', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    expect([0, 40, 80].map((t) => n.normalize(9, t))).toEqual([0, 40, 80]);
    expect(n.normalize(8, 23)).toBe(23);
  });

  test('never goes backwards per packet type', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    expect(n.normalize(9, 1000)).toBe(1000);
    expect(n.normalize(9, 990)).toBe(1000);
    // other types keep their own order: audio a little behind video is fine
    expect(n.normalize(8, 995)).toBe(995);
  });

  test('unwraps the 32-bit RTMP timestamp', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    const nearWrap = 0xffff_ff00;
    expect(n.normalize(9, nearWrap)).toBe(nearWrap);
    expect(n.normalize(9, 0x40)).toBe(0x1_0000_0040);
    // a straggler from before the wrap stays on the old side, clamped per type
    expect(n.normalize(8, 0xffff_ff80)).toBe(0xffff_ff80);
    expect(n.normalize(8, 0x100)).toBe(0x1_0000_0100);
  });

  test('a restarted publisher continues after what viewers last saw', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    n.normalize(9, 5000);
    n.normalize(8, 5020);
    n.startPublisher();
    const first = n.normalize(9, 0);
    expect(first).toBe(5021);
    expect(n.normalize(8, 0)).toBe(5021);
    expect(n.normalize(9, 40)).toBe(5061);
  });

  test('a publisher restarted after a 32-bit wrap continues just after what viewers saw', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    n.normalize(9, 0xffff_ffc0);
    const wrapped = n.normalize(9, 0x40); // crossed the wrap: 2^32 + 0x40
    expect(wrapped).toBe(0x1_0000_0040);
    n.startPublisher();
    // the new publisher's clock has not wrapped: its first packet lands right after the
    // high water mark, not another 2^32 ms later
    const first = n.normalize(9, 1000);
    expect(first).toBeGreaterThan(wrapped);
    expect(first - wrapped).toBeLessThan(1000);
    expect(n.normalize(9, 1040) - first).toBe(40);
    expect(n.normalize(8, 1000) - wrapped).toBeLessThan(1000);
  });
});
