// The engine-wide totals behind weir_dropped_frames_total and weir_slow_viewer_disconnects_total:
// every ConnectionWriter adds its drops and slow-viewer cut-offs to them.
import { describe, expect, test } from 'bun:test';
import { ConnectionWriter, type ByteSink, type WriterTotals } from '../../src/server/connection-writer.ts';

function stalledSink(): ByteSink & { aborted: boolean } {
  return { aborted: false, write: () => 0, end() {}, abort() { this.aborted = true; } };
}
const tick = () => new Promise<void>((r) => queueMicrotask(r));
const limits = { softLimitBytes: 1000, hardLimitBytes: 4000 };

describe('writer totals', () => {
  test('drops and slow-viewer cut-offs of several writers add up; a kick is not a slow disconnect', async () => {
    const totals: WriterTotals = { droppedMessages: 0, slowDisconnects: 0, degradations: 0 };
    const writers = [0, 1].map(() => new ConnectionWriter(stalledSink(), limits, () => {}, undefined, totals));
    for (const w of writers) {
      for (let i = 0; i < 200; i++) {
        w.writeMedia(new Uint8Array(300), i % 10 === 0);
        if (i % 5 === 0) await tick();
      }
      expect(w.isClosed).toBe(true);
    }
    const dropped = writers.reduce((n, w) => n + w.stats.droppedMessages, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(totals.droppedMessages).toBe(dropped);
    expect(totals.slowDisconnects).toBe(2);

    const hard = new ConnectionWriter(stalledSink(), limits, () => {}, undefined, totals);
    hard.writeControl(new Uint8Array(5000));
    expect(totals.slowDisconnects).toBe(3);
    const kicked = new ConnectionWriter(stalledSink(), limits, () => {}, undefined, totals);
    kicked.abort();
    expect(totals.slowDisconnects).toBe(3);
  });
});
