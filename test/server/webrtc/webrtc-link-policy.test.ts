// The WHEP viewer's link policy on a fake clock and a synthetic stream (33 fps video, a keyframe a second, ~1.1
// Mbit/s of video and 40 kbit/s of audio): a viewer whose REMB stays under the video rate, or whose loss stays high,
// is degraded to audio and keyframes, goes back to full video only at a keyframe once REMB clears the rate with
// headroom, waits longer after a relapse, and is cut off when even audio and keyframes exceed what its REMB says the
// link carries. A browser's REMB warming up (starting low and climbing) is left alone.
import { describe, expect, test } from 'bun:test';
import { WebRtcLinkPolicy, type WebRtcLinkAction } from '../../../src/server/webrtc/webrtc-link-policy.ts';

const FRAME_BYTES = 4000;
const KEYFRAME_BYTES = 12_000;
const AUDIO_BYTES = 100;

type Feed = { remb?: (ms: number) => number | null; loss?: (ms: number) => number };

/** Runs the stream from `fromMs` to `toMs` through the policy the way the viewer does; returns what it did. */
function run(policy: WebRtcLinkPolicy, fromMs: number, toMs: number, feed: Feed) {
  const actions: { atMs: number; action: WebRtcLinkAction }[] = [];
  let videoSent = 0;
  let videoSkipped = 0;
  let audioSent = 0;
  for (let ms = fromMs; ms < toMs; ms += 10) {
    if (ms % 200 === 0) {
      const remb = feed.remb?.(ms);
      if (remb != null) policy.onRemb(ms, remb);
      policy.onReport(ms, feed.loss?.(ms) ?? 0);
    }
    const frames: { video: boolean; key: boolean; bytes: number }[] = [];
    if (ms % 30 === 0) frames.push({ video: true, key: ms % 990 === 0, bytes: ms % 990 === 0 ? KEYFRAME_BYTES : FRAME_BYTES });
    if (ms % 20 === 0) frames.push({ video: false, key: false, bytes: AUDIO_BYTES });
    for (const f of frames) {
      policy.offered(ms, f.bytes, f.video);
      const action = policy.decide(ms, f.key);
      if (action !== 'none') actions.push({ atMs: ms, action });
      if (action === 'cut-off') return { actions, videoSent, videoSkipped, audioSent };
      if (f.video && policy.degraded && !f.key) {
        videoSkipped++;
        continue;
      }
      if (f.video) videoSent++;
      else audioSent++;
      for (let b = 0; b < f.bytes; b += 1200) policy.sent(ms, Math.min(1200, f.bytes - b));
    }
  }
  return { actions, videoSent, videoSkipped, audioSent };
}

