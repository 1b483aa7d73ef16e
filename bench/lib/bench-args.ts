// Command-line flags of the bench scripts: one parser that answers --help with the script's usage,
// the flags every engine benchmark takes (--weir-source, --no-pin, --out), and checks of numbers,
// lists and choices. The parse* functions are pure (they throw FlagError); the *Flag wrappers print
// the complaint with the usage and exit 2, as a command line tool should on bad input.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', default: false } } as const;

/** the flags of the benchmarks that run an engine: which engine, whether to pin this process, where the report goes */
export const ENGINE_RUN_OPTIONS = {
  'weir-source': { type: 'string', default: 'head' },
  'no-pin': { type: 'boolean', default: false },
  out: { type: 'string' },
} as const;

/** parses process.argv with `options` and --help; prints `usage` and exits 0 on --help */
export function parseBenchArgs<const O extends OptionsConfig>(usage: string, options: O) {
  const { values } = parseArgs({ options: { ...options, ...HELP } });
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

export class FlagError extends Error {}

/** a number >= min from a flag's value */
export function parseNumberFlag(value: string | undefined, name: string, min = 0): number {
  const v = Number(value);
  if (value === undefined || !Number.isFinite(v) || v < min) throw new FlagError(`--${name}: expected a number >= ${min}, got '${value}'`);
  return v;
}

/** a comma-separated list of numbers >= min, at least one */
export function parseListFlag(value: string | undefined, name: string, min = 1): number[] {
  const out = (value ?? '').split(',').filter(Boolean).map((s) => parseNumberFlag(s.trim(), name, min));
  if (out.length === 0) parseNumberFlag(undefined, name, min);
  return out;
}

/** a comma-separated list whose every (trimmed) item is one of `allowed` */
export function parseChoicesFlag<const T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T[] {
  return (value ?? '').split(',').map((s) => parseChoiceFlag(s.trim(), name, allowed));
}

export function parseChoiceFlag<const T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new FlagError(`--${name}: expected ${allowed.join(' or ')}, got '${value}'`);
  return value as T;
}

/** the result of `parse`, or (on a FlagError) the complaint and the usage on stderr and exit 2 */
export function orUsage<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    console.error(`${err.message}\n${usage}`);
    process.exit(2);
  }
}

/** a number >= min from a flag, or exits with the usage */
export function numberFlag(value: string | undefined, name: string, usage: string, min = 0): number {
  return orUsage(usage, () => parseNumberFlag(value, name, min));
}

export function listFlag(value: string | undefined, name: string, usage: string): number[] {
  return orUsage(usage, () => parseListFlag(value, name));
}

export function choicesFlag<const T extends string>(value: string | undefined, name: string, allowed: readonly T[], usage: string): T[] {
  return orUsage(usage, () => parseChoicesFlag(value, name, allowed));
}

export function choiceFlag<const T extends string>(value: string | undefined, name: string, allowed: readonly T[], usage: string): T {
  return orUsage(usage, () => parseChoiceFlag(value, name, allowed));
}
