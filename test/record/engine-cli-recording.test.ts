// The engine's recording flags: --record-min-free-mb (free-space floor) and --record-check-ms.
import { expect, test } from 'bun:test';
import { CliError, ENGINE_HELP, parseEngineCli } from '../../src/engine/engine-cli.ts';

const MIB = 1024 * 1024;

test('defaults: a 1024 MiB floor, checked every 10 s', () => {
  expect(parseEngineCli([], {}).config.recording).toEqual({ minFreeBytes: 1024 * MIB, checkIntervalMs: 10_000, maxQueuedSegments: 4 });
});

test('flags and environment; flags win', () => {
  expect(parseEngineCli(['--record-min-free-mb', '2048', '--record-check-ms', '500'], {}).config.recording).toMatchObject({
    minFreeBytes: 2048 * MIB,
    checkIntervalMs: 500,
  });
  const env = { WEIR_RECORD_MIN_FREE_MB: '0', WEIR_RECORD_CHECK_MS: '250' };
  expect(parseEngineCli([], env).config.recording).toMatchObject({ minFreeBytes: 0, checkIntervalMs: 250 });
  expect(parseEngineCli(['--record-min-free-mb', '10'], env).config.recording?.minFreeBytes).toBe(10 * MIB);
});

test('bad values are refused', () => {
  for (const argv of [['--record-min-free-mb', '-1'], ['--record-min-free-mb', 'lots'], ['--record-check-ms', '10'], ['--record-check-ms']]) {
    expect(() => parseEngineCli(argv, {})).toThrow(CliError);
  }
});

test('the help text documents both', () => {
  expect(ENGINE_HELP).toContain('--record-min-free-mb N');
  expect(ENGINE_HELP).toContain('--record-check-ms MS');
});
