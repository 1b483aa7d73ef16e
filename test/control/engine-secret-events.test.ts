import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineSecretService, secretsEqual } from '../../src/control/services/index.ts';
import { makeFixture } from './helpers.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'weir-secret-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('EngineSecretService', () => {
  test('created once in the data dir with mode 0600, then read back', () => {
    withDir((dir) => {
      const data = join(dir, 'data');
      const first = EngineSecretService.load({ dataDir: data, env: {} });
      expect(first.source).toBe('created');
      expect(first.secret).toMatch(/^[0-9a-f]{64}$/);
      const path = join(data, 'engine-secret');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8').trim()).toBe(first.secret);
      const second = EngineSecretService.load({ dataDir: data, env: {} });
      expect(second.source).toBe('file');
      expect(second.secret).toBe(first.secret);
    });
  });

  test('WEIR_ENGINE_SECRET wins; too-short secrets are refused', () => {
    withDir((dir) => {
      const s = EngineSecretService.load({ dataDir: dir, env: { WEIR_ENGINE_SECRET: 'x'.repeat(32) } });
      expect(s.source).toBe('env');
      expect(s.secret).toBe('x'.repeat(32));
      expect(() => EngineSecretService.load({ dataDir: dir, env: { WEIR_ENGINE_SECRET: 'short' } })).toThrow();
      writeFileSync(join(dir, 'engine-secret'), 'tiny\n');
      expect(() => EngineSecretService.load({ dataDir: dir, env: {} })).toThrow();
    });
  });

  test('constant-time comparisons', () => {
    const s = EngineSecretService.fromValue('s'.repeat(40));
    expect(s.matches('s'.repeat(40))).toBe(true);
    expect(s.matches('s'.repeat(39) + 't')).toBe(false);
    expect(s.matches('s'.repeat(41))).toBe(false);
    expect(s.matches(undefined)).toBe(false);
    expect(s.matchesAuthorization(`Bearer ${'s'.repeat(40)}`)).toBe(true);
    expect(s.matchesAuthorization(`bearer  ${'s'.repeat(40)}`)).toBe(true);
    expect(s.matchesAuthorization('s'.repeat(40))).toBe(false);
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('', 'abc')).toBe(false);
  });
});

describe('EventsService', () => {
  test('keeps the newest events up to its capacity, in order, with sequence numbers', () => {
    const { services, clock } = makeFixture({ eventsCapacity: 3 });
    const heard: number[] = [];
    services.events.subscribe((e) => heard.push(e.seq));
    for (let i = 1; i <= 5; i++) {
      clock.advance(10);
      services.events.record([{ type: 'play-stop', app: 'live', stream: `s${i}`, clientId: `c${i}`, atMs: i }]);
    }
    expect(services.events.recent().map((e) => e.stream)).toEqual(['s3', 's4', 's5']);
    expect(services.events.recent(2).map((e) => e.seq)).toEqual([4, 5]);
    expect(services.events.recent(0)).toEqual([]);
    expect(services.events.recent().at(-1)?.receivedAtMs).toBe(clock.ms);
    expect(heard).toEqual([1, 2, 3, 4, 5]);
  });
});
