// The video frame rate of a live stream, measured from the frames it received over the
// meter's window (and the SPS timing info until the window spans a second).
import { expect, test } from 'bun:test';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { BitrateMeter, describeTracks } from '../../src/server/stream-stats.ts';
import { concat, hex } from '../flv/hex.ts';

const LIMITS = { maxPackets: 100_000, maxBytes: 1 << 24 };
// avcC written by ffmpeg/libx264: 1920x1080 High, VUI timing 30000/1001 (the record test/media/h264.test.ts uses)
const avcHeader = concat(hex('17 00 000000'), hex('01640028ffe1001967640028acd940780227e5c04400000fa40003a9803c60c65801000668ebe3cb22c0fdf8f800'));

function published(): LiveStream {
  const s = new LiveStream('live', 'x', LIMITS);
  s.attachPublisher({ id: 'c1', kick: () => {} }, 0);
  return s;
}

function videoFrames(s: LiveStream, count: number, fromMs: number, fps: number): void {
  for (let i = 0; i < count; i++) {
    s.ingest({ type: 9, timestampMs: fromMs + (i * 1000) / fps, body: hex(i === 0 ? '17 01 000000 00' : '27 01 000000 00'), header: false, keyframe: i === 0 });
  }
}

test('fps counts the video frames received over the last few seconds, not audio or headers', () => {
  let nowMs = 0;
  const s = published();
  const meter = new BitrateMeter(() => [s], 5, () => nowMs);
  s.ingest({ type: 9, timestampMs: 0, body: avcHeader, header: true, keyframe: true });
  meter.sample();
  expect(meter.fps(s)).toBeUndefined(); // no window yet: the SPS says 29.97
  expect(describeTracks(s, meter.fps(s))).toEqual([{ kind: 'video', codec: 'h264', width: 1920, height: 1080, fps: 29.97 }]);
  for (let second = 1; second <= 10; second++) {
    videoFrames(s, 30, second * 1000, 30);
    for (let i = 0; i < 43; i++) s.ingest({ type: 8, timestampMs: second * 1000 + i * 23, body: hex('af 01 00'), header: false, keyframe: false });
    nowMs = second * 1000;
    meter.sample();
  }
  expect(meter.fps(s)).toBe(30);
  const video = describeTracks(s, meter.fps(s)).find((t) => t.kind === 'video');
  expect(video).toEqual({ kind: 'video', codec: 'h264', width: 1920, height: 1080, fps: 30 }); // measured beats the SPS

  // the encoder drops to 15 fps: 5 s window of 15 fps
  for (let second = 11; second <= 15; second++) {
    videoFrames(s, 15, second * 1000, 15);
    nowMs = second * 1000;
    meter.sample();
  }
  expect(meter.fps(s)).toBe(15);
  nowMs += 1000; // a second without frames lowers the average
  expect(meter.fps(s)).toBe(Math.round(((5 * 15) / 6) * 100) / 100);
});

test('a stopped publisher detaches the counter: it never keeps the stream alive', () => {
  let nowMs = 0;
  const s = published();
  const meter = new BitrateMeter(() => [s], 5, () => nowMs);
  const readersBefore = s.readerCount;
  meter.sample();
  expect(s.readerCount).toBe(readersBefore + 1);
  videoFrames(s, 25, 0, 25);
  nowMs = 1000;
  meter.sample();
  expect(meter.fps(s)).toBe(25);
  s.detachPublisher();
  expect(s.readerCount).toBe(readersBefore);
  expect(meter.fps(s)).toBeUndefined();
  meter.sample(); // no publisher: nothing attached
  expect(s.readerCount).toBe(readersBefore);
});
