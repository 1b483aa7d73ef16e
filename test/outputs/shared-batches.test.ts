// Fan-out through shared batches: one flush window is joined once and the same bytes object
// goes to every caught-up viewer's transport in one write; a viewer that fell behind leaves that
// path for its own queue and comes back to it once it has caught up.
import { describe, expect, test } from 'bun:test';
import type { LiveStream } from '../../src/hub/live-stream.ts';
import { encodeFlvPacket } from '../../src/outputs/encoders.ts';
import { OutputRegistry } from '../../src/outputs/output-registry.ts';
import type { OutputViewer } from '../../src/outputs/serialized-output.ts';
import { ConnectionWriter, type ByteSink } from '../../src/server/connection-writer.ts';
import { publishedStream } from './published-stream.ts';

class FakeSink implements ByteSink {
  /** what each write was offered (the object itself) */
  writes: Uint8Array[] = [];
  /** what the transport took of it */
  accepted: Uint8Array[] = [];
  budget = Number.POSITIVE_INFINITY;
  write(bytes: Uint8Array): number {
    this.writes.push(bytes);
    const n = Math.min(bytes.byteLength, this.budget);
    this.budget -= n;
    if (n > 0) this.accepted.push(bytes.subarray(0, n));
    return n;
  }
  end(): void {}
  abort(): void {}
}

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve));

function setUp() {
  const { streams, stream } = publishedStream();
  const outputs = new OutputRegistry(streams, () => 0);
  const output = outputs.obtain(stream, 'flv', encodeFlvPacket);
  const attach = (sink: FakeSink) => {
    const writer = new ConnectionWriter(sink, { softLimitBytes: 1 << 20, hardLimitBytes: 4 << 20 }, () => {});
    const viewer: OutputViewer = {
      sendControl: (bytes) => writer.writeControl(bytes),
      sendMedia: (bytes, randomAccess, entry) => void writer.writeMedia(bytes, randomAccess, entry),
      sendBatch: (batch) => writer.writeBatch(batch),
      onPublisherStart: () => {},
      onPublisherStop: () => {},
      onStreamEnd: () => writer.endGracefully(),
    };
    output.addViewer(viewer);
    return writer;
  };
  return { stream, output, attach };
}

function frame(stream: LiveStream, i: number, key = false): void {
  stream.ingest({ type: 9, timestampMs: i * 40, body: new Uint8Array([key ? 0x17 : 0x27, 1, 0, 0, 0, i]), header: false, keyframe: key });
  stream.ingest({ type: 8, timestampMs: i * 40, body: new Uint8Array([0xaf, 1, i]), header: false, keyframe: false });
}

describe('shared batches', () => {
  test('100 caught-up viewers get the same bytes object in one write each per flush', async () => {
    const { stream, output, attach } = setUp();
    const sinks = Array.from({ length: 100 }, () => new FakeSink());
    const writers = sinks.map(attach);
    await tick(); // the headers and GOP of the join go out privately
    const before = sinks.map((s) => s.writes.length);
    for (let i = 1; i <= 5; i++) frame(stream, i);
    await tick();
    const batch = sinks[0]!.writes.at(-1)!;
    expect(batch.byteLength).toBe(10 * (11 + 4) + 5 * 6 + 5 * 3); // 10 FLV tags of one window
    for (const [n, sink] of sinks.entries()) {
      expect(sink.writes.length).toBe(before[n]! + 1);
      expect(sink.writes.at(-1)).toBe(batch); // the very same object: no per-viewer copy
      expect(writers[n]!.stats.sharedWrites).toBe(1);
    }
    expect(output.batchesJoined).toBe(1);
    expect(output.packetsEncoded).toBe(12);
  });

  test('a viewer that joins while a window is open starts on the next one, without doubles', async () => {
    const { stream, attach } = setUp();
    const early = new FakeSink();
    attach(early);
    await tick();
    frame(stream, 1);
    const late = new FakeSink();
    attach(late); // its GOP already holds frame 1
    await tick();
    frame(stream, 2);
    await tick();
    const bytes = (s: FakeSink) => s.writes.reduce((n, b) => n + b.byteLength, 0);
    expect(bytes(late)).toBe(bytes(early));
    expect(late.writes.at(-1)).toBe(early.writes.at(-1));
  });

  test('a viewer that could not take a whole batch leaves the shared path and rejoins it once caught up', async () => {
    const { stream, attach } = setUp();
    const fast = new FakeSink();
    const slow = new FakeSink();
    attach(fast);
    const slowWriter = attach(slow);
    await tick();
    slow.budget = 20; // the kernel takes part of the next batch only
    frame(stream, 1);
    await tick();
    expect(slowWriter.queuedBytes).toBeGreaterThan(0);
    frame(stream, 2);
    await tick();
    // Blocked: frame 2 waits in the slow viewer's own queue, the fast one got it shared.
    expect(slowWriter.stats.privateBatches).toBe(1);
    expect(slow.writes.at(-1)).not.toBe(fast.writes.at(-1));
    slow.budget = Number.POSITIVE_INFINITY;
    slowWriter.resume(); // drain: the rest of batch 1 and frame 2 in one private write
    expect(slowWriter.queuedBytes).toBe(0);
    frame(stream, 3);
    await tick();
    expect(slow.writes.at(-1)).toBe(fast.writes.at(-1)); // back on the shared path
    expect(slowWriter.stats.sharedWrites).toBe(2);
    // Same bytes in the same order reached both viewers.
    const flat = (parts: Uint8Array[]) => parts.flatMap((b) => [...b]);
    expect(flat(slow.accepted)).toEqual(flat(fast.accepted));
  });
});
