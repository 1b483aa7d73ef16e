// An in-process engine on loopback ports whose apps record into a temporary directory (1 s
// segments by default), with an optional admission in place of the app list: what the
// look-back, time-shift and export tests share.
import { startEngine } from '../../src/engine/engine-runtime.ts';
import type { Admission } from '../../src/server/admission.ts';
import type { RecordingSettings } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RECORDING_SETTINGS, type EngineConfig } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import type { TestEngine } from './harness.ts';

export function recordingSettings(path: string, overrides: Partial<RecordingSettings> = {}): RecordingSettings {
  return { enabled: true, format: 'fmp4', segmentDurationSec: 1, path, retentionDays: 0, quotaMb: 0, ...overrides };
}

export function startRecordingEngine(apps: EngineConfig['apps'], admission?: Admission): TestEngine {
  const logs: string[] = [];
  const config: EngineConfig = {
    ...DEFAULT_ENGINE_CONFIG,
    rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
    http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
    apps,
    // the test machine's disk may be fuller than the default floor
    recording: { ...DEFAULT_RECORDING_SETTINGS, minFreeBytes: 0 },
  };
  const engine = startEngine(config, { logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }), ...(admission ? { admission } : {}) });
  return {
    ...engine,
    logs,
    rtmpUrl: (path) => `rtmp://127.0.0.1:${engine.rtmpPort}/${path}`,
    httpUrl: (path) => `http://127.0.0.1:${engine.httpPort}/${path}`,
  };
}
