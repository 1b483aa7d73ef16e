import { expect, test } from 'bun:test';
import { encodeFlvPacket } from '../../src/outputs/encoders.ts';
import { OutputRegistry } from '../../src/outputs/output-registry.ts';
import type { OutputViewer } from '../../src/outputs/serialized-output.ts';
import { publishedStream } from '../outputs/published-stream.ts';

function recordingViewer(): OutputViewer & { got: Uint8Array[]; ended: boolean } {
  const got: Uint8Array[] = [];
  const v = {
    got,
    ended: false,
    sendControl: (b: Uint8Array) => got.push(b),
    sendMedia: (b: Uint8Array) => got.push(b),
    onPublisherStart: () => {},
    onPublisherStop: () => {},
    onStreamEnd: () => (v.ended = true),
  };
  return v;
}

test('each packet is serialized once and the same bytes go to every viewer', () => {
  const { streams, stream } = publishedStream();
  const outputs = new OutputRegistry(streams);

  const output = outputs.obtain(stream, 'flv', encodeFlvPacket);
  const viewers = Array.from({ length: 100 }, recordingViewer);
  for (const v of viewers) output.addViewer(v);
  for (let i = 1; i <= 10; i++) {
    stream.ingest({ type: 9, timestampMs: i * 40, body: new Uint8Array([0x27, 1, 0, 0, 0, i]), header: false, keyframe: false });
  }
  // 2 cached packets + 10 live ones, whatever the viewer count
  expect(output.packetsEncoded).toBe(12);
  for (const v of viewers) {
    expect(v.got.length).toBe(12);
    v.got.forEach((bytes, i) => expect(bytes).toBe(viewers[0]!.got[i]!)); // identical objects, not copies
  }
  expect(outputs.obtain(stream, 'flv', encodeFlvPacket)).toBe(output);
  for (const v of viewers) output.removeViewer(v);
  expect(stream.readerCount).toBe(0);
  expect(outputs.obtain(stream, 'flv', encodeFlvPacket)).not.toBe(output);
});
