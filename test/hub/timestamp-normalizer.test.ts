import { describe, expect, test } from 'bun:test';
import { LiveStream } from '../../src/hub/live-stream.ts';
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

  // Alike in shape to the tests around it: each feeds its own timestamps, which are what it tests.
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

/** Feeds interleaved video (40 ms) and audio (~23 ms) from `fromMs` for `count` video frames. */
function feed(n: TimestampNormalizer, raw: (ms: number) => number, fromMs: number, count: number) {
  const out: Array<{ type: number; ts: number; jump: boolean }> = [];
  for (let i = 0; i < count; i++) {
    const ms = fromMs + i * 40;
    for (const [type, t] of [[9, ms], [8, ms + 3], [8, ms + 26]] as const) {
      const r = n.map(type, raw(t));
      out.push({ type, ts: r.timestampMs, jump: r.discontinuity });
    }
  }
  return out;
}

/** Every type strictly advances after the first frames, and by at most `maxStepMs` per packet. */
function expectAdvancing(out: Array<{ type: number; ts: number }>, maxStepMs: number) {
  for (const type of [8, 9]) {
    const ts = out.filter((p) => p.type === type).map((p) => p.ts);
    for (let i = 1; i < ts.length; i++) {
      expect(ts[i]! - ts[i - 1]!).toBeGreaterThan(0);
      expect(ts[i]! - ts[i - 1]!).toBeLessThanOrEqual(maxStepMs);
    }
  }
}

describe('TimestampNormalizer: jumps never freeze the timeline', () => {
  test("ffmpeg's FLV 31-bit wrap (2147476352 -> 24) keeps advancing by the frame spacing", () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    const wrap31 = 0x8000_0000;
    const out = feed(n, (ms) => ms % wrap31, wrap31 - 4000, 300); // 4 s before the wrap, 8 s after
    expectAdvancing(out, 60);
    expect(out.filter((p) => p.jump)).toHaveLength(1);
    // the last video frame is 299 frame spacings after the first, give or take one spacing
    const video = out.filter((p) => p.type === 9);
    expect(video.at(-1)!.ts - video[0]!.ts).toBeGreaterThanOrEqual(298 * 40);
  });

  test('the 32-bit wrap is continuous: no discontinuity, exact times', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    const start = 0x1_0000_0000 - 4000;
    const out = feed(n, (ms) => ms % 0x1_0000_0000, start, 300);
    expect(out.some((p) => p.jump)).toBe(false);
    expect(out.filter((p) => p.type === 9).at(-1)!.ts).toBe(start + 299 * 40);
  });

  test('a 6 s backwards jump inside one publish is rebased, not held', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    const before = feed(n, (ms) => ms, 10_000, 100); // 10.0 .. 14.0 s
    const after = feed(n, (ms) => ms, 8_000, 150); // the encoder clock steps back to 8 s
    const out = [...before, ...after];
    expectAdvancing(out, 60);
    expect(out.filter((p) => p.jump)).toHaveLength(1);
    const video = after.filter((p) => p.type === 9);
    expect(new Set(video.map((p) => p.ts)).size).toBe(150); // no frozen frames
    // audio keeps its place beside video after the rebase
    const audio = after.filter((p) => p.type === 8);
    expect(Math.abs(audio.at(-1)!.ts - video.at(-1)!.ts - 26)).toBeLessThanOrEqual(60);
  });

  test('a forward jump over the threshold is rebased; a smaller gap is kept as it is', () => {
    const n = new TimestampNormalizer({ backwardMs: 1000, forwardMs: 10_000 });
    n.startPublisher();
    const out = [...feed(n, (ms) => ms, 0, 50), ...feed(n, (ms) => ms, 3_600_000, 50)];
    expectAdvancing(out, 60);
    expect(out.filter((p) => p.jump)).toHaveLength(1);
    const gap = new TimestampNormalizer();
    gap.startPublisher();
    gap.normalize(9, 0);
    expect(gap.map(9, 5000)).toEqual({ timestampMs: 5000, discontinuity: false });
  });

  test('a straggler of the old clock after another type jumped stays in its place', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    feed(n, (ms) => ms, 10_000, 10);
    const videoJump = n.map(9, 2000);
    expect(videoJump.discontinuity).toBe(true);
    const straggler = n.map(8, 10_000 + 9 * 40 + 30);
    expect(straggler).toEqual({ timestampMs: 10_000 + 9 * 40 + 30, discontinuity: false });
    // then audio follows the video's new clock without a jump of its own
    const audio = n.map(8, 2010);
    expect(audio.discontinuity).toBe(false);
    expect(audio.timestampMs).toBe(videoJump.timestampMs + 10);
  });

  test('a restart forgets the previous unwrap state', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    n.normalize(9, 0xffff_ff00);
    expect(n.normalize(9, 0x40)).toBe(0x1_0000_0040); // wrapped once
    n.startPublisher();
    // the new publisher starts near 2^32 again: no inherited wrap, it continues just after
    expect(n.normalize(9, 0xffff_0000)).toBe(0x1_0000_0041);
    expect(n.normalize(9, 0xffff_0028)).toBe(0x1_0000_0069);
    expect(n.discontinuities).toBe(0);
  });
});

describe('TimestampNormalizer: sequence headers', () => {
  test('a header stamped 0 mid-stream moves no clock: audio and video stay together', () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    feed(n, (ms) => ms, 60_000, 10);
    expect(n.placeHeader(9, 0)).toBe(60_000 + 9 * 40);
    const after = feed(n, (ms) => ms, 60_400, 5);
    expect(after.some((p) => p.jump)).toBe(false);
    expect(after[0]!.ts).toBe(60_400);
  });

  test("ffmpeg's header at 0 before frames near 2^31 does not count as a jump", () => {
    const n = new TimestampNormalizer();
    n.startPublisher();
    expect(n.placeHeader(9, 0)).toBe(0);
    expect(n.map(9, 2147482352)).toEqual({ timestampMs: 2147482352, discontinuity: false });
  });
});

describe('LiveStream timestamps', () => {
  test('a data message stamped 0 mid-stream is no jump; a video jump is marked once', () => {
    const stream = new LiveStream('live', 's', { maxPackets: 100, maxBytes: 1 << 20 });
    const jumps: number[] = [];
    const hooked = new LiveStream('live', 's', { maxPackets: 100, maxBytes: 1 << 20 }, { onTimestampJump: (_s, p) => jumps.push(p.timestampMs) });
    for (const s of [stream, hooked]) s.attachPublisher({ id: 'p', kick() {} }, 0);
    const frame = (s: LiveStream, type: 8 | 9 | 18, ms: number) =>
      s.ingest({ type, timestampMs: ms, body: new Uint8Array([0x27, 1]), header: false, keyframe: false });
    frame(stream, 9, 50_000);
    expect(frame(stream, 18, 0)).toMatchObject({ timestampMs: 50_000, discontinuity: false });
    expect(frame(stream, 9, 50_040).discontinuity).toBe(false);
    expect(stream.counters.timestampJumps).toBe(0);
    frame(hooked, 9, 50_000);
    frame(hooked, 9, 50_040);
    expect(frame(hooked, 9, 100)).toMatchObject({ timestampMs: 50_080, discontinuity: true });
    expect(frame(hooked, 8, 110).discontinuity).toBe(false);
    expect(jumps).toEqual([50_080]);
    expect(hooked.counters.timestampJumps).toBe(1);
  });
});
