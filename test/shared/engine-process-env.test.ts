// The engine's allocator settings: an operator's value wins, and the Bun that runs Weir reads
// each variable (a Bun upgrade that renamed or dropped one would leave the engine on the
// defaults without a word, so this asks its allocator what it read).
import { describe, expect, test } from 'bun:test';
import { ENGINE_PROCESS_ENV, withEngineProcessEnv } from '../../src/shared/engine-process-env.ts';

/** The options Bun's allocator (mimalloc) reports it runs with, under `env`. */
function allocatorOptions(env: Record<string, string>): Map<string, string> {
  const r = Bun.spawnSync([process.execPath, '-e', '0'], { env: { PATH: process.env.PATH ?? '', MIMALLOC_VERBOSE: '1', ...env }, stderr: 'pipe' });
  const options = new Map<string, string>();
  for (const m of r.stderr.toString().matchAll(/^option '(\w+)': (-?\d+)/gm)) options.set(m[1]!, m[2]!);
  return options;
}

/** MIMALLOC_PURGE_HOLES -> purge_holes */
const optionName = (variable: string): string => variable.slice('MIMALLOC_'.length).toLowerCase();

describe('engine process environment', () => {
  test("adds each setting, keeps the operator's own value and every other variable", () => {
    expect(withEngineProcessEnv({ PATH: '/bin' })).toEqual({ ...ENGINE_PROCESS_ENV, PATH: '/bin' });
    const operator = { MIMALLOC_PURGE_DELAY: '250', WEIR_LOG_LEVEL: 'debug' };
    expect(withEngineProcessEnv(operator)).toMatchObject(operator);
    expect(Object.keys(ENGINE_PROCESS_ENV).every((k) => k.startsWith('MIMALLOC_'))).toBe(true);
  });

  test("this Bun's allocator reads every variable, and each changes its option from the default", () => {
    const defaults = allocatorOptions({});
    const ours = allocatorOptions({ ...ENGINE_PROCESS_ENV });
    expect(defaults.size).toBeGreaterThan(10);
    for (const [variable, value] of Object.entries(ENGINE_PROCESS_ENV)) {
      const option = optionName(variable);
      expect({ option, value: ours.get(option) }).toEqual({ option, value });
      expect(defaults.get(option)).toBeDefined();
      expect(defaults.get(option)).not.toBe(value);
    }
  });
});
