// Preloaded by bunfig.toml before every test file: the per-test timeout CI uses (and SRT off for
// spawned engines, see the end), so one file
// run alone (`bun test test/e2e/hls-ffmpeg.test.ts`) behaves as the whole suite does. End-to-end
// tests drive real ffmpeg processes in real time and take tens of seconds. Bun 1.4 reads no
// `timeout` key in bunfig's [test] table, and a preload's default would override the command
// line, so an explicit --timeout (seen in /proc on Linux; the test runner hides it from argv)
// is left alone.
import { readFileSync } from 'node:fs';
import { setDefaultTimeout } from 'bun:test';

const TEST_TIMEOUT_MS = 60_000;

function timeoutGivenOnCommandLine(): boolean {
  try {
    const args = readFileSync('/proc/self/cmdline', 'utf8').split('\0');
    return args.some((arg) => arg === '--timeout' || arg.startsWith('--timeout='));
  } catch {
    return false;
  }
}

if (!timeoutGivenOnCommandLine()) setDefaultTimeout(TEST_TIMEOUT_MS);
