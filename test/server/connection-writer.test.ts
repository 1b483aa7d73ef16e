import { describe, expect, test } from 'bun:test';
import { ConnectionWriter, type ByteSink } from '../../src/server/connection-writer.ts';

class FakeSink implements ByteSink {
  accepted: Uint8Array[] = [];
  writes = 0;
  budget = Number.POSITIVE_INFINITY;
  ended = false;
  write(bytes: Uint8Array): number {
    this.writes++;
    const n = Math.min(bytes.byteLength, this.budget);
    this.budget -= n;
    if (n > 0) this.accepted.push(bytes.slice(0, n));
    return n;
  }
  aborted = false;
  end(): void {
    this.ended = true;
  }
  abort(): void {
    this.aborted = true;
  }
  get total(): number {
    return this.accepted.reduce((s, b) => s + b.byteLength, 0);
  }
}

const tick = () => new Promise<void>((r) => queueMicrotask(r));
const limits = { softLimitBytes: 1000, hardLimitBytes: 4000 };

describe('ConnectionWriter', () => {
  test('merges what one tick queued into one write', async () => {
    const sink = new FakeSink();
    const w = new ConnectionWriter(sink, limits, () => {});
    w.writeControl(new Uint8Array([1, 2]));
    w.writeMedia(new Uint8Array([3]), true);
    w.writeMedia(new Uint8Array([4, 5]), false);
    await tick();
    expect(sink.writes).toBe(1);
    expect([...sink.accepted[0]!]).toEqual([1, 2, 3, 4, 5]);
  });

  test('keeps what the transport did not take and resumes on drain', async () => {
    const sink = new FakeSink();
    sink.budget = 3;
    const w = new ConnectionWriter(sink, limits, () => {});
    w.writeControl(new Uint8Array([1, 2, 3, 4, 5]));
    await tick();
    expect(sink.total).toBe(3);
    w.writeControl(new Uint8Array([6]));
    await tick();
    expect(sink.writes).toBe(1); // blocked until drain
    sink.budget = Infinity;
    w.resume();
    expect(sink.accepted.flatMap((b) => [...b])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a slow viewer drops to the next keyframe, then catches up', async () => {
    const sink = new FakeSink();
    sink.budget = 0;
    const w = new ConnectionWriter(sink, limits, () => {});
    const frame = (n: number) => new Uint8Array(300).fill(n);
    w.writeMedia(frame(1), true);
    await tick(); // stuck: nothing taken
    expect(w.writeMedia(frame(2), false)).toBe(true);
    expect(w.writeMedia(frame(3), false)).toBe(true);
    expect(w.writeMedia(frame(4), false)).toBe(false); // over 1000: queued media discarded
    expect(w.stats.droppedMessages).toBeGreaterThan(0);
    expect(w.writeMedia(frame(5), false)).toBe(false); // still waiting for a keyframe
    sink.budget = Infinity;
    w.resume();
    expect(w.writeMedia(frame(6), true)).toBe(true);
    await tick();
    // frame 1 was already offered to the transport (committed) and stays; 2 and 3 were queued
    // media and were discarded by the overflow; 4 and 5 were refused; 6 is the keyframe
    const sent = sink.accepted.flatMap((b) => [...b]);
    expect([...new Set(sent)]).toEqual([1, 6]);
    expect(sent.length).toBe(600);
    expect(w.stats.droppedMessages).toBe(4);
  });

  test('a stalled viewer is cut off and its memory released', async () => {
    const sink = new FakeSink();
    sink.budget = 0;
    let reason = '';
    const w = new ConnectionWriter(sink, limits, (r) => (reason = r));
    for (let i = 0; i < 200; i++) {
      w.writeMedia(new Uint8Array(300), i % 10 === 0);
      if (i % 5 === 0) await tick();
    }
    expect(w.isClosed).toBe(true);
    expect(reason).toContain('too slow');
    expect(w.queuedBytes).toBe(0);
    expect(sink.aborted).toBe(true);
  });

  test('control bytes are never dropped but bounded by the hard limit', () => {
    const sink = new FakeSink();
    sink.budget = 0;
    let failed = false;
    const w = new ConnectionWriter(sink, limits, () => (failed = true));
    w.writeControl(new Uint8Array(3000));
    expect(failed).toBe(false);
    w.writeControl(new Uint8Array(2000));
    expect(failed).toBe(true);
  });
});

describe('merged writes', () => {
  test('media waits for the merge window and goes out in one write; control does not wait', async () => {
    {
      const sink = new FakeSink();
      const w = new ConnectionWriter(sink, { ...limits, mergeWriteMs: 30 }, () => {});
      w.writeMedia(new Uint8Array([1]), true);
      await tick();
      expect(sink.writes).toBe(0); // held for the window
      w.writeMedia(new Uint8Array([2]), false);
      await Bun.sleep(50);
      expect(sink.writes).toBe(1);
      expect([...sink.accepted[0]!]).toEqual([1, 2]);
      w.writeMedia(new Uint8Array([3]), false);
      w.writeControl(new Uint8Array([4])); // a reply must not wait: it takes the media along
      await tick();
      expect(sink.writes).toBe(2);
      expect([...sink.accepted[1]!]).toEqual([3, 4]);
    }
  });
});
