// Holds src/rtsp/ to the pure-layer rules: imports only media/, flv/ (encoders), shared/, itself and node:crypto;
// no sockets, timers, clock reads, randomness or logging; no module-level mutable state.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dir, '../../src/rtsp');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('src/rtsp purity', () => {
  test('imports stay inside the pure layers', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        expect(`${f} -> ${m[1]}`).toMatch(/-> (node:crypto|\.\/[a-z0-9-]+\.ts|\.\.\/(media|shared|flv)\/[a-z0-9-]+\.ts)$/);
      }
    }
  });

  test('no clocks, timers, randomness, I/O or logging; no top-level let', () => {
    const banned = /\b(Date\.now|new Date|performance\.now|setTimeout|setInterval|queueMicrotask|Math\.random|randomBytes|Bun\.|console\.|process\.|fetch\()/;
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      expect(`${f}: ${banned.exec(text)?.[0] ?? 'clean'}`).toBe(`${f}: clean`);
      expect(`${f}: ${/^(let|var) /m.test(text)}`).toBe(`${f}: false`);
    }
  });
});