describe('WebRTC link policy', () => {
  test('a link whose REMB covers the stream is never degraded', () => {
    const policy = new WebRtcLinkPolicy();
    const r = run(policy, 0, 30_000, { remb: () => 3_000_000 });
    expect(r.actions).toEqual([]);
    expect(r.videoSkipped).toBe(0);
    const s = policy.state(30_000);
    expect(s.videoBps).toBeGreaterThan(1_000_000);
    expect(s.videoBps).toBeLessThan(1_200_000);
    expect(s.offeredBps - s.videoBps).toBeGreaterThan(35_000); // audio: 50 frames of 100 bytes a second
    expect(s.offeredBps - s.videoBps).toBeLessThan(45_000);
  });

  test('REMB under the video rate: degraded after the warm-up and hold, keeps audio and keyframes, full video again at a keyframe once REMB rises', () => {
    const policy = new WebRtcLinkPolicy();
    // 600 kbit/s: under the video, over audio and keyframes (~140 kbit/s)
    const low = run(policy, 0, 12_000, { remb: () => 600_000 });
    expect(low.actions.map((a) => a.action)).toEqual(['degrade']);
    // REMB counts 5 s after the first, then stays low for degradeAfterMs
    expect(low.actions[0]!.atMs).toBeGreaterThanOrEqual(7000);
    expect(low.actions[0]!.atMs).toBeLessThan(7200);
    expect(policy.degraded).toBe(true);
    expect(low.videoSkipped).toBeGreaterThan(100);
    expect(low.audioSent).toBe(600);
    const s = policy.state(12_000);
    expect(s.sentBps).toBeLessThan(300_000);

    // REMB just over the video rate is not enough headroom: still degraded
    const edge = run(policy, 12_000, 22_000, { remb: () => 1_200_000 });
    expect(edge.actions).toEqual([]);
    expect(policy.degraded).toBe(true);

    const high = run(policy, 22_000, 32_000, { remb: () => 5_000_000 });
    expect(high.actions.map((a) => a.action)).toEqual(['full-video']);
    const back = high.actions[0]!.atMs;
    expect(back % 990).toBe(0); // only at a keyframe
    expect(back).toBeGreaterThanOrEqual(25_000); // after the hold
    expect(back).toBeLessThan(27_000);
    expect(policy.degraded).toBe(false);
  });

  test('a REMB that starts under the video rate and climbs (a browser estimator warming up) is left alone', () => {
    const policy = new WebRtcLinkPolicy();
    // Chromium on loopback: its first REMB near 0.75 of what it receives, then up by ~8% a second
    const r = run(policy, 0, 30_000, { remb: (ms) => 850_000 * 1.08 ** (ms / 1000) });
    expect(r.actions).toEqual([]);
    expect(r.videoSkipped).toBe(0);
  });

  test('high loss degrades without REMB; low loss brings full video back', () => {
    const policy = new WebRtcLinkPolicy();
    const lossy = run(policy, 0, 8000, { loss: () => 0.15 });
    expect(lossy.actions.map((a) => a.action)).toEqual(['degrade']);
    const clean = run(policy, 8000, 16_000, { loss: () => 0 });
    expect(clean.actions.map((a) => a.action)).toEqual(['full-video']);
  });

  test('NACKs against the packets sent count as loss', () => {
    const policy = new WebRtcLinkPolicy();
    let degradedAt: number | null = null;
    for (let ms = 0; ms < 8000 && degradedAt === null; ms += 20) {
      policy.offered(ms, 2000, true);
      policy.sent(ms, 1000);
      policy.sent(ms, 1000);
      if (ms % 100 === 0) policy.onNack(ms, 2); // ~20% of the packets
      if (policy.decide(ms, false) === 'degrade') degradedAt = ms;
    }
    expect(degradedAt).not.toBeNull();
    expect(policy.state(degradedAt!).loss).toBeGreaterThan(0.1);
  });

  test('a relapse soon after full video doubles the hold before the next try', () => {
    const policy = new WebRtcLinkPolicy();
    run(policy, 0, 9000, { remb: () => 500_000 });
    expect(policy.degraded).toBe(true);
    const first = run(policy, 9000, 19_000, { remb: () => 5_000_000 }).actions.find((a) => a.action === 'full-video')!;
    run(policy, first.atMs + 10, first.atMs + 6000, { remb: () => 500_000 });
    expect(policy.degraded).toBe(true);
    const from = first.atMs + 6000;
    const second = run(policy, from, from + 20_000, { remb: () => 5_000_000 }).actions.find((a) => a.action === 'full-video')!;
    // the first hold was 3 s, this one 6 s
    expect(second.atMs - from).toBeGreaterThanOrEqual(6000);
  });

  test('a link that cannot carry even audio and keyframes is cut off', () => {
    const policy = new WebRtcLinkPolicy();
    const r = run(policy, 0, 30_000, { remb: () => 60_000 });
    expect(r.actions.map((a) => a.action)).toEqual(['degrade', 'cut-off']);
    const [degrade, cutOff] = r.actions;
    expect(cutOff!.atMs - degrade!.atMs).toBeGreaterThanOrEqual(10_000);
    expect(cutOff!.atMs - degrade!.atMs).toBeLessThan(12_500);
  });

  test('stale feedback stops counting: a viewer whose REMB went quiet is not kept degraded by it', () => {
    const policy = new WebRtcLinkPolicy();
    run(policy, 0, 9000, { remb: () => 500_000 });
    expect(policy.degraded).toBe(true);
    const r = run(policy, 9000, 20_000, {});
    expect(r.actions.map((a) => a.action)).toEqual(['full-video']);
  });

  test('an audio-only stream is never degraded (there is no video to drop), whatever the loss', () => {
    const policy = new WebRtcLinkPolicy();
    for (let ms = 0; ms < 20_000; ms += 20) {
      policy.offered(ms, 100, false);
      policy.sent(ms, 100);
      if (ms % 200 === 0) policy.onReport(ms, 0.5);
      expect(policy.decide(ms, false)).toBe('none');
    }
  });
});
