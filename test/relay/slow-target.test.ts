// A forward target that accepts TCP and never reads nor answers: the forward times out and
// retries with its error shown, while the publisher and a viewer carry on untouched; a target
// that refuses connections does the same. The publish ending stops the forwards.
import { afterAll, describe, expect, test } from 'bun:test';
import { killAll, probe, publishPattern, waitFor } from '../e2e/harness.ts';
import { freePort, startRelayEngine, type RelayTestEngine } from './relay-harness.ts';

const engines: RelayTestEngine[] = [];
const stuck = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
afterAll(async () => {
  for (const engine of engines) engine.stop();
  stuck.stop(true);
  await killAll();
});

describe('dead and stuck forward targets', () => {
  test('never affect the publisher or viewers', async () => {
    const refused = freePort();
    const engine = startRelayEngine({
      forwardTargets: () => [`rtmp://127.0.0.1:${stuck.port}/live/x`, `rtmp://127.0.0.1:${refused}/live/y`],
    });
    engines.push(engine);
    const publisher = await publishPattern(engine.rtmpUrl('live/main'), { seconds: 14, bFrames: 0 });
    expect(await waitFor(() => engine.context.streams.find('live', 'main')?.started === true, 8000)).toBe(true);
    const forwards = () => engine.relays.status().filter((r) => r.kind === 'forward');
    expect(await waitFor(() => forwards().some((r) => r.lastError?.includes('cannot connect') ?? false), 5000)).toBe(true);
    const probed = await probe(engine.httpUrl('live/main.flv'), { packets: true, seconds: 2 });
    expect(probed.packets.filter((p) => p.codec_type === 'video').length).toBeGreaterThan(30);
    // The stuck one gives up on its handshake after the ready timeout and retries.
    expect(await waitFor(() => forwards().some((r) => r.lastError?.includes('no publish start') ?? false), 12_000)).toBe(true);
    expect(engine.context.streams.find('live', 'main')?.publisher).not.toBeNull();
    await publisher.stop();
    expect(await waitFor(() => forwards().length === 0, 3000)).toBe(true);
  }, 60_000);
});
