// HLS on demand in the snapshot: the two settings reach the engine, a snapshot from a config
// server that predates them gets the engine's defaults, and a bad value refuses the snapshot.
import { expect, test } from 'bun:test';
import { parseConfigSnapshot } from '../../src/engine/control-link/config-snapshot.ts';
import { CONFIG_PROTOCOL_VERSION } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG, engineConfigFromSnapshot } from '../../src/shared/engine-config.ts';

const snapshot = (hls: Record<string, unknown>) => ({
  protocolVersion: CONFIG_PROTOCOL_VERSION,
  revision: 1,
  listen: { rtmpHost: '127.0.0.1', rtmpPort: 1935, httpHost: '127.0.0.1', httpPort: 8080 },
  hls: { targetDurationMs: 2000, partTargetMs: 334, windowSegments: 6, ...hls },
  apps: [],
  pulls: [],
  forwards: [],
});

test('alwaysRemux and muxerCloseAfterMs reach the engine config', () => {
  const parsed = parseConfigSnapshot(snapshot({ alwaysRemux: true, muxerCloseAfterMs: 5000 }));
  expect(parsed.hls).toMatchObject({ alwaysRemux: true, muxerCloseAfterMs: 5000 });
  const config = engineConfigFromSnapshot(DEFAULT_ENGINE_CONFIG, parsed);
  expect(config.hls.alwaysRemux).toBe(true);
  expect(config.hls.muxerCloseAfterMs).toBe(5000);
});

test('absent, they are the engine defaults: on demand, stopped after a minute unwatched', () => {
  const parsed = parseConfigSnapshot(snapshot({}));
  expect(parsed.hls.alwaysRemux).toBe(false);
  expect(parsed.hls.muxerCloseAfterMs).toBe(60_000);
});

test('a bad value refuses the snapshot', () => {
  expect(() => parseConfigSnapshot(snapshot({ alwaysRemux: 'yes' }))).toThrow('alwaysRemux');
  expect(() => parseConfigSnapshot(snapshot({ muxerCloseAfterMs: 10 }))).toThrow('muxerCloseAfterMs');
});
