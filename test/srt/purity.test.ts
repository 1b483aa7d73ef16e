// src/srt is pure protocol code (docs/ARCHITECTURE "Engine rules" 1): it imports only itself,
// the shared ProtocolError and node:crypto, and reads no clock, starts no timer, draws no
// unseeded randomness, and touches no Bun API.
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dir, '../../src/srt');

test('src/srt imports and globals', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(20);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/from '([^']+)'/g)) {
      const target = m[1] as string;
      const allowed = target.startsWith('./') || target === '../shared/protocol-error.ts' || target === 'node:crypto';
      if (!allowed) throw new Error(`${f} imports ${target}`);
    }
    for (const banned of ['Date.now', 'new Date', 'performance.', 'setTimeout', 'setInterval', 'Math.random', 'Bun.', 'process.', 'console.']) {
      if (text.includes(banned)) throw new Error(`${f} uses ${banned}`);
    }
    expect(text.startsWith('//')).toBe(true); // the header comment citing the spec
  }
});
