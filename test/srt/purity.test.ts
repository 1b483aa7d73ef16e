// src/srt is pure protocol code (docs/ARCHITECTURE "Engine rules" 1): it imports only itself,
// the shared ProtocolError and ByteAllocator and node:crypto, and reads no clock, starts no timer, draws no
// unseeded randomness, and touches no Bun API.
import { test } from 'bun:test';
import { CLOCKS_TIMERS_AND_IO, expectPureFolder } from '../purity.ts';

test('src/srt imports and globals', () => {
  expectPureFolder('srt', {
    minFiles: 21,
    allowed: (target) => target.startsWith('./') || target === '../shared/protocol-error.ts' || target === '../shared/byte-allocator.ts' || target === 'node:crypto',
    banned: CLOCKS_TIMERS_AND_IO,
  });
});
