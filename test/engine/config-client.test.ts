// ConfigClient: backoff while the config server is down, logging per backoff step, revisions,
// reload coalescing and the snapshot cache, on a fake clock and a fake fetch.
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_CACHE_FILE, ConfigClient, type Scheduler } from '../../src/engine/control-link/config-client.ts';
import type { ConfigSnapshot } from '../../src/shared/config-protocol.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { tempDir } from '../e2e/harness.ts';
import { makeSnapshot } from './fake-config-server.ts';

type Timer = { id: number; atMs: number; delayMs: number; fn: () => void };

/** A manual clock: timers run only when the test advances it. */
class FakeClock implements Scheduler {
  nowMs = 0;
  timers: Timer[] = [];
  delays: number[] = [];
  private nextId = 1;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const timer = { id: this.nextId++, atMs: this.nowMs + ms, delayMs: ms, fn };
    this.timers.push(timer);
    this.delays.push(ms);
    return timer.id;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };

  /** Runs every timer due within `ms`, letting the promises each one starts settle. */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.atMs <= until).sort((a, b) => a.atMs - b.atMs)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = due.atMs;
      due.fn();
    }
    this.nowMs = until;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', sink: (line) => lines.push(line), burstPerWindow: 1000 }) };
}

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

describe('backoff while the config server is down', () => {
  test('exponential from 500 ms, capped at 10 s, equal jitter between half and the whole step', async () => {
    for (const [random, expected] of [
      [1, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]],
      [0, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]],
    ] as const) {
      const clock = new FakeClock();
      let attempts = 0;
      const client = new ConfigClient({
        fetchSnapshot: async () => {
          attempts++;
          throw new Error('connection refused');
        },
        logger: capturingLogger().logger,
        scheduler: clock,
        now: () => clock.nowMs,
        random: () => random,
        startGraceMs: 1_000_000,
      });
      void client.start();
      await clock.advance(60_000);
      // The first scheduled timer is the start grace period; the rest are retries.
      expect(clock.delays.slice(1, 9)).toEqual([...expected]);
      expect(attempts).toBeGreaterThanOrEqual(8);
      expect(client.ready).toBe(false);
      client.stop();
    }
  });

  test('one warning per backoff step, then one per minute at the cap', async () => {
    const clock = new FakeClock();
    const { lines, logger } = capturingLogger();
    const client = new ConfigClient({
      fetchSnapshot: async () => {
        throw new Error('connection refused');
      },
      logger,
      scheduler: clock,
      now: () => clock.nowMs,
      random: () => 1,
      startGraceMs: 1_000_000,
    });
    void client.start();
    await clock.advance(5 * 60_000);
    const warnings = lines.filter((l) => l.includes('config server unreachable'));
    // steps 500, 1000, 2000, 4000, 8000, 10000 (6 lines in the first ~25 s), then one a minute
    expect(client.failures).toBeGreaterThan(30);
    expect(warnings.length).toBeGreaterThanOrEqual(6 + 4);
    expect(warnings.length).toBeLessThanOrEqual(6 + 6);
    expect(warnings[0]).toContain('reason="connection refused"');
    client.stop();
  });

  test('a recovered server is polled at the poll interval, and a new failure starts the backoff over', async () => {
    const clock = new FakeClock();
    let down = true;
    let attempts = 0;
    const client = new ConfigClient({
      fetchSnapshot: async () => {
        attempts++;
        if (down) throw new Error('down');
        return makeSnapshot({ revision: 1 });
      },
      logger: capturingLogger().logger,
      scheduler: clock,
      now: () => clock.nowMs,
      random: () => 1,
      pollIntervalMs: 10_000,
      startGraceMs: 1_000_000,
    });
    const started = client.start();
    await clock.advance(3000); // attempts at 0, 500, 1500
    down = false;
    await clock.advance(3000); // the one at 3500 succeeds
    expect((await started).revision).toBe(1);
    expect(client.failures).toBe(0);
    const before = attempts;
    await clock.advance(30_000);
    expect(attempts - before).toBe(3); // polled every 10 s
    down = true;
    clock.delays.length = 0;
    await clock.advance(10_000 + 500 + 1000);
    expect(clock.delays.slice(0, 2)).toEqual([500, 1000]);
    client.stop();
  });
});

