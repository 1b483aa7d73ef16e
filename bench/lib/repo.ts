// Where the repository is, the Bun it pins, git in it, and the src/ of any of its commits unpacked
// for a benchmark to run (no side effects on import: child entries and scripts with their own
// signal handling use it as well as bench-run.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { WORK_DIR } from './servers.ts';

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
/** the Bun of package.json, which the engines under test run on */
export const BUN = `${REPO}/node_modules/.bin/bun`;

/** git's output in the repository, trimmed; 'unknown' when git fails */
export function git(...a: string[]): string {
  const r = spawnSync('git', ['-C', REPO, ...a], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** src/ (and package.json) of a commit, unpacked once under WORK_DIR/weir-<sha>: the directory and the short sha */
export function archiveRev(rev: string): { dir: string; sha: string } {
  const sha = git('rev-parse', '--short', rev);
  if (!/^[0-9a-f]{4,40}$/.test(sha)) throw new Error(`unknown revision '${rev}'`);
  const dir = `${WORK_DIR}/weir-${sha}`;
  if (!existsSync(`${dir}/src/engine.ts`)) {
    mkdirSync(dir, { recursive: true });
    const r = spawnSync('bash', ['-c', `git -C '${REPO}' archive ${sha} src package.json | tar -x -C '${dir}'`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git archive ${sha} failed: ${r.stderr}`);
  }
  return { dir, sha };
}
