// EventReporter: batches, keeps undelivered events for the next attempt, and drops the
// oldest when the queue is full.
import { expect, test } from 'bun:test';
import { EventReporter } from '../../src/engine/control-link/event-reporter.ts';
import type { EngineEvent } from '../../src/shared/config-protocol.ts';
import { createLogger } from '../../src/shared/logger.ts';

const logger = createLogger({ level: 'error', sink: () => {} });

function event(n: number): EngineEvent {
  return { type: 'publish-stop', app: 'live', stream: `s${n}`, clientId: `c${n}`, atMs: n };
}

test('events go out in batches of at most maxBatch, in order', async () => {
  const batches: EngineEvent[][] = [];
  const reporter = new EventReporter({ send: async (b) => void batches.push([...b]), logger, maxBatch: 3 });
  for (let i = 0; i < 7; i++) reporter.emit(event(i));
  await reporter.flush();
  await reporter.flush();
  await reporter.flush();
  expect(batches.map((b) => b.map((e) => e.clientId))).toEqual([['c0', 'c1', 'c2'], ['c3', 'c4', 'c5'], ['c6']]);
  expect(reporter.sent).toBe(7);
});

test('while the control plane is down events wait, bounded, the oldest dropped first', async () => {
  let down = true;
  const delivered: string[] = [];
  const reporter = new EventReporter({
    send: async (b) => {
      if (down) throw new Error('connection refused');
      delivered.push(...b.map((e) => e.clientId));
    },
    logger,
    maxQueued: 5,
    maxBatch: 100,
  });
  for (let i = 0; i < 3; i++) reporter.emit(event(i));
  await reporter.flush();
  expect(reporter.queued).toBe(3);
  for (let i = 3; i < 8; i++) reporter.emit(event(i));
  expect(reporter.queued).toBe(5);
  expect(reporter.dropped).toBe(3);
  down = false;
  await reporter.flush();
  expect(delivered).toEqual(['c3', 'c4', 'c5', 'c6', 'c7']);
});

test('the periodic flush sends without being asked', async () => {
  const delivered: EngineEvent[] = [];
  const reporter = new EventReporter({ send: async (b) => void delivered.push(...b), logger, flushIntervalMs: 20 });
  reporter.start();
  reporter.emit(event(1));
  await Bun.sleep(100);
  reporter.stop();
  expect(delivered.length).toBe(1);
});
