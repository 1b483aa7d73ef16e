// Two Weir engines chained: an edge pulls on demand from its origin (first viewer starts the
// pull, the last viewer's departure stops it after the idle time), and a configured HTTP-FLV
// pull mirrors a stream of another engine; a forward target added to a live stream starts at once.
import { describe, expect, test } from 'bun:test';
import { decode, probe, publishPattern, waitFor } from '../e2e/harness.ts';
import { relayTestScope } from './relay-harness.ts';

const { start: startRelayEngine } = relayTestScope();

describe('engines chained', () => {
  test('origin -> edge: the first viewer starts an on-demand pull, idle viewers stop it', async () => {
    const origin = startRelayEngine();
    const edge = startRelayEngine({ relay: { edgeOriginTemplate: `rtmp://127.0.0.1:${origin.rtmpPort}/{app}/{stream}`, edgeIdleMs: 1500 } });
    const publisher = await publishPattern(origin.rtmpUrl('live/show'), { seconds: 20, bFrames: 2 });
    expect(await waitFor(() => origin.context.streams.find('live', 'show')?.started === true, 8000)).toBe(true);
    expect(edge.relays.status()).toEqual([]);

    // RTMP viewer on the edge: it waits while the edge pulls from the origin.
    const probed = await probe(edge.rtmpUrl('live/show'), { packets: true, seconds: 2 });
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(probed.packets.filter((p) => p.codec_type === 'video').length).toBeGreaterThan(20);
    const status = edge.relay('edge-live/show');
    expect(status?.kind).toBe('edge');
    expect(status?.state).toBe('live');

    // HTTP-FLV on the edge while it is live decodes cleanly.
    const decoded = await decode(edge.httpUrl('live/show.flv'), 2);
    expect(decoded.exitCode).toBe(0);

    // Nobody watches: the pull stops after the idle time and the origin loses its viewer.
    expect(await waitFor(() => edge.relays.status().length === 0, 6000)).toBe(true);
    expect(edge.context.streams.find('live', 'show')?.publisher ?? null).toBeNull();
    await publisher.stop();
  }, 60_000);

  test('HTTP-FLV pull from another engine, reconfigured live', async () => {
    const upstream = startRelayEngine();
    const mirror = startRelayEngine();
    const publisher = await publishPattern(upstream.rtmpUrl('live/a'), { seconds: 15, bFrames: 0 });
    // Added by a new configuration, as the config server's snapshot would.
    mirror.applyConfig({ ...mirror.config, pulls: [{ id: 'flv1', app: 'live', stream: 'mirrored', url: upstream.httpUrl('live/a.flv'), enabled: true }] });
    expect(await waitFor(() => mirror.relay('flv1')?.state === 'live', 8000)).toBe(true);
    const probed = await probe(mirror.rtmpUrl('live/mirrored'), { packets: true, seconds: 1 });
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const playlist = await waitFor(() => mirror.context.hls.find('live/mirrored') !== undefined, 3000);
    expect(playlist).toBe(true);
    // Removed again: the pull stops and the stream goes.
    mirror.applyConfig({ ...mirror.config, pulls: [] });
    expect(mirror.relays.status()).toEqual([]);
    expect(mirror.context.streams.find('live', 'mirrored')?.publisher ?? null).toBeNull();
    await publisher.stop();
  }, 60_000);

  // Alike in shape to the pull test above (two engines, a publish, a relay added by a new configuration); this one forwards, that one pulls.
  test('a forward target added while the stream is live starts at once; disabling it stops it', async () => {
    const source = startRelayEngine();
    const target = startRelayEngine();
    const publisher = await publishPattern(source.rtmpUrl('live/a'), { seconds: 20, bFrames: 0 });
    try {
      expect(await waitFor(() => source.context.streams.find('live', 'a')?.publisher != null, 10_000)).toBe(true);
      const forward = { id: 'f1', app: 'live', stream: 'a', url: target.rtmpUrl('live/copy'), enabled: true };
      source.applyConfig({ ...source.config, forwards: [forward] });
      expect(await waitFor(() => source.relay('f1')?.state === 'live', 8000)).toBe(true);
      expect(await waitFor(() => target.context.streams.find('live', 'copy')?.publisher != null, 8000)).toBe(true);
      const probed = await probe(target.rtmpUrl('live/copy'), { packets: true, seconds: 1 });
      expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      // the same configuration again neither doubles nor restarts it
      source.applyConfig({ ...source.config, forwards: [forward] });
      expect(source.relays.status().filter((r) => r.kind === 'forward').length).toBe(1);
      source.applyConfig({ ...source.config, forwards: [{ ...forward, enabled: false }] });
      expect(source.relays.status().filter((r) => r.kind === 'forward')).toEqual([]);
      expect(await waitFor(() => (target.context.streams.find('live', 'copy')?.publisher ?? null) === null, 8000)).toBe(true);
    } finally {
      await publisher.stop();
    }
  }, 60_000);
});
