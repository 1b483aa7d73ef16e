import { describe, expect, test } from 'bun:test';
import { FlagError, parseChoiceFlag, parseChoicesFlag, parseListFlag, parseNumberFlag } from './bench-args.ts';
import { runStamp } from './bench-run.ts';
import { noisyMark, perUnit } from './hls-machine.ts';

describe('bench flags', () => {
  test('a number flag takes finite numbers at or above its minimum', () => {
    expect(parseNumberFlag('20', 'duration', 1)).toBe(20);
    expect(parseNumberFlag('0.5', 'min-ratio')).toBe(0.5);
    expect(parseNumberFlag('0', 'warmup')).toBe(0);
    expect(() => parseNumberFlag('0', 'duration', 1)).toThrow("--duration: expected a number >= 1, got '0'");
    expect(() => parseNumberFlag('x', 'duration')).toThrow(FlagError);
    expect(() => parseNumberFlag('Infinity', 'duration')).toThrow(FlagError);
    expect(() => parseNumberFlag('-1', 'warmup')).toThrow(FlagError);
    expect(() => parseNumberFlag(undefined, 'warmup')).toThrow("--warmup: expected a number >= 0, got 'undefined'");
  });

  test('a list flag: comma-separated numbers >= 1, empty items skipped, at least one', () => {
    expect(parseListFlag('1, 8,16', 'counts')).toEqual([1, 8, 16]);
    expect(parseListFlag('50,', 'counts')).toEqual([50]);
    expect(() => parseListFlag('1,0', 'counts')).toThrow("--counts: expected a number >= 1, got '0'");
    expect(() => parseListFlag('', 'counts')).toThrow(FlagError);
    expect(() => parseListFlag(undefined, 'counts')).toThrow(FlagError);
  });

  test('choices: every trimmed item must be allowed, in the order given', () => {
    expect(parseChoicesFlag('ingest, latency', 'phases', ['ingest', 'viewers', 'latency'])).toEqual(['ingest', 'latency']);
    expect(() => parseChoicesFlag('ingest,cpu', 'phases', ['ingest', 'viewers'])).toThrow("--phases: expected ingest or viewers, got 'cpu'");
    // an empty item is a mistake, not "no phase"
    expect(() => parseChoicesFlag('ingest,', 'phases', ['ingest'])).toThrow(FlagError);
    expect(parseChoiceFlag('udp', 'transport', ['tcp', 'udp'])).toBe('udp');
    expect(() => parseChoiceFlag('quic', 'transport', ['tcp', 'udp'])).toThrow("--transport: expected tcp or udp, got 'quic'");
    expect(() => parseChoiceFlag(undefined, 'transport', ['tcp'])).toThrow(FlagError);
  });
});

describe('report helpers', () => {
  test('runStamp makes an ISO time safe for a file name', () => {
    expect(runStamp(new Date('2026-12-05T04:55:00.123Z'))).toBe('2026-12-05T04-55-00-123Z');
  });

  test('perUnit shares an engine figure out per stream, per pull', () => {
    expect(perUnit(12, 8)).toEqual({ percent: 1.5, cpuSecondsPerMinute: 0.9 });
    expect(perUnit(10, 3)).toEqual({ percent: 3.333, cpuSecondsPerMinute: 2 });
  });

  test('noisyMark marks a window where other processes used more than 15% of a core', () => {
    expect(noisyMark(15)).toBe('');
    expect(noisyMark(15.1)).toBe(' *(noisy)*');
  });
});
