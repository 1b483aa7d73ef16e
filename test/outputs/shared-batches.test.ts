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
import { VIEWERS_PER_LANE } from '../../src/outputs/serialized-output.ts';

class FakeSink implements ByteSink {
  /** what each write was offered (the object itself) */
  writes: Uint8Array[] = [];
  /** what the transport took of it */
  accepted: Uint8Array[] = [];
  /** when each write was offered (performance.now()) */
  writeTimes: number[] = [];
  budget = Number.POSITIVE_INFINITY;
  write(bytes: Uint8Array): number {
    this.writes.push(bytes);
    this.writeTimes.push(performance.now());
    const n = Math.min(bytes.byteLength, this.budget);
    this.budget -= n;
    if (n > 0) this.accepted.push(bytes.subarray(0, n));
    return n;
  }
  end(): void {}
  abort(): void {}
}

/** type@timestamp of every FLV tag a sink's transport took, in order */
function flvTags(sink: FakeSink): string[] {
  const bytes = new Uint8Array(sink.accepted.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of sink.accepted) {
    bytes.set(b, at);
    at += b.byteLength;
  }
  const tags: string[] = [];
  for (let i = 0; i + 11 <= bytes.byteLength; ) {
    const size = (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!;
    const ts = ((bytes[i + 7]! << 24) | (bytes[i + 4]! << 16) | (bytes[i + 5]! << 8) | bytes[i + 6]!) >>> 0;
    tags.push(`${bytes[i]}@${ts}`);
    i += 11 + size + 4;
  }
  return tags;
}

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve));

/**
 * `direct`: viewers give the output their transport (OutputViewer.direct), so caught up they are
 * written from their lane's table; otherwise every window goes through sendBatch.
 */
function setUp(windowMs: number, direct: boolean) {
  const { streams, stream } = publishedStream();
  const engine = { bytesOut: 0 };
  const outputs = new OutputRegistry(streams, () => windowMs, engine);
  const output = outputs.obtain(stream, 'flv', encodeFlvPacket);
  const viewers: OutputViewer[] = [];
  /** windows that went through sendBatch (the writer), per viewer */
  const batchCalls: number[] = [];
  const attach = (sink: FakeSink) => {
    const index = batchCalls.push(0) - 1;
    const writer = new ConnectionWriter(sink, { softLimitBytes: 1 << 20, hardLimitBytes: 4 << 20 }, () => {}, (n) => {
      engine.bytesOut += n;
      stream.counters.bytesOut += n;
    });
    const viewer: OutputViewer = {
      sendControl: (bytes) => writer.writeControl(bytes),
      sendMedia: (bytes, randomAccess, entry) => void writer.writeMedia(bytes, randomAccess, entry),
      sendBatch: (batch) => {
        batchCalls[index]!++;
        writer.writeBatch(batch);
      },
      onPublisherStart: () => {},
      onPublisherStop: () => {},
      onStreamEnd: () => writer.endGracefully(),
      ...(direct ? { direct: { transport: sink, member: writer } } : {}),
    };
    viewers.push(viewer);
    output.addViewer(viewer);
    return writer;
  };
  return { stream, output, attach, engine, viewers, batchCalls };
}

function frame(stream: LiveStream, i: number, key = false): void {
  stream.ingest({ type: 9, timestampMs: i * 40, body: new Uint8Array([key ? 0x17 : 0x27, 1, 0, 0, 0, i]), header: false, keyframe: key });
  stream.ingest({ type: 8, timestampMs: i * 40, body: new Uint8Array([0xaf, 1, i]), header: false, keyframe: false });
}

