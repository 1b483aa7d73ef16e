// GET /v1/status reports the SRT, RTSP and WebRTC listeners (on or off, the bound port, whether SRT needs
// a passphrase), so the control plane can show their URLs: engines on port 0 report the port
// the OS gave them.
import { afterEach, expect, test } from 'bun:test';
import { startManagedEngine, type ManagedEngine } from '../../src/engine/engine-managed.ts';
import { secretFromValue } from '../../src/engine/control-link/engine-secret.ts';
import type { EngineStatus } from '../../src/shared/config-protocol.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RTSP_SETTINGS, DEFAULT_SRT_SETTINGS, DEFAULT_WEBRTC_SETTINGS, type EngineConfig } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { freePort } from '../e2e/harness.ts';

const SECRET = 'engine-listeners-secret';
const running: ManagedEngine[] = [];
afterEach(() => {
  for (const m of running.splice(0)) m.stop();
});

async function statusOf(extra: Partial<EngineConfig>): Promise<EngineStatus> {
  const managed = startManagedEngine({
    baseConfig: {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
      ...extra,
    },
    configUrl: null,
    secret: secretFromValue(SECRET),
    dataDir: null,
    api: { host: '127.0.0.1', port: 0 },
    version: '0.0.0-test',
    logger: createLogger({ sink: () => undefined }),
  });
  running.push(managed);
  const engine = await managed.ready;
  await engine.ready;
  const res = await fetch(`http://127.0.0.1:${managed.api!.port}/v1/status`, { headers: { Authorization: `Bearer ${SECRET}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as EngineStatus;
}

test('SRT and RTSP on: the ports they are bound to, and whether SRT callers need the passphrase', async () => {
  const srtPort = freePort();
  const status = await statusOf({
    srt: { ...DEFAULT_SRT_SETTINGS, host: '127.0.0.1', port: srtPort, passphrase: 'a-long-enough-passphrase' },
    rtsp: { ...DEFAULT_RTSP_SETTINGS, host: '127.0.0.1', port: 0 },
  });
  expect(status.listeners?.srt).toEqual({ enabled: true, port: srtPort, encrypted: true });
  expect(status.listeners?.rtsp.enabled).toBe(true);
  // port 0 asked: the status says which one the OS chose (the one a client must dial)
  expect(status.listeners?.rtsp.port).toBeGreaterThan(0);
  expect(JSON.stringify(status)).not.toContain('a-long-enough-passphrase');
});

test('SRT without a passphrase, and both off', async () => {
  const srtPort = freePort();
  const on = await statusOf({ srt: { ...DEFAULT_SRT_SETTINGS, host: '127.0.0.1', port: srtPort } });
  expect(on.listeners).toEqual({ srt: { enabled: true, port: srtPort, encrypted: false }, rtsp: { enabled: false, port: null }, webrtc: { enabled: false, port: null } });
  const off = await statusOf({ srt: { ...DEFAULT_SRT_SETTINGS, enabled: false, passphrase: 'a-long-enough-passphrase' } });
  expect(off.listeners).toEqual({ srt: { enabled: false, port: null, encrypted: false }, rtsp: { enabled: false, port: null }, webrtc: { enabled: false, port: null } });
});

test('WebRTC on: the UDP port every WHEP/WHIP session shares (the console shows its WebRTC preview only then)', async () => {
  const port = freePort();
  const status = await statusOf({ webrtc: { ...DEFAULT_WEBRTC_SETTINGS, host: '127.0.0.1', port } });
  expect(status.listeners?.webrtc).toEqual({ enabled: true, port });
});