describe('revisions', () => {
  test('only a newer revision is handed on; older and equal ones are ignored', async () => {
    const clock = new FakeClock();
    const served = [3, 3, 2, 5, 4, 6];
    let i = 0;
    const client = new ConfigClient({
      fetchSnapshot: async () => makeSnapshot({ revision: served[Math.min(i++, served.length - 1)]! }),
      logger: capturingLogger().logger,
      scheduler: clock,
      now: () => clock.nowMs,
      pollIntervalMs: 10_000,
    });
    const seen: number[] = [];
    client.onSnapshot((s) => seen.push(s.revision));
    expect((await client.start()).revision).toBe(3);
    await clock.advance(50_000);
    expect(seen).toEqual([5, 6]);
    expect(client.revision).toBe(6);
    client.stop();
  });

  test('refresh() fetches at once; refreshes during a fetch coalesce into one more', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    let release: (() => void) | null = null;
    let revision = 1;
    const client = new ConfigClient({
      fetchSnapshot: async () => {
        attempts++;
        if (attempts > 1) await new Promise<void>((resolve) => (release = resolve));
        return makeSnapshot({ revision: revision++ });
      },
      logger: capturingLogger().logger,
      scheduler: clock,
      now: () => clock.nowMs,
    });
    await client.start();
    await settle();
    client.refresh();
    client.refresh();
    client.refresh();
    await settle();
    expect(attempts).toBe(2);
    release!();
    await settle();
    expect(attempts).toBe(3); // one follow-up for the three refreshes
    release!();
    await settle();
    expect(client.revision).toBe(3);
    client.stop();
  });

  test('a snapshot that breaks the contract is refused whole and counted as a failure', async () => {
    const clock = new FakeClock();
    const { lines, logger } = capturingLogger();
    let bad = true;
    const client = new ConfigClient({
      fetchSnapshot: async () => (bad ? { ...makeSnapshot({ revision: 9 }), protocolVersion: 99 } : makeSnapshot({ revision: 2 })),
      logger,
      scheduler: clock,
      now: () => clock.nowMs,
      random: () => 1,
      startGraceMs: 1_000_000,
    });
    const started = client.start();
    await clock.advance(100);
    expect(client.ready).toBe(false);
    expect(lines.some((l) => l.includes('protocolVersion 99'))).toBe(true);
    bad = false;
    await clock.advance(1000);
    expect((await started).revision).toBe(2);
    client.stop();
  });
});

describe('the configuration cache in the data directory', () => {
  test('each applied snapshot is saved; an engine that cannot reach the server at start serves it', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new FakeClock();
    const first = new ConfigClient({
      fetchSnapshot: async () => makeSnapshot({ revision: 7 }),
      logger: capturingLogger().logger,
      dataDir: dir.path,
      scheduler: clock,
    });
    await first.start();
    first.stop();
    const path = join(dir.path, CONFIG_CACHE_FILE);
    expect(existsSync(path)).toBe(true);
    expect((JSON.parse(readFileSync(path, 'utf8')) as ConfigSnapshot).revision).toBe(7);

    let down = true;
    let revision = 7;
    const { lines, logger } = capturingLogger();
    const second = new ConfigClient({
      fetchSnapshot: async () => {
        if (down) throw new Error('connection refused');
        return makeSnapshot({ revision });
      },
      logger,
      dataDir: dir.path,
      scheduler: clock,
      now: () => clock.nowMs,
      random: () => 1,
      startGraceMs: 3000,
    });
    const seen: number[] = [];
    second.onSnapshot((s, source) => seen.push(s.revision * (source === 'server' ? 1 : -1)));
    const started = second.start();
    await clock.advance(2900);
    expect(second.ready).toBe(false); // still within the grace period
    await clock.advance(200);
    const snapshot = await started;
    expect(snapshot.revision).toBe(7);
    expect(second.currentSource).toBe('cache');
    expect(lines.some((l) => l.includes('serving the cached configuration'))).toBe(true);
    down = false;
    await clock.advance(5000);
    expect(second.currentSource).toBe('server'); // same revision: nothing to apply
    expect(seen).toEqual([]);
    revision = 8;
    second.refresh();
    await settle();
    expect(seen).toEqual([8]);
    second.stop();
  });

  test('without a cache the engine keeps waiting for the server', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new FakeClock();
    const client = new ConfigClient({
      fetchSnapshot: async () => {
        throw new Error('connection refused');
      },
      logger: capturingLogger().logger,
      dataDir: dir.path,
      scheduler: clock,
      now: () => clock.nowMs,
      startGraceMs: 3000,
    });
    void client.start();
    await clock.advance(30_000);
    expect(client.ready).toBe(false);
    client.stop();
  });
});
