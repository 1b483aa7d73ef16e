// A busy port at start names the listener, the address and the port (Bun alone says "Failed to
// listen at 127.0.0.1"), and nothing is left listening.
import { afterAll, expect, test } from 'bun:test';
import { startEngine } from '../../src/engine/engine-runtime.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { freePort } from '../e2e/harness.ts';

const busy = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
afterAll(() => busy.stop(true));

function configWith(rtmpPort: number, httpPort: number): EngineConfig {
  return {
    ...DEFAULT_ENGINE_CONFIG,
    rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: rtmpPort },
    http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: httpPort },
  };
}
const quiet = { logger: createLogger({ level: 'error', sink: () => {} }) };

test('a busy RTMP port: the error names RTMP, the address and the port', () => {
  expect(() => startEngine(configWith(busy.port, 0), quiet)).toThrow(`RTMP cannot listen on 127.0.0.1:${busy.port}: the address is in use`);
});

test('a busy HTTP port: the error names HTTP, the address and the port, and the RTMP listener is closed again', async () => {
  const rtmpPort = freePort();
  let thrown: Error | null = null;
  try {
    startEngine(configWith(rtmpPort, busy.port), quiet);
  } catch (err) {
    thrown = err as Error;
  }
  expect(thrown?.message).toBe(`HTTP cannot listen on 127.0.0.1:${busy.port}: the address is in use`);
  const refused = await Bun.connect({ hostname: '127.0.0.1', port: rtmpPort, socket: { data() {} } }).then(
    (socket) => (socket.end(), false),
    () => true,
  );
  expect(refused).toBe(true);
});
