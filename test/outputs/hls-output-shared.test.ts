// The HLS output costs once: it muxes from the ingest's parse of each tag (it does not parse
// the FLV tag again), and a finished LL-HLS segment is its parts' bytes, not a second copy.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { FlvMediaDemuxer } from '../../src/flv/flv-media-demuxer.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { HlsOutput } from '../../src/outputs/hls/hls-output.ts';
import { concatBytes } from '../../src/media/bytes.ts';
import { createLogger } from '../../src/shared/logger.ts';

const tags = new FlvReader().push(new Uint8Array(readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'))));

// Alike in shape to server/hls-fresh-edge.test.ts's live(): each builds the HLS output with the segment and part sizes its own tests need.
function setup() {
  const stream = new LiveStream('live', 'shared', { maxPackets: 8192, maxBytes: 64 * 1024 * 1024 });
  const output = new HlsOutput(
    stream,
    { classic: true, lowLatency: true, targetDurationMs: 1000, partTargetMs: 200, windowSegments: 6, maxSegmentMs: 30_000, maxSegmentBytes: 8 << 20, maxPartBytes: 1 << 20, maxWindowBytes: 64 << 20 },
    createLogger({ level: 'error', sink: () => {} }),
  );
  stream.addReader(output);
  stream.attachPublisher({ id: 'p', kick() {} }, 0);
  return { stream, output };
}

/** the 1 s fixture (one GOP) looped 4 times, 1.1 s apart so no clock goes back: audio and video tags */
const LOOP_MS = 1100;
const media = [0, 1, 2, 3].flatMap((loop) =>
  tags.filter((t) => t.tagType === 8 || t.tagType === 9).map((t) => ({ type: t.tagType as 8 | 9, timestampMs: t.timestampMs + loop * LOOP_MS, body: t.body })),
);

/** the fixture as the RTMP edge ingests it: each tag classified once */
function publishFixture(stream: LiveStream): void {
  for (const t of media) stream.ingest({ ...t, ...classifyTag(t.type, t.body) });
}

describe('LL-HLS segments are their parts', () => {
  test('a finished segment is byte for byte its parts in order, and each part is a view of it', () => {
    const { stream, output } = setup();
    publishFixture(stream);
    const segments = output.ll!.segments.filter((s) => s.parts.length > 0);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    for (const segment of segments) {
      const whole = segment.bytes!;
      expect(Buffer.from(whole).equals(Buffer.from(concatBytes(segment.parts.map((p) => p.bytes))))).toBe(true);
      let offset = 0;
      for (const part of segment.parts) {
        // the same memory: the window holds the media once
        expect(part.bytes.buffer).toBe(whole.buffer);
        expect(part.bytes.byteOffset).toBe(whole.byteOffset + offset);
        offset += part.bytes.byteLength;
      }
      expect(offset).toBe(whole.byteLength);
    }
  });
});

describe('HLS muxes from the ingest classification', () => {
  test('the demuxer takes the parse it is handed: the frame is the parsed view, not a new parse', () => {
    const frameTag = tags.find((t) => t.tagType === 9 && classifyTag(9, t.body).keyframe)!;
    const header = tags.find((t) => t.tagType === 9 && classifyTag(9, t.body).header)!;
    const demuxer = new FlvMediaDemuxer();
    demuxer.push(9, 0, header.body, classifyTag(9, header.body));
    const parsed = classifyTag(9, frameTag.body);
    const events = demuxer.push(9, 40, frameTag.body, parsed);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.type).toBe('frame');
    expect(parsed.video?.kind).toBe('frame');
    const parsedData = parsed.video?.kind === 'frame' ? parsed.video.data : null;
    expect(event.type === 'frame' ? event.frame.data : undefined).toBe(parsedData!);
  });

  test('the HLS output never parses the tag body itself when the ingest parsed it', () => {
    const { stream, output } = setup();
    for (const t of media) {
      const tagClass = classifyTag(t.type, t.body);
      // A body no FLV parser can read: only the ingest's parse says what it holds. A muxer that
      // parsed the tag again would refuse every one of these.
      const unreadable = tagClass.header ? t.body : new Uint8Array(0);
      stream.ingest({ ...t, body: unreadable, ...tagClass });
    }
    expect(output.unreadableTags).toBe(0);
    expect(output.ts!.segments.length).toBeGreaterThanOrEqual(2);
    expect(output.ll!.segments.length).toBeGreaterThanOrEqual(2);
  });
});
