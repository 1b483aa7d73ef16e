// Mutation check: plants each one-line bug of scripts/mutations.ts, one at a time, in a scratch
// copy of the repository and runs the test files named for it. A mutation some test notices is
// killed; one every test still passes is survived (a gap in the tests); one whose search text
// is not in the file (exactly once) is not-applicable and counts as neither.
//
//   bun run scripts/mutate.ts                      every mutation
//   bun run scripts/mutate.ts --only id1,id2       a subset, by id
//   bun run scripts/mutate.ts --list               the ids and what each breaks
//
// Not part of CI (each mutation runs real test files, some of them end to end). The repository
// itself is never written: files come from `git ls-files` (tracked, plus untracked ones not
// ignored, so new tests count before they are committed), node_modules is a symlink.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MUTATIONS, type Mutation } from './mutations.ts';

export type Applied = { ok: true; text: string } | { ok: false; reason: string };

/** The file's text with the mutation planted, or why it cannot be (absent or ambiguous search). */
export function applyMutation(text: string, mutation: Pick<Mutation, 'search' | 'replace'>): Applied {
  if (mutation.search.length === 0) return { ok: false, reason: 'empty search string' };
  const at = text.indexOf(mutation.search);
  if (at < 0) return { ok: false, reason: 'search string not found' };
  if (text.indexOf(mutation.search, at + 1) >= 0) return { ok: false, reason: 'search string found more than once' };
  return { ok: true, text: text.slice(0, at) + mutation.replace + text.slice(at + mutation.search.length) };
}

export type Outcome =
  | { status: 'killed'; by: string[]; seconds: number }
  | { status: 'survived'; seconds: number }
  | { status: 'not-applicable'; reason: string };

/** `--only a,b` picks mutations by id; an unknown id is an error rather than silently nothing. */
export function selectMutations(all: readonly Mutation[], only: string | null): Mutation[] {
  if (only === null) return [...all];
  const ids = only.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = ids.filter((id) => !all.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`unknown mutation id(s): ${unknown.join(', ')} (see --list)`);
  return all.filter((m) => ids.includes(m.id));
}

/** The names of the failed tests in `bun test` output. */
export function failedTests(output: string): string[] {
  const names: string[] = [];
  for (const line of output.split('\n')) {
    const match = /^\(fail\) (.+?)(?: \[[\d.]+m?s\])?$/.exec(line.trim());
    if (match && !names.includes(match[1]!)) names.push(match[1]!);
  }
  return names;
}

export function formatTable(rows: ReadonlyArray<{ mutation: Mutation; outcome: Outcome }>): string {
  const lines = ['| mutation | behaviour broken | result | noticed by |', '|---|---|---|---|'];
  for (const { mutation, outcome } of rows) {
    const detail =
      outcome.status === 'killed'
        ? `${outcome.by.slice(0, 2).join('; ') || 'test run failed'}${outcome.by.length > 2 ? ` (+${outcome.by.length - 2})` : ''} (${outcome.seconds} s)`
        : outcome.status === 'survived'
          ? `nothing: ${mutation.tests.join(', ')} passed (${outcome.seconds} s)`
          : outcome.reason;
    lines.push(`| ${mutation.id} | ${mutation.behaviour} | ${outcome.status} | ${detail.replaceAll('|', '\\|')} |`);
  }
  return lines.join('\n');
}

const RUN_LIMIT_MS = 15 * 60_000;

async function runTests(cwd: string, tests: readonly string[]): Promise<{ code: number; output: string; seconds: number }> {
  const started = Date.now();
  const proc = Bun.spawn([process.execPath, 'test', ...tests.map((t) => `./${t}`), '--timeout', '60000'], {
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  // A run that hangs past every per-test timeout is ended (by its own PID) and counts as failed.
  const limit = setTimeout(() => proc.kill('SIGKILL'), RUN_LIMIT_MS);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(limit);
  return { code, output: stdout + stderr, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

function copyRepository(root: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'weir-mutate-'));
  const listed = Bun.spawnSync(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
  if (listed.exitCode !== 0) throw new Error(`git ls-files failed: ${listed.stderr.toString()}`);
  for (const file of listed.stdout.toString().split('\0')) {
    if (file === '' || file === 'node_modules' || file.startsWith('node_modules/')) continue;
    const from = join(root, file);
    if (!existsSync(from)) continue; // deleted in the work tree
    const to = join(scratch, file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
  symlinkSync(realpathSync(join(root, 'node_modules')), join(scratch, 'node_modules'));
  return scratch;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const value = (flag: string): string | null => {
    const i = args.indexOf(flag);
    if (i >= 0) return args[i + 1] ?? null;
    const inline = args.find((a) => a.startsWith(`${flag}=`));
    return inline ? inline.slice(flag.length + 1) : null;
  };
  if (args.includes('--list')) {
    for (const m of MUTATIONS) console.log(`${m.id.padEnd(32)} ${m.file}  ${m.behaviour}`);
    return 0;
  }
  const selected = selectMutations(MUTATIONS, value('--only'));
  const root = dirname(import.meta.dir);
  const scratch = copyRepository(root);
  console.error(`scratch copy: ${scratch}`);
  const rows: Array<{ mutation: Mutation; outcome: Outcome }> = [];
  try {
    if (!args.includes('--no-baseline')) {
      // Tests that already fail unmutated would make every mutation look killed.
      const union = [...new Set(selected.flatMap((m) => m.tests))].filter((t) => existsSync(join(scratch, t)));
      console.error(`baseline: ${union.length} test files, unmutated`);
      const baseline = await runTests(scratch, union);
      if (baseline.code !== 0) {
        console.error(`baseline failed (${failedTests(baseline.output).join('; ') || `exit ${baseline.code}`}): fix the tests first`);
        return 2;
      }
    }
    for (const mutation of selected) {
      const path = join(scratch, mutation.file);
      const missing = mutation.tests.filter((t) => !existsSync(join(scratch, t)));
      let outcome: Outcome;
      if (!existsSync(path)) outcome = { status: 'not-applicable', reason: `${mutation.file} does not exist` };
      else if (missing.length > 0) outcome = { status: 'not-applicable', reason: `test file missing: ${missing.join(', ')}` };
      else {
        const original = readFileSync(path, 'utf8');
        const applied = applyMutation(original, mutation);
        if (!applied.ok) outcome = { status: 'not-applicable', reason: `${applied.reason} in ${mutation.file}` };
        else {
          writeFileSync(path, applied.text);
          try {
            const run = await runTests(scratch, mutation.tests);
            outcome = run.code === 0 ? { status: 'survived', seconds: run.seconds } : { status: 'killed', by: failedTests(run.output), seconds: run.seconds };
          } finally {
            writeFileSync(path, original);
          }
        }
      }
      console.error(`${mutation.id}: ${outcome.status}`);
      rows.push({ mutation, outcome });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(formatTable(rows));
  const count = (status: Outcome['status']) => rows.filter((r) => r.outcome.status === status).length;
  console.log(`\nkilled ${count('killed')}, survived ${count('survived')}, not applicable ${count('not-applicable')} (of ${rows.length})`);
  return count('killed') === rows.length ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
