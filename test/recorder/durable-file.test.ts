// writeFileDurably: the final name never shows a partial file. A watcher polls the directory
// while a large file is written: whenever the final name exists it already has every byte, and
// the temporary name is gone once the write resolves.
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../../src/recorder/durable-file.ts';
import { tempDir } from '../e2e/harness.ts';

const dir = tempDir();
afterAll(() => dir.remove());

test('the final name appears whole or not at all; no temporary file stays', async () => {
  const bytes = new Uint8Array(48 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
  const target = join(dir.path, 'cam');
  const seen: number[] = [];
  let polls = 0;
  const watcher = setInterval(() => {
    polls++;
    try {
      seen.push(statSync(join(target, 'final.mp4')).size);
    } catch {
      // not there yet
    }
  }, 0);
  await writeFileDurably(target, '.rec-test-1.tmp', 'final.mp4', bytes);
  clearInterval(watcher);
  expect(polls).toBeGreaterThan(0);
  expect(seen.every((size) => size === bytes.length)).toBe(true);
  expect(readdirSync(target)).toEqual(['final.mp4']);
  expect(readFileSync(join(target, 'final.mp4')).equals(bytes)).toBe(true);
});

test('a failed rename removes the temporary file and reports the error', async () => {
  const target = join(dir.path, 'blocked');
  mkdirSync(join(target, 'x.mp4'), { recursive: true });
  writeFileSync(join(target, 'x.mp4', 'inside'), 'y'); // a non-empty directory under the final name
  const error = await writeFileDurably(target, '.rec-test-2.tmp', 'x.mp4', Uint8Array.of(1)).then(
    () => null,
    (err: Error) => err,
  );
  expect(error).toBeInstanceOf(Error);
  expect(readdirSync(target)).toEqual(['x.mp4']);
});
