// How the LL-HLS output cuts parts, and the hold-back it advertises: parts end at the frame
// boundary nearest the part target, a keyframe starts a part when the part before it keeps the
// 85% floor (rfc8216bis §4.4.4.9), and PART-HOLD-BACK is three part targets, no more.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { HlsOutput } from '../../src/outputs/hls/hls-output.ts';
import type { HlsVariant } from '../../src/outputs/hls/hls-variant.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';

const tags = new FlvReader().push(new Uint8Array(readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'))));
const videoTags = tags.filter((t) => t.tagType === 9);
const sequenceHeader = videoTags.find((t) => classifyTag(9, t.body).header)!.body;
const keyframe = videoTags.find((t) => { const c = classifyTag(9, t.body); return !c.header && c.keyframe; })!.body;
const inter = videoTags.find((t) => { const c = classifyTag(9, t.body); return !c.header && !c.keyframe && c.video?.kind === 'frame'; })!.body;

/** Video only: `frames` frames at `fps` (millisecond timestamps, as RTMP carries them), a keyframe where `isKey` says. */
/** `wallClock`: what the server's clock reads when a frame with this timestamp arrives */
function publish(partTargetMs: number, fps: number, frames: number, isKey: (i: number) => boolean, wallClock: (mediaMs: number) => number = () => Date.now()): HlsVariant {
  let arriving = 0;
  const stream = new LiveStream('live', 'parts', { maxPackets: 100_000, maxBytes: 256 << 20 });
  const output = new HlsOutput(
    stream,
    { classic: false, lowLatency: true, targetDurationMs: 2000, partTargetMs, windowSegments: 6, maxSegmentMs: 30_000, maxSegmentBytes: 64 << 20, maxPartBytes: 8 << 20, maxWindowBytes: 256 << 20 },
    createLogger({ level: 'error', sink: () => {} }),
    () => wallClock(arriving),
  );
  stream.addReader(output);
  stream.attachPublisher({ id: 'p', kick() {} }, 0);
  const send = (body: Uint8Array, ms: number) => stream.ingest({ type: 9, timestampMs: ms, body, ...classifyTag(9, body) });
  send(sequenceHeader, 0);
  for (let i = 0; i < frames; i++) {
    arriving = Math.round((i * 1000) / fps);
    send(isKey(i) ? keyframe : inter, arriving);
  }
  return output.ll!;
}

function partInfo(variant: HlsVariant) {
  const playlist = variant.playlist(false);
  const target = Number(/PART-TARGET=([\d.]+)/.exec(playlist)![1]);
  const holdBack = Number(/PART-HOLD-BACK=([\d.]+)/.exec(playlist)![1]);
  return { playlist, target, holdBack };
}

/** Every complete segment's parts obey rfc8216bis §4.4.4.9 against the advertised PART-TARGET. */
function expectPartDurationsValid(variant: HlsVariant, target: number): void {
  for (const segment of variant.segments) {
    segment.parts.forEach((part, i) => {
      expect(part.durationSec).toBeLessThanOrEqual(target + 1e-9);
      const exempt = part.independent || i === segment.parts.length - 1;
      if (!exempt) expect(part.durationSec).toBeGreaterThanOrEqual(0.85 * target);
    });
  }
}

describe('LL-HLS parts', () => {
  test('PART-HOLD-BACK is three part targets, no one-second floor: 0.48 s at the default 150 ms and 25 fps', () => {
    expect(DEFAULT_ENGINE_CONFIG.hls.partTargetMs).toBe(150);
    // 25 fps: parts of 4 frames, the frame boundary nearest 150 ms
    const byDefault = partInfo(publish(DEFAULT_ENGINE_CONFIG.hls.partTargetMs, 25, 200, (i) => i % 25 === 0));
    expect(byDefault.target).toBe(0.16);
    expect(byDefault.holdBack).toBeCloseTo(0.48, 6);
    const variant = publish(200, 25, 200, (i) => i % 25 === 0);
    const { target, holdBack } = partInfo(variant);
    expect(target).toBe(0.2);
    expect(holdBack).toBeCloseTo(0.6, 6);
    expect(variant.playlist(false)).toContain('PART-HOLD-BACK=0.6,');
  });

  test('at 29.97 fps a 200 ms target gives 6-frame parts, never parts short of 85% of PART-TARGET', () => {
    const variant = publish(200, 30000 / 1001, 300, (i) => i % 30 === 0);
    const { target, holdBack } = partInfo(variant);
    expect(target).toBeGreaterThanOrEqual(0.2);
    expect(target).toBeLessThan(0.21);
    expect(holdBack).toBeCloseTo(3 * target, 5);
    expectPartDurationsValid(variant, target);
  });

  test('at 24 fps a 200 ms target gives 5-frame parts (PART-TARGET about 0.208), all valid', () => {
    const variant = publish(200, 24, 240, (i) => i % 24 === 0);
    const { target } = partInfo(variant);
    expect(target).toBeGreaterThanOrEqual(0.208); // 5 frames of 41.7 ms, on millisecond timestamps
    expect(target).toBeLessThan(0.21);
    expectPartDurationsValid(variant, target);
  });

  test('with a 1 s GOP at 25 and 30 fps every keyframe starts an INDEPENDENT part', () => {
    for (const fps of [25, 30]) {
      const variant = publish(200, fps, fps * 8, (i) => i % fps === 0);
      const segments = variant.segments;
      expect(segments.length).toBeGreaterThanOrEqual(3);
      for (const segment of segments) {
        // a 2 s segment of a 1 s GOP: parts 0 and 5 start on keyframes
        expect(segment.parts.map((p) => p.independent)).toEqual([true, false, false, false, false, true, false, false, false, false]);
      }
    }
  });

  test('a keyframe off the part cadence starts a part when the part before it keeps the 85% floor', () => {
    // 60 fps, 12-frame parts; a keyframe at frame 71 follows an 11-frame part (183 ms, 92%)
    const variant = publish(200, 60, 200, (i) => i === 0 || i === 71 || i === 180);
    const first = variant.segments[0]!;
    const startsAtKeyframe = first.parts.map((p) => p.independent);
    expect(startsAtKeyframe.filter(Boolean).length).toBe(2);
    expect(startsAtKeyframe[6]).toBe(true); // parts 0-5 hold frames 0-70 (5 x 12 + 11)
    const { target } = partInfo(variant);
    expectPartDurationsValid(variant, target);
  });

  test('EXT-X-PROGRAM-DATE-TIME follows the media clock: dates differ by exactly the durations, whatever the arrival jitter', () => {
    // frames arrive up to 40 ms early or late, as keyframes do over a real network
    const wall = 1_700_000_000_000;
    const variant = publish(200, 25, 25 * 12, (i) => i % 25 === 0, (ms) => wall + ms + ((ms * 7919) % 81) - 40);
    const segments = variant.segments;
    expect(segments.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < segments.length; i++) {
      const prev = segments[i - 1]!;
      expect(segments[i]!.programDateTimeMs - prev.programDateTimeMs).toBe(Math.round(prev.durationSec * 1000));
    }
  });

  test('a clock that drifts away from the media by more than a second is anchored again', () => {
    // the publisher's clock runs 20% slow against ours
    const variant = publish(200, 25, 25 * 12, (i) => i % 25 === 0, (ms) => 1_700_000_000_000 + ms * 1.2);
    const segments = variant.segments;
    const last = segments[segments.length - 1]!;
    const mediaSpan = segments.slice(0, -1).reduce((n, s) => n + s.durationSec * 1000, 0);
    // anchored again: the last date is not the first plus the media time alone, nor a second off the wall clock
    expect(last.programDateTimeMs - segments[0]!.programDateTimeMs).toBeGreaterThan(mediaSpan + 1000);
    let startMs = 0;
    for (const segment of segments) {
      expect(Math.abs(segment.programDateTimeMs - (1_700_000_000_000 + startMs * 1.2))).toBeLessThanOrEqual(1000);
      startMs += segment.durationSec * 1000;
    }
  });
});
