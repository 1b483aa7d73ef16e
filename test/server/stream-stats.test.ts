// Track descriptions from the sequence headers a stream keeps, and bitrates from its counters.
import { expect, test } from 'bun:test';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { BitrateMeter, describeTracks } from '../../src/server/stream-stats.ts';
import { concat, hex } from '../flv/hex.ts';

// hvcC written by ffmpeg 5.1 / libx265 3.5: 1280x720 Main (the same record test/media/h265.test.ts uses).
const hvcC720 = hex(
  '01016000000090000000000078f000fcfdf8f800000f03200001001840010c01ffff016000000300900000030000030078959809210001002b420101016000000300900000030000030078a00280802d165959a4932bc05a02000003000200000300641022000100074401c172b46240',
);
const LIMITS = { maxPackets: 1000, maxBytes: 1 << 20 };

function stream(): LiveStream {
  const s = new LiveStream('live', 'x', LIMITS);
  s.attachPublisher({ id: 'c1', kick: () => {} }, 0);
  return s;
}

test('HEVC over legacy and Enhanced RTMP, with AAC: codec, size, rate, channels', () => {
  for (const videoHeader of [
    concat(hex('1c 00 000000'), hvcC720), // legacy FLV codec id 12
    concat(hex('90'), new TextEncoder().encode('hvc1'), hvcC720), // Enhanced RTMP SequenceStart
  ]) {
    const s = stream();
    s.ingest({ type: 9, timestampMs: 0, body: videoHeader, header: true, keyframe: true });
    s.ingest({ type: 8, timestampMs: 0, body: hex('af 00 1210'), header: true, keyframe: false }); // AAC LC 44.1 kHz stereo
    expect(describeTracks(s)).toEqual([
      { kind: 'video', codec: 'h265', width: 1280, height: 720 },
      { kind: 'audio', codec: 'aac', sampleRateHz: 44100, channels: 2 },
    ]);
  }
});

test('audio without a sequence header (MP3) is described from its frames; garbage gives no details', () => {
  const s = stream();
  s.ingest({ type: 8, timestampMs: 0, body: hex('2f fffb9064'), header: false, keyframe: false });
  expect(describeTracks(s)).toEqual([{ kind: 'audio', codec: 'mp3', sampleRateHz: 44100, channels: 2 }]);
  const bad = stream();
  bad.ingest({ type: 9, timestampMs: 0, body: hex('17 00 000000 01'), header: true, keyframe: true }); // truncated avcC
  expect(describeTracks(bad)).toEqual([]);
});

test('bitrates cover the samples of the last few seconds', () => {
  let nowMs = 0;
  const s = stream();
  const meter = new BitrateMeter(() => [s], 5, () => nowMs);
  meter.sample();
  for (let second = 1; second <= 10; second++) {
    nowMs = second * 1000;
    s.counters.bytesIn += 125_000; // 1 Mbit/s in
    s.counters.bytesOut += 250_000; // 2 Mbit/s out
    meter.sample();
  }
  expect(meter.rates(s)).toEqual({ inBps: 1_000_000, outBps: 2_000_000 });
  nowMs += 1000; // a second without data lowers the average: 5 s of data over 6 s
  expect(meter.rates(s).inBps).toBe(Math.round((5 * 125_000 * 8 * 1000) / 6000));
});
