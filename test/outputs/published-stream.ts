// A stream registry with live/s published and its cache primed with an H.264 sequence header and a
// keyframe, so an output obtained for it starts its viewers with those two packets.
import { StreamRegistry } from '../../src/hub/stream-registry.ts';
import type { LiveStream } from '../../src/hub/live-stream.ts';

export function publishedStream(): { streams: StreamRegistry; stream: LiveStream } {
  const streams = new StreamRegistry({ waitForPublisherMs: 100, publisherTakeover: true, gopLimits: { maxPackets: 100, maxBytes: 1 << 20 } });
  const res = streams.publish('live', 's', { id: 'p', kick: () => {} });
  if (!res.ok) throw new Error('publish failed');
  const stream = res.stream;
  stream.ingest({ type: 9, timestampMs: 0, body: new Uint8Array([0x17, 0, 0, 0, 0]), header: true, keyframe: false });
  stream.ingest({ type: 9, timestampMs: 0, body: new Uint8Array([0x17, 1, 0, 0, 0, 9]), header: false, keyframe: true });
  return { streams, stream };
}
