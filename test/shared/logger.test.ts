import { describe, expect, test } from 'bun:test';
import { createLogger } from '../../src/shared/logger.ts';

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  let t = Date.UTC(2026, 11, 5, 12, 0, 0);
  const logger = createLogger({ sink: (line) => lines.push(line), now: () => t, ...options });
  return { logger, lines, advance: (ms: number) => (t += ms) };
}

describe('logger', () => {
  test('levels below the minimum are dropped; a line has time, level, message and context', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('disk low', { free: 3, path: '/var/lib/weir data' });
    logger.error('gone');
    expect(lines).toEqual(['2026-12-05T12:00:00.000Z WARN  disk low free=3 path="/var/lib/weir data"', '2026-12-05T12:00:00.000Z ERROR gone']);
  });

  test('a child adds its context to every line, a grandchild to its parent\'s, and a call\'s context wins', () => {
    const { logger, lines } = capture({ json: true });
    const conn = logger.child({ conn: 'c1', peer: '10.0.0.1' });
    const stream = conn.child({ stream: 'live/a' });
    conn.info('opened');
    stream.info('play', { peer: 'override', skipped: undefined });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2026-12-05T12:00:00.000Z', level: 'info', msg: 'opened', conn: 'c1', peer: '10.0.0.1' },
      { time: '2026-12-05T12:00:00.000Z', level: 'info', msg: 'play', conn: 'c1', peer: 'override', stream: 'live/a' },
    ]);
    logger.info('root');
    expect(JSON.parse(lines[2]!)).toEqual({ time: '2026-12-05T12:00:00.000Z', level: 'info', msg: 'root' });
  });

  test('repeats of one message past the burst are suppressed across children, and the next window says how many', () => {
    const { logger, lines, advance } = capture({ burstPerWindow: 2, windowMs: 1000 });
    const a = logger.child({ conn: 'a' });
    const b = logger.child({ conn: 'b' });
    for (const child of [a, b, a, b, a]) child.warn('bad handshake');
    a.warn('another message');
    expect(lines.length).toBe(3);
    advance(1000);
    b.warn('bad handshake');
    expect(lines[3]).toBe('2026-12-05T12:00:01.000Z WARN  bad handshake conn=b suppressed=3');
  });
});
