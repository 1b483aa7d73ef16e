// StreamRecorder on real files: the hub's packets go in synchronously and never wait for the
// disk; when more segments complete than the bounded queue holds, whole segments are dropped,
// counted and logged once; what is written lands under its final name with no temporary left.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import type { LiveStream } from '../../src/hub/live-stream.ts';
import type { MediaPacket } from '../../src/hub/media-packet.ts';
import type { RecordedSegment } from '../../src/record/recording-index.ts';
import { parseSegmentName } from '../../src/record/segment-name.ts';
import { StreamRecorder } from '../../src/recorder/stream-recorder.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { tempDir } from '../e2e/harness.ts';
import { encodeTestFlv } from '../record/test-flv.ts';

let dir: { path: string; remove(): void };
let packets: MediaPacket[];

beforeAll(async () => {
  dir = tempDir();
  packets = new FlvReader()
    .push(await encodeTestFlv(dir.path, 5, { audio: false }))
    .map((t) => ({ type: t.tagType as 8 | 9 | 18, timestampMs: t.timestampMs, body: t.body, header: false, randomAccess: false, discontinuity: false }));
});
afterAll(() => dir.remove());

function recorder(maxQueuedSegments: number, paused = false, path = dir.path) {
  const logs: string[] = [];
  const written: RecordedSegment[] = [];
  const counters = { segmentsWritten: 0, segmentsDropped: 0, bytesWritten: 0 };
  const stream = { app: 'app', name: `cam${maxQueuedSegments}${paused ? 'p' : ''}`, path: 'app/cam' } as LiveStream;
  const r = new StreamRecorder(stream, { enabled: true, format: 'fmp4', segmentDurationSec: 1, path, retentionDays: 0, quotaMb: 0 }, {
    owner: 'test',
    log: createLogger({ level: 'debug', sink: (l) => logs.push(l) }),
    now: () => 1_764_892_800_000,
    isPaused: () => paused,
    maxQueuedSegments,
    maxSegmentBytes: 64 << 20,
    counters,
    onWritten: (s) => written.push(s),
    onEnded: () => {},
  });
  return { r, logs, written, counters, dir: join(path, 'app', stream.name) };
}

test('a full write queue drops whole segments, counts and logs them; live never waits', async () => {
  const { r, logs, written, counters, dir: streamDir } = recorder(1);
  const started = performance.now();
  for (const p of packets) r.onPacket(p); // one synchronous burst: the disk cannot keep up
  r.onStreamEnd();
  expect(performance.now() - started).toBeLessThan(1000);
  expect(counters.segmentsWritten).toBe(0); // nothing was awaited
  await r.idle();
  expect(counters.segmentsWritten + counters.segmentsDropped).toBe(5);
  expect(counters.segmentsDropped).toBe(3); // one being written, one queued
  expect(logs.filter((l) => l.includes('recording segment dropped')).length).toBe(1);
  const files = readdirSync(streamDir);
  expect(files.sort()).toEqual(written.map((s) => s.fileName).sort());
  expect(files.every((f) => parseSegmentName(f) !== null)).toBe(true);
});

test('with room in the queue every segment is written', async () => {
  const { r, counters, written } = recorder(8);
  for (const p of packets) r.onPacket(p);
  r.onStreamEnd();
  await r.idle();
  expect(counters).toMatchObject({ segmentsWritten: 5, segmentsDropped: 0 });
  expect(written.map((s) => s.durationMs).slice(0, 4)).toEqual([1000, 1000, 1000, 1000]);
});

test('paused: nothing is written', async () => {
  const { r, counters, dir: streamDir } = recorder(8, true);
  for (const p of packets) r.onPacket(p);
  r.onStreamEnd();
  await r.idle();
  expect(counters.segmentsWritten).toBe(0);
  expect(() => readdirSync(streamDir)).toThrow();
});

test('a disk that refuses every write: segments are counted as dropped, one log line, live goes on', async () => {
  const blocker = join(dir.path, 'not-a-directory');
  writeFileSync(blocker, 'x');
  const { r, logs, counters } = recorder(8, false, blocker);
  for (const p of packets) r.onPacket(p);
  r.onStreamEnd();
  await r.idle();
  expect(counters).toMatchObject({ segmentsWritten: 0, segmentsDropped: 5 });
  expect(logs.filter((l) => l.includes('recording segment could not be written')).length).toBe(1);
});
