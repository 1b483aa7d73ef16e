// README ("CPU against memory") tells operators to set two of Bun's allocator variables in
// weir.env. A Bun upgrade that renamed or dropped one would leave that advice silently doing
// nothing, so this asks the allocator of the Bun in use what it read.
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';

/** The options Bun's allocator (mimalloc) reports it runs with, under `env`. */
function allocatorOptions(env: Record<string, string>): Map<string, string> {
  const r = Bun.spawnSync([process.execPath, '-e', '0'], { env: { PATH: process.env.PATH ?? '', MIMALLOC_VERBOSE: '1', ...env }, stderr: 'pipe' });
  const options = new Map<string, string>();
  for (const m of r.stderr.toString().matchAll(/^option '(\w+)': (-?\d+)/gm)) options.set(m[1]!, m[2]!);
  return options;
}

test("README's allocator variables are read by this Bun and change its options from the defaults", () => {
  const advised = { MIMALLOC_PURGE_HOLES: '0', MIMALLOC_PURGE_DELAY: '1000' };
  const defaults = allocatorOptions({});
  const set = allocatorOptions(advised);
  expect(defaults.size).toBeGreaterThan(10);
  for (const [variable, value] of Object.entries(advised)) {
    const option = variable.slice('MIMALLOC_'.length).toLowerCase();
    expect({ option, value: set.get(option) }).toEqual({ option, value });
    expect({ option, value: defaults.get(option) }).not.toEqual({ option, value });
  }
  const readme = readFileSync(`${import.meta.dir}/../../README.md`, 'utf8');
  expect(readme).toContain(Object.entries(advised).map(([k, v]) => `${k}=${v}`).join(' '));
});
