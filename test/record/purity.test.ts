// src/record is pure (docs/ARCHITECTURE "Engine rules" 1): names, the index, the retention plan
// and the segment cutter import only media vocabulary, muxers and shared types, and read no
// clock, start no timer and touch no file system; the I/O edge is src/recorder/stream-recorder.ts,
// recording-catalog.ts, recording-manager.ts and durable-file.ts.
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dir, '../../src/record');
const ALLOWED_PREFIXES = ['./', '../flv/flv-media-demuxer.ts', '../flv/flv-tag-type.ts', '../flv/ts-ingest.ts', '../hub/media-packet.ts', '../media/', '../remux/', '../shared/config-protocol.ts', '../shared/protocol-error.ts'];

test('src/record imports and globals', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThanOrEqual(4);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/from '([^']+)'/g)) {
      const target = m[1] as string;
      if (!ALLOWED_PREFIXES.some((p) => target.startsWith(p))) throw new Error(`${f} imports ${target}`);
    }
    for (const banned of ['Date.now', 'new Date', 'performance.', 'setTimeout', 'setInterval', 'Math.random', 'Bun.', 'process.', 'console.', 'node:']) {
      if (text.includes(banned)) throw new Error(`${f} uses ${banned}`);
    }
    expect(text.startsWith('//')).toBe(true);
  }
});
