// The HLS output holds a bounded amount whatever the publisher sends, and marks timeline jumps.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { hlsMemoryCaps } from '../../src/outputs/hls/hls-memory-caps.ts';
import { HlsOutput, type HlsOutputOptions } from '../../src/outputs/hls/hls-output.ts';
import type { HlsVariant } from '../../src/outputs/hls/hls-variant.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';

const tags = new FlvReader().push(new Uint8Array(readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'))));
const videoTags = tags.filter((t) => t.tagType === 9);
const sequenceHeader = videoTags.find((t) => classifyTag(9, t.body).header)!;
const keyframe = videoTags.find((t) => { const c = classifyTag(9, t.body); return !c.header && c.keyframe; })!;
const interFrames = videoTags.filter((t) => { const c = classifyTag(9, t.body); return !c.header && !c.keyframe; });

const MIB = 1024 * 1024;

function setup(caps: Partial<HlsOutputOptions> = {}) {
  const logs: string[] = [];
  const stream = new LiveStream('live', 'flood', { maxPackets: 8192, maxBytes: 4 * MIB });
  const options: HlsOutputOptions = {
    classic: true,
    lowLatency: true,
    targetDurationMs: 2000,
    partTargetMs: 334,
    windowSegments: 6,
    maxSegmentMs: 20_000,
    maxSegmentBytes: 2 * MIB,
    maxPartBytes: 256 * 1024,
    maxWindowBytes: 8 * MIB,
    ...caps,
  };
  const output = new HlsOutput(stream, options, createLogger({ level: 'debug', sink: (l) => logs.push(l) }));
  stream.addReader(output);
  stream.attachPublisher({ id: 'p', kick() {} }, 0);
  let t = 0;
  const send = (body: Uint8Array, timestampMs: number) => stream.ingest({ type: 9, timestampMs, body, ...classifyTag(9, body) });
  send(sequenceHeader.body, 0);
  return {
    stream,
    output,
    logs,
    keyframe: (ms: number) => send(keyframe.body, ms),
    /** one inter frame, padded to `bytes` with a filler NAL so a flood is cheap to make */
    inter: (ms: number, bytes = 0) => {
      const base = interFrames[t++ % interFrames.length]!.body;
      if (bytes <= base.byteLength) return send(base, ms);
      const body = new Uint8Array(bytes);
      body.set(base);
      // a filler-data NAL (type 12) after the frame's own NALs, length-prefixed like them
      const fillerLength = bytes - base.byteLength - 4;
      new DataView(body.buffer).setUint32(base.byteLength, fillerLength);
      body[base.byteLength + 4] = 12;
      return send(body, ms);
    },
  };
}

/** Memory the variant holds: every distinct buffer once (a finished segment's parts are views of its bytes). */
function heldBytes(variant: HlsVariant): number {
  const buffers = new Map<ArrayBufferLike, number>();
  for (const s of [...variant.segments, ...(variant.open ? [variant.open] : [])]) {
    for (const bytes of [...(s.bytes ? [s.bytes] : []), ...s.parts.map((p) => p.bytes)]) {
      buffers.set(bytes.buffer, Math.max(buffers.get(bytes.buffer) ?? 0, bytes.byteOffset + bytes.byteLength));
    }
  }
  let n = 0;
  for (const size of buffers.values()) n += size;
  return n;
}

describe('HLS output memory caps', () => {
  test('one IDR then only inter frames: segments are cut at the byte cap and the flood is dropped', () => {
    const s = setup();
    s.keyframe(0);
    // 400 MB of inter frames (100 kB each, 40 ms apart, 4.4 hours) with no second keyframe
    let maxHeld = 0;
    for (let i = 1; i <= 4000; i++) {
      s.inter(i * 40, 100_000);
      if (i % 100 === 0) maxHeld = Math.max(maxHeld, heldBytes(s.output.ts!), heldBytes(s.output.ll!));
    }
    expect(s.output.forcedCuts).toBe(1);
    expect(maxHeld).toBeLessThan(2 * 2 * MIB + 200_000); // TS or fMP4: one capped segment plus its parts
    expect(s.output.ts!.segments).toHaveLength(1);
    expect(s.logs.filter((l) => l.includes('cut at its cap')).length).toBe(1);
    // the GOP cache gave up on the endless GOP instead of holding it
    expect(s.stream.gop.length).toBe(0);
    // the next keyframe starts a segment after a discontinuity
    s.keyframe(4001 * 40);
    s.inter(4002 * 40);
    s.keyframe(4100 * 40);
    const playlist = s.output.ts!.playlist(false);
    expect(playlist.match(/#EXT-X-DISCONTINUITY\n/g)?.length).toBe(1);
  });

  test('segments are cut at the duration cap without a keyframe', () => {
    const s = setup({ maxSegmentMs: 5000 });
    s.keyframe(0);
    for (let i = 1; i <= 500; i++) s.inter(i * 40); // 20 s of small inter frames
    expect(s.output.forcedCuts).toBe(1);
    expect(s.output.ts!.segments[0]!.durationSec).toBeLessThanOrEqual(5.04);
  });

  test('frames with one timestamp cannot grow a part or segment past the byte cap', () => {
    const s = setup({ maxSegmentBytes: 1 * MIB, maxPartBytes: 100_000 });
    s.keyframe(1000);
    for (let i = 0; i < 3000; i++) s.inter(1000, 10_000); // 30 MB at a single dts
    const parts = s.output.ll!.segments.flatMap((seg) => seg.parts);
    expect(parts.length).toBeGreaterThanOrEqual(10);
    for (const part of parts) expect(part.bytes.byteLength).toBeLessThan(100_000 + 10_000 + 2000);
    // still a valid playlist: every part lasts a positive time
    expect(s.output.ll!.playlist(false)).toContain('#EXT-X-PART:DURATION=');
    // a finished fMP4 segment is its parts back to back, held once: not twice the cap
    expect(heldBytes(s.output.ll!)).toBeLessThan(1.2 * MIB);
    expect(heldBytes(s.output.ts!)).toBeLessThan(1.2 * MIB);
    expect(s.output.forcedCuts).toBe(1);
  });

  test('the window keeps at most its byte budget, the newest segment always', () => {
    const s = setup({ maxSegmentBytes: 4 * MIB, maxWindowBytes: 6 * MIB });
    for (let gop = 0; gop < 12; gop++) {
      s.keyframe(gop * 2000);
      for (let i = 1; i < 50; i++) s.inter(gop * 2000 + i * 40, 30_000); // 1.5 MB a segment
    }
    s.keyframe(12 * 2000);
    expect(heldBytes(s.output.ts!)).toBeLessThanOrEqual(6 * MIB + 200_000);
    expect(heldBytes(s.output.ll!)).toBeLessThanOrEqual(6 * MIB + 2 * MIB);
    // parts and their segment are counted once: fMP4 keeps as many segments as TS in the same budget
    expect(s.output.ll!.segments.length).toBeGreaterThanOrEqual(s.output.ts!.segments.length);
    expect(s.output.ts!.segments.length).toBeGreaterThanOrEqual(3);
    expect(s.output.ts!.playlist(false)).toContain('#EXTM3U');
  });

  test('a stream that ends frees its GOP cache and open segment', () => {
    const s = setup();
    s.keyframe(0);
    for (let i = 1; i < 20; i++) s.inter(i * 40, 50_000);
    expect(s.stream.gop.length).toBe(20);
    // as when the app is removed or the engine stops: the stream ends before its publisher detaches
    s.stream.end();
    expect(s.stream.gop.length).toBe(0);
    expect(s.output.ts!.open).toBeNull();
    expect(s.output.ll!.open).toBeNull();
    expect(s.output.ts!.ended).toBe(true);
  });

  test('default caps: 96 MiB per stream, split between the variants', () => {
    const caps = hlsMemoryCaps(DEFAULT_ENGINE_CONFIG.hls, { classic: true, lowLatency: true });
    expect(caps).toEqual({ maxSegmentMs: 30_000, maxSegmentBytes: 12 * MIB, maxPartBytes: 1.5 * MIB, maxWindowBytes: 48 * MIB });
  });
});

describe('HLS output on timeline jumps', () => {
  test('a rebased timestamp ends the segment at the next keyframe with EXT-X-DISCONTINUITY', () => {
    const s = setup();
    s.keyframe(10_000);
    for (let i = 1; i < 25; i++) s.inter(10_000 + i * 40);
    // the publisher's clock steps back 6 s, just after the first second
    const jumped = s.inter(4000 + 25 * 40);
    expect(jumped.discontinuity).toBe(true);
    expect(jumped.timestampMs).toBe(10_000 + 25 * 40);
    for (let i = 26; i < 30; i++) s.inter(4000 + i * 40);
    s.keyframe(4000 + 30 * 40);
    for (let i = 31; i < 40; i++) s.inter(4000 + i * 40);
    const segments = s.output.ts!.segments;
    expect(segments).toHaveLength(1);
    expect(segments[0]!.durationSec).toBeCloseTo(1.2, 2); // 30 frames, cut early at the keyframe
    expect(s.output.ts!.open!.discontinuity).toBe(true);
    expect(s.output.ll!.open!.discontinuity).toBe(true);
  });

  test('a tag the demuxer cannot read is skipped, counted and logged once, and HLS goes on', () => {
    const { stream, output, logs, keyframe } = setup();
    keyframe(0);
    const broken = new Uint8Array([0x17]); // a video tag cut after its first byte
    for (let i = 0; i < 3; i++) stream.ingest({ type: 9, timestampMs: 40 + i * 40, body: broken, header: false, keyframe: true });
    expect(output.unreadableTags).toBe(3);
    expect(logs.filter((l) => l.includes('HLS skipped a tag it could not read')).length).toBe(1);
    keyframe(200);
    expect(output.unreadableTags).toBe(3);
  });
});
