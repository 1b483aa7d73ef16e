// src/record is pure (docs/ARCHITECTURE "Engine rules" 1): names, the index, the retention plan
// and the segment cutter import only media vocabulary, muxers and shared types, and read no
// clock, start no timer and touch no file system; the I/O edge is src/recorder/stream-recorder.ts,
// recording-catalog.ts, recording-manager.ts and durable-file.ts.
import { test } from 'bun:test';
import { CLOCKS_TIMERS_AND_IO, expectPureFolder } from '../purity.ts';

const ALLOWED_PREFIXES = ['./', '../flv/flv-media-demuxer.ts', '../flv/flv-tag-type.ts', '../flv/ts-ingest.ts', '../hub/media-packet.ts', '../media/', '../remux/', '../shared/config-protocol.ts', '../shared/protocol-error.ts'];

test('src/record imports and globals', () => {
  expectPureFolder('record', {
    minFiles: 4,
    allowed: (target) => ALLOWED_PREFIXES.some((p) => target.startsWith(p)),
    banned: [...CLOCKS_TIMERS_AND_IO, 'node:'],
  });
});
