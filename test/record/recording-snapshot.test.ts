// The recording settings in the config snapshot: parsed and checked before the engine acts on
// them (the engine writes and deletes under the path, so only absolute paths without '..').
import { expect, test } from 'bun:test';
import { parseConfigSnapshot, SnapshotError } from '../../src/engine/control-link/config-snapshot.ts';
import { engineConfigFromSnapshot, DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { appSettings, makeSnapshot } from '../engine/fake-config-server.ts';

const good = { enabled: true, format: 'ts', segmentDurationSec: 6, path: '/var/lib/weir/rec', retentionDays: 7, quotaMb: 1024 };

function withRecording(recording: unknown): unknown {
  return JSON.parse(JSON.stringify(makeSnapshot({ revision: 1, apps: [{ ...appSettings('live'), recording } as never] })));
}

test('a valid recording block reaches the engine configuration; an absent one means off', () => {
  const snapshot = parseConfigSnapshot(withRecording(good));
  expect(snapshot.apps[0]!.recording).toEqual(good as never);
  expect(engineConfigFromSnapshot(DEFAULT_ENGINE_CONFIG, snapshot).apps[0]!.recording).toEqual(good as never);
  const off = parseConfigSnapshot(JSON.parse(JSON.stringify(makeSnapshot({ revision: 1 }))));
  expect(off.apps[0]!.recording).toBeUndefined();
  expect(engineConfigFromSnapshot(DEFAULT_ENGINE_CONFIG, off).apps[0]!.recording).toBeUndefined();
});

test.each([
  ['relative path', { ...good, path: 'rec' }],
  ['climbing path', { ...good, path: '/var/../etc' }],
  ['unknown format', { ...good, format: 'mkv' }],
  ['zero duration', { ...good, segmentDurationSec: 0 }],
  ['negative retention', { ...good, retentionDays: -1 }],
  ['fractional quota', { ...good, quotaMb: 1.5 }],
  ['missing switch', { ...good, enabled: undefined }],
])('refused: %s', (_name, recording) => {
  expect(() => parseConfigSnapshot(withRecording(recording))).toThrow(SnapshotError);
});
