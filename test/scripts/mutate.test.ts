// The mutation script's own rules: a search string must be found exactly once, an unknown id is
// an error, failed test names are read from bun's output; and every listed mutation still
// points at code that exists (a moved line must be re-pointed, not silently skipped).
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyMutation, failedTests, formatTable, selectMutations } from '../../scripts/mutate.ts';
import { MUTATIONS } from '../../scripts/mutations.ts';

const root = join(import.meta.dir, '..', '..');

describe('applyMutation', () => {
  test('replaces the one occurrence', () => {
    expect(applyMutation('a > b;\nc', { search: 'a > b', replace: 'a >= b' })).toEqual({ ok: true, text: 'a >= b;\nc' });
  });

  test('absent or repeated search text is not applicable, never a silent no-op', () => {
    expect(applyMutation('x', { search: 'y', replace: 'z' })).toEqual({ ok: false, reason: 'search string not found' });
    expect(applyMutation('y y', { search: 'y', replace: 'z' })).toEqual({ ok: false, reason: 'search string found more than once' });
    expect(applyMutation('y', { search: '', replace: 'z' }).ok).toBe(false);
  });
});

describe('selectMutations', () => {
  test('picks by id and refuses unknown ids', () => {
    expect(selectMutations(MUTATIONS, null).length).toBe(MUTATIONS.length);
    expect(selectMutations(MUTATIONS, 'gop-cache-guard, csrf-api-compare').map((m) => m.id)).toEqual(['gop-cache-guard', 'csrf-api-compare']);
    expect(() => selectMutations(MUTATIONS, 'gop-cache-guard,nope')).toThrow('nope');
  });
});

test('failedTests reads the names of failed tests from bun test output', () => {
  const output = '(pass) a > ok [1.00ms]\n(fail) a > broke [2.50ms]\n(fail) b > also\n(fail) a > broke [3.00ms]\n';
  expect(failedTests(output)).toEqual(['a > broke', 'b > also']);
});

test('the table says which tests noticed a mutation and flags survivors', () => {
  const [first, second] = MUTATIONS;
  const table = formatTable([
    { mutation: first!, outcome: { status: 'killed', by: ['x > y'], seconds: 1 } },
    { mutation: second!, outcome: { status: 'survived', seconds: 2 } },
  ]);
  expect(table).toContain(`| ${first!.id} | ${first!.behaviour} | killed | x > y (1 s) |`);
  expect(table).toContain(`| ${second!.id} | ${second!.behaviour} | survived | nothing: `);
});

describe('the mutation list', () => {
  test('ids are unique and every entry names test files that exist', () => {
    expect(new Set(MUTATIONS.map((m) => m.id)).size).toBe(MUTATIONS.length);
    for (const m of MUTATIONS) {
      expect(m.tests.length, m.id).toBeGreaterThan(0);
      for (const t of m.tests) expect(existsSync(join(root, t)), `${m.id}: ${t}`).toBe(true);
    }
  });

  test('every mutation applies to the current source exactly once', () => {
    for (const m of MUTATIONS) {
      const applied = applyMutation(readFileSync(join(root, m.file), 'utf8'), m);
      expect(applied.ok ? 'applies' : `${m.file}: ${applied.reason}`, m.id).toBe('applies');
    }
  });
});
