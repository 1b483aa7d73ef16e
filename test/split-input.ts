// The split property of the incremental readers (FlvReader, ChunkReader): bytes pushed in any pieces
// give what the whole input pushed at once gives.
import { expect } from 'bun:test';

export type IncrementalReader<T> = { push(bytes: Uint8Array): T[] };

/** Every two-piece split of `input`, each into a fresh reader, gives `expected`. */
export function expectEveryTwoPieceSplit<T>(makeReader: () => IncrementalReader<T>, input: Uint8Array, expected: T[]): void {
  for (let cut = 0; cut <= input.length; cut++) {
    const reader = makeReader();
    expect([...reader.push(input.subarray(0, cut)), ...reader.push(input.subarray(cut))]).toEqual(expected);
  }
}

/** `input` pushed one byte at a time gives `expected`. */
export function expectByteByByte<T>(reader: IncrementalReader<T>, input: Uint8Array, expected: T[]): void {
  const out: T[] = [];
  for (let i = 0; i < input.length; i++) out.push(...reader.push(input.subarray(i, i + 1)));
  expect(out).toEqual(expected);
}
