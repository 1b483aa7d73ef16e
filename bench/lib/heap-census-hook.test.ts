import { expect, test } from 'bun:test';
import { censusOf } from './heap-census-hook.ts';

test('censusOf: objects and bytes by class name from the flat node quadruples', () => {
  const snapshot = { nodeClassNames: ['Object', 'Function', 'TCPSocket'], nodes: [1, 32, 0, 0, 2, 64, 1, 0, 3, 48, 0, 0, 4, 328, 2, 0] };
  expect(censusOf(snapshot)).toEqual({ Object: { count: 2, bytes: 80 }, Function: { count: 1, bytes: 64 }, TCPSocket: { count: 1, bytes: 328 } });
});

test('censusOf: a real snapshot of this process counts its own objects', () => {
  const census = censusOf(Bun.generateHeapSnapshot() as unknown as { nodes: number[]; nodeClassNames: string[] });
  expect(census.Function!.count).toBeGreaterThan(100);
  expect(census.Object!.bytes).toBeGreaterThan(0);
});
