import { describe, expect, test } from 'bun:test';
import { BufferCollector, DEFAULT_COLLECTOR_POLICY, startBufferCollector, type CollectorPolicy } from '../../src/engine/buffer-collector.ts';
import { parseEngineCli } from '../../src/engine/engine-cli.ts';
import { createLogger } from '../../src/shared/logger.ts';

const MIB = 1024 * 1024;
const POLICY: CollectorPolicy = { everyMs: 1000, growthBytes: MIB, maxTimeShare: 0.02 };

/** A process whose resident size the test sets, whose clock it moves, and whose collection takes `collectMs` and frees down to `afterCollect`. */
function fakeProcess(startBytes: number) {
  const state = { now: 0, resident: startBytes, afterCollect: startBytes, collectMs: 5, collections: 0 };
  const probe = {
    nowMs: () => state.now,
    residentBytes: () => state.resident,
    collect: () => {
      state.collections++;
      state.now += state.collectMs;
      state.resident = state.afterCollect;
    },
  };
  return { state, probe };
}

describe('BufferCollector', () => {
  test('collects once the resident size grew by the budget, and measures from the level after it', () => {
    const { state, probe } = fakeProcess(50 * MIB);
    const collector = new BufferCollector(POLICY, probe);
    state.now = 1000;
    state.resident = 50 * MIB + MIB - 1;
    expect(collector.tick()).toBe(false);
    state.now = 2000;
    state.resident = 51 * MIB;
    state.afterCollect = 50.5 * MIB;
    expect(collector.tick()).toBe(true);
    expect(state.collections).toBe(1);
    expect(collector.stats).toEqual({ collections: 1, collectMs: 5, lastCollectMs: 5 });
    // the budget counts from 50.5 MiB now, not from the start
    state.now = 3000;
    state.resident = 51.4 * MIB;
    expect(collector.tick()).toBe(false);
    state.resident = 51.5 * MIB;
    expect(collector.tick()).toBe(true);
    expect(state.collections).toBe(2);
  });

  test('an idle process (no growth) is never collected', () => {
    const { state, probe } = fakeProcess(40 * MIB);
    const collector = new BufferCollector(POLICY, probe);
    for (let i = 1; i <= 100; i++) {
      state.now = i * 1000;
      state.resident = 40 * MIB + (i % 2) * 100_000;
      expect(collector.tick()).toBe(false);
    }
    expect(state.collections).toBe(0);
  });

  test("a fall below the level (the runtime's own collection) lowers the level the budget counts from", () => {
    const { state, probe } = fakeProcess(60 * MIB);
    const collector = new BufferCollector(POLICY, probe);
    state.now = 1000;
    state.resident = 55 * MIB;
    expect(collector.tick()).toBe(false);
    state.now = 2000;
    state.resident = 56 * MIB;
    expect(collector.tick()).toBe(true);
  });

  test('the time spent collecting stays within maxTimeShare: a slow collection pushes the next one out', () => {
    const { state, probe } = fakeProcess(100 * MIB);
    const collector = new BufferCollector(POLICY, probe);
    state.collectMs = 60; // over 2% of a second: the next may start 3 s after this one ended
    state.now = 1000;
    state.resident = 110 * MIB;
    expect(collector.tick()).toBe(true);
    const ended = state.now;
    for (const at of [ended + 1000, ended + 2000, ended + 2999]) {
      state.now = at;
      state.resident = 110 * MIB;
      expect(collector.tick()).toBe(false);
    }
    state.now = ended + 3000;
    expect(collector.tick()).toBe(true);
    expect(collector.stats.collections).toBe(2);
    expect(collector.stats.collectMs).toBe(120);
  });

  test('starts on a timer by default, and not at all with --gc-every-ms 0', () => {
    const logger = createLogger({ level: 'error', sink: () => {} });
    const started = startBufferCollector(DEFAULT_COLLECTOR_POLICY, logger);
    expect(started).not.toBeNull();
    started?.stop();
    expect(startBufferCollector({ ...DEFAULT_COLLECTOR_POLICY, everyMs: 0 }, logger)).toBeNull();
  });
});

test('the edge collector reads this process and collects it once buffers were dropped', async () => {
  const logger = createLogger({ level: 'error', sink: () => {} });
  const started = startBufferCollector({ everyMs: 20, growthBytes: 4 * MIB, maxTimeShare: 0.5 }, logger)!;
  try {
    for (let i = 0; i < 50 && started.stats.collections === 0; i++) {
      // dead buffers the size of a few seconds of streams, their pages touched
      for (let j = 0; j < 16; j++) new Uint8Array(MIB).fill(j + 1);
      await Bun.sleep(40);
    }
    expect(started.stats.collections).toBeGreaterThan(0);
    expect(started.stats.collectMs).toBeGreaterThan(0);
  } finally {
    started.stop();
  }
});

describe('--gc-every-ms', () => {
  test('defaults to 1000 ms; the flag and WEIR_GC_EVERY_MS set it; bad values are refused', () => {
    expect(parseEngineCli([], {}).gcEveryMs).toBe(1000);
    expect(parseEngineCli(['--gc-every-ms', '0'], {}).gcEveryMs).toBe(0);
    expect(parseEngineCli([], { WEIR_GC_EVERY_MS: '250' }).gcEveryMs).toBe(250);
    expect(() => parseEngineCli(['--gc-every-ms', '-5'], {})).toThrow(/--gc-every-ms/);
    expect(() => parseEngineCli([], { WEIR_GC_EVERY_MS: 'often' })).toThrow(/WEIR_GC_EVERY_MS/);
  });
});
