// Per-app edge mode (issue 6 item 2): an app's own originUrl template makes a viewer of a stream
// that is not live start an on-demand pull, with no engine-wide --edge-origin; apps without one
// do not pull.
import { describe, expect, test } from 'bun:test';
import { decode, publishPattern, waitFor } from '../e2e/harness.ts';
import { relayTestScope } from './relay-harness.ts';

const { start: startRelayEngine } = relayTestScope();

describe('edge per app', () => {
  test("app 'live' with originUrl: an HTTP-FLV viewer on the edge gets the origin's stream", async () => {
    const origin = startRelayEngine();
    // No engine-wide origin: only the app's own template can start a pull.
    const edge = startRelayEngine({ relay: { edgeOriginTemplate: null, edgeIdleMs: 1500 }, waitForPublisherMs: 3000 });
    edge.applyConfig({
      ...edge.config,
      apps: [{ name: 'live', originUrl: `rtmp://127.0.0.1:${origin.rtmpPort}/{app}/{stream}` }, { name: 'plain' }],
    });

    const publisher = await publishPattern(origin.rtmpUrl('live/show'), { seconds: 20, bFrames: 2 });
    expect(await waitFor(() => origin.context.streams.find('live', 'show')?.started === true, 8000)).toBe(true);
    expect(edge.relays.status()).toEqual([]);

    // HTTP-FLV viewer on the edge: it waits while the edge pulls from the origin, then decodes cleanly.
    const decoded = await decode(edge.httpUrl('live/show.flv'), 2);
    expect(decoded.exitCode).toBe(0);
    const status = edge.relay('edge-live/show');
    expect(status?.kind).toBe('edge');
    expect(status?.url).toContain(`127.0.0.1:${origin.rtmpPort}/live/show`);

    // An app without originUrl (and no engine-wide one) does not pull.
    const plain = await fetch(edge.httpUrl('plain/show.flv'));
    await plain.body?.cancel();
    expect(edge.relay('edge-plain/show')).toBeUndefined();

    // Nobody watches: the pull stops after the idle time.
    expect(await waitFor(() => edge.relays.status().length === 0, 8000)).toBe(true);
    await publisher.stop();
  }, 60_000);

  test("the app's originUrl wins over the engine-wide one", async () => {
    const origin = startRelayEngine();
    const edge = startRelayEngine({ relay: { edgeOriginTemplate: 'rtmp://127.0.0.1:1/{app}/{stream}', edgeIdleMs: 1500 } });
    edge.applyConfig({ ...edge.config, apps: [{ name: 'live', originUrl: `http://127.0.0.1:${origin.httpPort}/{app}/{stream}.flv` }] });
    const publisher = await publishPattern(origin.rtmpUrl('live/cam'), { seconds: 15, bFrames: 0 });
    expect(await waitFor(() => origin.context.streams.find('live', 'cam')?.started === true, 8000)).toBe(true);
    const decoded = await decode(edge.httpUrl('live/cam.flv'), 1);
    expect(decoded.exitCode).toBe(0);
    expect(edge.relay('edge-live/cam')?.url).toContain(`127.0.0.1:${origin.httpPort}/live/cam.flv`);
    await publisher.stop();
  }, 60_000);
});
