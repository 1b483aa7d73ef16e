// Holds the control-plane layering: SQL only in store/, no Elysia or SQL in services/,
// and control code imports nothing from the engine.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dir, '../../src');

function imports(dir: string): [file: string, spec: string][] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => {
      const text = readFileSync(join(root, dir, f), 'utf8');
      return [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => [`${dir}/${f}`, m[1]!] as [string, string]);
    });
}

describe('control-plane layering', () => {
  test('store imports only bun:sqlite, node builtins, shared/ and itself', () => {
    for (const [file, spec] of imports('control/store')) {
      expect(`${file} -> ${spec}`).toMatch(/-> (bun:sqlite|node:[a-z]+|\.\/[a-z-]+\.ts|\.\.\/\.\.\/shared\/[a-z-]+\.ts)$/);
    }
  });

  test('services use no SQL driver, no Elysia, nothing from the engine or the API', () => {
    for (const [file, spec] of imports('control/services')) {
      expect(`${file} -> ${spec}`).toMatch(/-> (node:[a-z]+|\.\/[a-z-]+\.ts|\.\.\/store\/index\.ts|\.\.\/\.\.\/shared\/[a-z-]+\.ts)$/);
    }
    for (const f of readdirSync(join(root, 'control/services'))) {
      const text = readFileSync(join(root, 'control/services', f), 'utf8');
      expect(`${f}: ${/\b(SELECT|INSERT|UPDATE|DELETE)\s+(\*|[a-z_]+\s+(FROM|INTO|SET))/.test(text)}`).toBe(`${f}: false`);
    }
  });

  test('the API and the console import nothing from the engine (media URLs are built on their own)', () => {
    const engineDirs = /(^|\/)(srt|rtsp|rtmp|server|hub|outputs|relay|remux|flv|media|record)\//;
    for (const dir of ['control/api', 'control/console', 'control/console/views']) {
      for (const [file, spec] of imports(dir)) {
        if (!spec.startsWith('.')) continue;
        const resolved = join(dir, spec);
        expect(`${file} -> ${resolved}: ${engineDirs.test(resolved)}`).toBe(`${file} -> ${resolved}: false`);
      }
    }
  });

  test('each exported name in services/ is declared once (a contract is not named like its class)', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const f of readdirSync(join(root, 'control/services')).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(root, 'control/services', f), 'utf8');
      for (const m of text.matchAll(/^export (?:interface|class|type|const|function|enum) ([A-Za-z_]\w*)/gm)) {
        const first = seen.get(m[1]!);
        if (first !== undefined) twice.push(`${m[1]} in ${first} and ${f}`);
        else seen.set(m[1]!, f);
      }
    }
    expect(twice).toEqual([]);
  });
});
