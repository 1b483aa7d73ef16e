import { expect, test } from 'bun:test';
import { parseConfigSnapshot } from '../../src/engine/control-link/config-snapshot.ts';
import { CONFIG_PROTOCOL_VERSION } from '../../src/shared/config-protocol.ts';

const snapshot = (app: Record<string, unknown>) => ({
  protocolVersion: CONFIG_PROTOCOL_VERSION,
  revision: 1,
  listen: { rtmpHost: '127.0.0.1', rtmpPort: 1935, httpHost: '127.0.0.1', httpPort: 8080 },
  hls: { targetDurationMs: 2000, partTargetMs: 334, windowSegments: 6 },
  apps: [{ name: 'live', sourceType: 'push', hls: true, llHls: true, publishPolicy: 'open', playPolicy: 'open', hookUrl: null, ...app }],
  pulls: [],
  forwards: [],
});

test("an app's origin URL template reaches the engine through the snapshot", () => {
  const parsed = parseConfigSnapshot(snapshot({ originUrl: 'rtmp://origin:1935/{app}/{stream}' }));
  expect(parsed.apps[0]!.originUrl).toBe('rtmp://origin:1935/{app}/{stream}');
  expect(parseConfigSnapshot(snapshot({})).apps[0]!.originUrl ?? null).toBeNull();
  expect(() => parseConfigSnapshot(snapshot({ originUrl: 42 }))).toThrow('originUrl');
});