for (const direct of [false, true]) {
const setUpMode = (windowMs = 0) => setUp(windowMs, direct);

describe(direct ? 'shared batches, written from the lane table' : 'shared batches, through each writer', () => {
  test('100 caught-up viewers get the same bytes object in one write each per flush', async () => {
    const { stream, output, attach } = setUpMode();
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
    const { stream, attach } = setUpMode();
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
    const { stream, attach } = setUpMode();
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

  test('a viewer that joins while a timed window is open also gets what arrives after its join', async () => {
    const { stream, output, attach } = setUpMode(30);
    const early = new FakeSink();
    attach(early);
    frame(stream, 1, true); // opens the window
    const late = new FakeSink();
    attach(late); // its GOP holds frame 1, not what follows
    frame(stream, 2);
    expect(output.batchesJoined).toBe(0); // the window is still open
    await Bun.sleep(80);
    frame(stream, 3);
    await Bun.sleep(80);
    // Header, its GOP (frame 1), then frame 2 once (which arrived after its join), then frame 3 shared.
    expect(flvTags(late)).toEqual(['9@0', '9@40', '8@40', '9@80', '8@80', '9@120', '8@120']);
    expect(flvTags(early).slice(-6)).toEqual(flvTags(late).slice(-6));
    expect(late.writes.at(-1)).toBe(early.writes.at(-1)); // and it is on the shared path now
  });

  test('many viewers are split into lanes whose windows close at spread phases; all get the same bytes', async () => {
    const { stream, output, attach } = setUpMode(200);
    const count = VIEWERS_PER_LANE * 4;
    const sinks = Array.from({ length: count }, () => new FakeSink());
    sinks.forEach(attach);
    expect(output.laneSizes).toEqual([VIEWERS_PER_LANE, VIEWERS_PER_LANE, VIEWERS_PER_LANE, VIEWERS_PER_LANE]);
    await tick();
    const before = sinks.map((s) => s.writes.length);
    frame(stream, 1);
    await Bun.sleep(450);
    const reference = [...sinks[0]!.writes.at(-1)!];
    for (const [n, sink] of sinks.entries()) {
      expect(sink.writes.length).toBe(before[n]! + 1);
      expect([...sink.writes.at(-1)!]).toEqual(reference);
    }
    // One write per viewer per window, not all in one burst: the lanes closed a quarter window apart.
    const times = sinks.map((s) => s.writeTimes.at(-1)!);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(100);
    // Lanes that closed over the same packets share one joined buffer.
    expect(output.batchesJoined).toBe(1);
    expect(new Set(sinks.map((s) => s.writes.at(-1))).size).toBe(1);
  });

  test('lanes that close over different packets are handed views of one arena buffer, not copies', async () => {
    const { stream, attach } = setUpMode(200);
    const sinks = Array.from({ length: VIEWERS_PER_LANE * 4 }, () => new FakeSink());
    sinks.forEach(attach);
    await tick();
    const before = sinks.map((s) => s.writes.length);
    // packets spread over the window, so each lane's window holds a different range of them
    for (let i = 1; i <= 8; i++) {
      frame(stream, i, i === 1);
      await Bun.sleep(30);
    }
    await Bun.sleep(450);
    const batches = sinks.flatMap((s, n) => s.writes.slice(before[n]!));
    const distinct = new Set(batches);
    expect(distinct.size).toBeGreaterThan(1);
    // every batch of every lane is a view of the same buffer: none was joined by copying
    expect(new Set([...distinct].map((b) => b.buffer)).size).toBe(1);
    // and each viewer still got every tag once, in order
    const expected = Array.from({ length: 8 }, (_, k) => [`9@${(k + 1) * 40}`, `8@${(k + 1) * 40}`]).flat();
    for (const sink of [sinks[0]!, sinks[VIEWERS_PER_LANE]!, sinks[VIEWERS_PER_LANE * 2]!, sinks[VIEWERS_PER_LANE * 3]!]) {
      expect(flvTags(sink).slice(-16)).toEqual(expected);
    }
  });

  test('with no merge window all lanes flush at the end of the tick with one buffer', async () => {
    const { stream, output, attach } = setUpMode(0);
    const sinks = Array.from({ length: VIEWERS_PER_LANE * 2 }, () => new FakeSink());
    sinks.forEach(attach);
    expect(output.laneSizes).toEqual([VIEWERS_PER_LANE, VIEWERS_PER_LANE]);
    await tick();
    frame(stream, 1);
    await tick();
    expect(new Set(sinks.map((s) => s.writes.at(-1))).size).toBe(1);
    expect(output.batchesJoined).toBe(1);
  });

  test('with no merge window packets keep buffers of their own (no arena chunk held by views)', async () => {
    const { stream, attach } = setUpMode(0);
    const sinks = Array.from({ length: 3 }, () => new FakeSink());
    sinks.forEach(attach);
    await tick();
    const before = sinks[0]!.writes.length;
    for (let i = 1; i <= 3; i++) {
      frame(stream, i, i === 1);
      await tick();
    }
    const written = sinks[0]!.writes.slice(before);
    expect(written.length).toBeGreaterThanOrEqual(3);
    // each write is a whole buffer of its own, not a slice of a larger one
    for (const bytes of written) expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
    expect(new Set(written.map((b) => b.buffer)).size).toBe(written.length);
    expect(flvTags(sinks[0]!).slice(-6)).toEqual(['9@40', '8@40', '9@80', '8@80', '9@120', '8@120']);
  });

  test('up to one lane of viewers shares a single buffer per window', async () => {
    const { stream, output, attach } = setUpMode(20);
    const sinks = Array.from({ length: VIEWERS_PER_LANE }, () => new FakeSink());
    sinks.forEach(attach);
    expect(output.laneSizes).toEqual([VIEWERS_PER_LANE]);
    await tick();
    frame(stream, 1);
    await Bun.sleep(60);
    expect(new Set(sinks.map((s) => s.writes.at(-1))).size).toBe(1);
  });
});
}

describe('the lane table', () => {
  test("caught-up viewers' bytes count toward the stream and the engine, once; each writer's stats settle when read", async () => {
    const { stream, attach, engine, batchCalls } = setUp(0, true);
    const sinks = Array.from({ length: 10 }, () => new FakeSink());
    const writers = sinks.map(attach);
    await tick();
    const written = () => sinks.reduce((n, s) => n + s.accepted.reduce((m, b) => m + b.byteLength, 0), 0);
    expect(stream.counters.bytesOut).toBe(written());
    for (let i = 1; i <= 4; i++) {
      frame(stream, i);
      await tick();
    }
    expect(stream.counters.bytesOut).toBe(written());
    expect(engine.bytesOut).toBe(written());
    expect(batchCalls).toEqual(sinks.map(() => 0)); // the lane wrote the transports itself
    for (const [n, writer] of writers.entries()) {
      expect(writer.stats.bytesWritten).toBe(sinks[n]!.accepted.reduce((m, b) => m + b.byteLength, 0));
      expect(writer.stats.sharedWrites).toBe(4);
    }
  });

  test('a short write leaves the table, what was taken counts once, and the viewer rejoins', async () => {
    const { stream, attach, engine } = setUp(0, true);
    const sinks = [new FakeSink(), new FakeSink(), new FakeSink()];
    const writers = sinks.map(attach);
    await tick();
    sinks[1]!.budget = 7;
    frame(stream, 1);
    await tick();
    const total = () => sinks.reduce((n, s) => n + s.accepted.reduce((m, b) => m + b.byteLength, 0), 0);
    expect(writers[1]!.queuedBytes).toBeGreaterThan(0);
    expect(engine.bytesOut).toBe(total());
    expect(stream.counters.bytesOut).toBe(total());
    frame(stream, 2);
    await tick();
    expect(writers[1]!.stats.privateBatches).toBe(1);
    sinks[1]!.budget = Number.POSITIVE_INFINITY;
    writers[1]!.resume();
    frame(stream, 3);
    await tick();
    expect(sinks[1]!.writes.at(-1)).toBe(sinks[0]!.writes.at(-1));
    expect(engine.bytesOut).toBe(total());
    expect(writers[1]!.stats.bytesWritten).toBe(sinks[1]!.accepted.reduce((m, b) => m + b.byteLength, 0));
    const flat = (parts: Uint8Array[]) => parts.flatMap((b) => [...b]);
    expect(flat(sinks[1]!.accepted)).toEqual(flat(sinks[0]!.accepted));
  });

  test('a viewer that leaves hands its slot to the last one; the others keep getting every batch', async () => {
    const { stream, output, attach, viewers } = setUp(0, true);
    const sinks = Array.from({ length: 5 }, () => new FakeSink());
    sinks.forEach(attach);
    await tick();
    frame(stream, 1);
    await tick();
    output.removeViewer(viewers[1]!);
    const gone = sinks[1]!.writes.length;
    frame(stream, 2);
    await tick();
    expect(sinks[1]!.writes.length).toBe(gone);
    for (const n of [0, 2, 3, 4]) expect(flvTags(sinks[n]!).slice(-4)).toEqual(['9@40', '8@40', '9@80', '8@80']);
    expect(new Set([0, 2, 3, 4].map((n) => sinks[n]!.writes.at(-1))).size).toBe(1);
  });

  test('a transport that throws ends its own viewer only', async () => {
    const { stream, attach } = setUp(0, true);
    const sinks = [new FakeSink(), new FakeSink()];
    const writers = sinks.map(attach);
    await tick();
    sinks[0]!.write = () => {
      throw new Error('socket gone');
    };
    frame(stream, 1);
    await tick();
    expect(writers[0]!.isClosed).toBe(true);
    expect(writers[1]!.isClosed).toBe(false);
    expect(flvTags(sinks[1]!).slice(-2)).toEqual(['9@40', '8@40']);
  });
});
