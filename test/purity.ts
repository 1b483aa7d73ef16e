// The check behind the purity tests of pure source folders (docs/ARCHITECTURE "Engine rules" 1): every
// file imports only what `allowed` accepts, uses none of `banned` (clocks, timers, randomness, I/O) and
// opens with a header comment.
import { expect } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CLOCKS_TIMERS_AND_IO = ['Date.now', 'new Date', 'performance.', 'setTimeout', 'setInterval', 'Math.random', 'Bun.', 'process.', 'console.'];

/** `folder` is under src/; it must hold at least `minFiles` .ts files */
export function expectPureFolder(folder: string, options: { minFiles: number; allowed(target: string): boolean; banned: readonly string[] }): void {
  const dir = join(import.meta.dir, '../src', folder);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThanOrEqual(options.minFiles);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/from '([^']+)'/g)) {
      const target = m[1] as string;
      if (!options.allowed(target)) throw new Error(`${f} imports ${target}`);
    }
    for (const banned of options.banned) {
      if (text.includes(banned)) throw new Error(`${f} uses ${banned}`);
    }
    expect(text.startsWith('//')).toBe(true); // the header comment (citing the spec, in protocol code)
  }
}
