// Unit tests of the fan-out benchmark's pure helpers: medians, per-viewer figures, the compact
// table, Weir mode parsing and the peer config templates.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { fillTemplate } from './conf-template.ts';
import { compactTable, cpuPer100Viewers, median, parseWeirModes, rssPerViewerKiB, summarize, type RunFigures } from './fanout-summary.ts';

const PEERS = new URL('../peers/', import.meta.url).pathname;

function run(over: Partial<RunFigures> = {}): RunFigures {
  return { pass: true, cpuPercentOfOneCore: 40, latencyP50Ms: 30, latencyP99Ms: 50, rssMiB: 100, rssBaselineMiB: 50, ...over };
}

describe('median', () => {
  test('odd and even counts, order does not matter', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
  test('ignores missing values; null when nothing is left', () => {
    expect(median([null, 5, undefined, 1, Number.NaN, 3])).toBe(3);
    expect(median([])).toBeNull();
    expect(median([null, undefined])).toBeNull();
  });
});

describe('per-viewer figures', () => {
  test('CPU per 100 viewers', () => {
    expect(cpuPer100Viewers(40, 800)).toBe(5);
    expect(cpuPer100Viewers(null, 800)).toBeNull();
    expect(cpuPer100Viewers(40, 0)).toBeNull();
  });
  test('RSS per viewer subtracts the publisher-only baseline', () => {
    expect(rssPerViewerKiB(100, 50, 800)).toBe(64);
    expect(rssPerViewerKiB(100, null, 800)).toBeNull();
    expect(rssPerViewerKiB(null, 50, 800)).toBeNull();
  });
});

describe('summary', () => {
  test('medians over the repeats, failing runs counted in the pass column', () => {
    const s = summarize(
      {
        label: 'srs',
        protocol: 'rtmp',
        runs: [run({ cpuPercentOfOneCore: 20 }), run({ cpuPercentOfOneCore: 24, latencyP99Ms: 400 }), run({ cpuPercentOfOneCore: 100, pass: false, rssMiB: 150 })],
        latencyRuns: [run({ latencyP50Ms: 190, latencyP99Ms: 360 })],
      },
      800,
    );
    expect(s.cpuPer100).toBe(3);
    expect(s.latencyP99).toBe(50);
    expect(s.smallLatencyP50).toBe(190);
    expect(s.smallLatencyP99).toBe(360);
    expect(s.rssPerViewerKiB).toBe(64);
    expect(s.passed).toBe(3);
    expect(s.runs).toBe(4);
  });

  test('the compact table: one line per server and protocol, latency column only with a latency point', () => {
    const rows = [
      { label: 'weir (default)', protocol: 'rtmp', runs: [run()], latencyRuns: [run({ latencyP50Ms: 1.2, latencyP99Ms: 4.6 })] },
      { label: 'nginx', protocol: 'rtmp', runs: [{ ...run(), cpuPercentOfOneCore: null, latencyP50Ms: null, latencyP99Ms: null, rssMiB: null, pass: false }], latencyRuns: [] },
    ];
    const withLatency = compactTable(rows, { viewers: 800, latencyViewers: 10, repeat: 3, rssBaseline: 'point' });
    const lines = withLatency.split('\n');
    expect(lines[0]).toBe(
      '| server / mode | protocol | CPU % of one core per 100 viewers (800 viewers) | added latency p50 / p99 ms (800 viewers) | added latency p50 / p99 ms (10 viewers) | RSS per viewer KiB (800 viewers) | runs passing |',
    );
    expect(lines[1]).toBe('|---|---|---|---|---|---|---|');
    expect(lines[2]).toBe('| weir (default) | rtmp | 5.0 | 30 / 50 | 1.2 / 4.6 | 64 | 2/2 |');
    expect(lines[3]).toBe('| nginx | rtmp | – | – | – | – | 0/1 |');
    expect(withLatency).toContain('medians of 3 runs');
    expect(withLatency).toContain('publisher-only run at the same moment');
    const without = compactTable(rows, { viewers: 800, latencyViewers: null, repeat: 1, rssBaseline: 'before-viewers' });
    expect(without.split('\n')[0]).not.toContain('10 viewers');
    expect(without.split('\n')[2]).toBe('| weir (default) | rtmp | 5.0 | 30 / 50 | 64 | 2/2 |');
    expect(without).toContain('one run each');
    expect(without).toContain('just before the first viewer');
  });
});

describe('parseWeirModes', () => {
  test('presets, custom modes and extra args for all', () => {
    expect(parseWeirModes('default,lowlat', '')).toEqual([
      { name: 'default', args: [], env: {} },
      { name: 'lowlat', args: ['--merge-write-ms', '0'], env: {} },
    ]);
    expect(parseWeirModes('default, mw20=--merge-write-ms  20', '--no-hls --no-ll-hls')).toEqual([
      { name: 'default', args: ['--no-hls', '--no-ll-hls'], env: {} },
      { name: 'mw20', args: ['--merge-write-ms', '20', '--no-hls', '--no-ll-hls'], env: {} },
    ]);
    // upper-case assignments are the engine's environment, not flags
    expect(parseWeirModes('bunalloc=MIMALLOC_PURGE_DELAY=100 --no-hls MIMALLOC_PURGE_HOLES=1', '')).toEqual([
      { name: 'bunalloc', args: ['--no-hls'], env: { MIMALLOC_PURGE_DELAY: '100', MIMALLOC_PURGE_HOLES: '1' } },
    ]);
  });
  test('bad specs are errors that say why', () => {
    expect(() => parseWeirModes('fast', '')).toThrow(/unknown mode 'fast'/);
    expect(() => parseWeirModes('default,default', '')).toThrow(/twice/);
    expect(() => parseWeirModes('a b=--x', '')).toThrow(/mode name/);
    expect(() => parseWeirModes(',', '')).toThrow(/no mode/);
  });
});

describe('fillTemplate', () => {
  test('fills every placeholder, numbers included', () => {
    expect(fillTemplate('listen @HOST@:@PORT@; # @PORT@', { HOST: '127.0.0.1', PORT: 1935 })).toBe('listen 127.0.0.1:1935; # 1935');
  });
  test('a placeholder without a value is an error naming it', () => {
    expect(() => fillTemplate('a @RTMP_PORT@ b @HTTP_PORT@ c @HTTP_PORT@', { RTMP_PORT: 1 })).toThrow('template placeholders without a value: @HTTP_PORT@');
  });
  test('leaves text that only looks like a placeholder alone', () => {
    expect(fillTemplate('user@example.com @lower@ @@', {})).toBe('user@example.com @lower@ @@');
  });
  test('the peer configs take exactly the values bench/lib/servers.ts gives them', () => {
    const srs = fillTemplate(readFileSync(`${PEERS}/srs.conf`, 'utf8'), { RTMP_PORT: 41935, HTTP_PORT: 48080, PREFIX: '/tmp/run', HLS: 'off' });
    expect(srs).toMatch(/^listen\s+127\.0\.0\.1:41935;$/m);
    expect(srs).toMatch(/^\s+listen\s+127\.0\.0\.1:48080;$/m);
    expect(srs).toMatch(/^daemon\s+off;$/m);
    expect(srs).not.toMatch(/^\s*mw_latency/m); // SRS's own default is what is measured
    // srs: HLS off; srs-hls: on, as SRS's shipped conf/srs.conf, its segments under the run directory
    expect(srs).toMatch(/hls\s*\{\s*enabled\s+off;/);
    const srsHls = fillTemplate(readFileSync(`${PEERS}/srs.conf`, 'utf8'), { RTMP_PORT: 41935, HTTP_PORT: 48080, PREFIX: '/tmp/run', HLS: 'on' });
    expect(srsHls).toMatch(/hls\s*\{\s*enabled\s+on;\s*hls_path\s+\/tmp\/run\/html;/);
    const nginx = fillTemplate(readFileSync(`${PEERS}/nginx-rtmp.conf`, 'utf8'), { RTMP_PORT: 41935, PREFIX: '/tmp/run', MODULE: '/m.so' });
    expect(nginx).toContain('listen 127.0.0.1:41935;');
  });
});
