// The slow-viewer policy on the writer, over a simulated link: a sink that takes what fits in a
// kernel-sized buffer, a link that empties that buffer at its own rate, and a receiver that
// parses what arrives and measures how far behind live each frame is.
import { describe, expect, test } from 'bun:test';
import { joinBatch, type MediaEntry } from '../../src/outputs/media-batch.ts';
import { ConnectionWriter, type ByteSink, type WriterTotals } from '../../src/server/connection-writer.ts';
import { DEFAULT_LAG_LIMITS } from '../../src/server/lag-policy.ts';

const KIND_CODE = { audio: 1, video: 2 } as const;
/** each entry on the wire: [size u32][timestamp u32][kind u8][key u8][padding] so the receiver can parse it back */
function entry(kind: 'audio' | 'video', timestampMs: number, key: boolean, size: number): MediaEntry {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, size);
  view.setUint32(4, timestampMs);
  bytes[8] = KIND_CODE[kind];
  bytes[9] = key ? 1 : 0;
  return { bytes, kind, randomAccess: kind === 'video' && key, timestampMs };
}

/**
 * socket: takes what fits in its buffer (Bun's socket.write); buffering: takes everything while
 * not over its buffer and then holds back until it is below it again (Bun's HTTP body stream).
 */
type Transport = 'socket' | 'buffering';

class SimulatedLink implements ByteSink {
  writer: ConnectionWriter | null = null;
  buffered = 0;
  aborted = false;
  transport: Transport = 'socket';
  private holding = false;
  private wire: Uint8Array[] = [];
  private pending = new Uint8Array(0);
  received: Array<{ kind: 'audio' | 'video'; key: boolean; timestampMs: number; lagMs: number }> = [];
  constructor(public bytesPerSecond: number, private readonly bufferBytes: number) {}
  write(bytes: Uint8Array): number {
    if (this.transport === 'buffering') {
      if (this.holding) return 0;
      this.wire.push(bytes);
      this.buffered += bytes.byteLength;
      this.holding = this.buffered > this.bufferBytes;
      return bytes.byteLength;
    }
    const n = Math.min(bytes.byteLength, this.bufferBytes - this.buffered);
    if (n <= 0) return 0;
    this.wire.push(bytes.subarray(0, n));
    this.buffered += n;
    return n;
  }
  end(): void {}
  abort(): void {
    this.aborted = true;
  }
  /** `ms` of link time pass at `nowMs`: what the link carried reaches the receiver. */
  carry(nowMs: number, ms: number): void {
    let budget = Math.floor((this.bytesPerSecond * ms) / 1000);
    const got: Uint8Array[] = [this.pending];
    while (budget > 0 && this.wire.length > 0) {
      const head = this.wire[0]!;
      const n = Math.min(budget, head.byteLength);
      got.push(head.subarray(0, n));
      if (n === head.byteLength) this.wire.shift();
      else this.wire[0] = head.subarray(n);
      budget -= n;
      this.buffered -= n;
    }
    const size = got.reduce((s, b) => s + b.byteLength, 0);
    const all = new Uint8Array(size);
    let at = 0;
    for (const b of got) (all.set(b, at), (at += b.byteLength));
    let offset = 0;
    while (all.byteLength - offset >= 10) {
      const view = new DataView(all.buffer, all.byteOffset + offset);
      const entrySize = view.getUint32(0);
      if (all.byteLength - offset < entrySize) break;
      const timestampMs = view.getUint32(4);
      this.received.push({ kind: all[offset + 8] === 1 ? 'audio' : 'video', key: all[offset + 9] === 1, timestampMs, lagMs: nowMs - timestampMs });
      offset += entrySize;
    }
    this.pending = all.slice(offset);
    if (this.buffered < this.bufferBytes) {
      this.holding = false;
      this.writer?.resume();
    }
  }
}

/** 30 fps video (1 s GOP: 30 KB keyframe, 8 KB inter frames) + 50 audio frames/s of 400 B: ~282 KB/s */
const STREAM_BYTES_PER_SECOND = 30_000 + 29 * 8_000 + 50 * 400;
const WINDOW_MS = 50;
const STEP_MS = 10;

/** Runs `seconds` of stream through the writer; `rate(t)` is the link's bytes per second at second t. */
function run(link: SimulatedLink, writer: ConnectionWriter, seconds: number, rate: (second: number) => number) {
  const sent = { audio: 0, keyframes: 0 };
  let window: MediaEntry[] = [];
  for (let t = 0; t < seconds * 1000 && !writer.isClosed; t += STEP_MS) {
    link.bytesPerSecond = rate(t / 1000);
    if (t % 20 === 0) (window.push(entry('audio', t, false, 400)), sent.audio++);
    if (t % 100 === 0 || t % 100 === 30 || t % 100 === 70) {
      const frame = Math.floor(t / 100) * 3 + (t % 100 === 0 ? 0 : t % 100 === 30 ? 1 : 2);
      const key = frame % 30 === 0;
      if (key) sent.keyframes++;
      window.push(entry('video', t, key, key ? 30_000 : 8_000));
    }
    if ((t + STEP_MS) % WINDOW_MS === 0) {
      writer.writeBatch(joinBatch(window));
      window = [];
    }
    link.carry(t + STEP_MS, STEP_MS);
  }
  return sent;
}

function lagOver(link: SimulatedLink, fromMs: number, toMs: number): number {
  const lags = link.received.filter((r) => r.timestampMs >= fromMs && r.timestampMs < toMs).map((r) => r.lagMs);
  return lags.length === 0 ? Number.POSITIVE_INFINITY : Math.max(...lags);
}

function setUp(bytesPerSecond: number, transport: Transport = 'socket', bufferBytes = 256 * 1024) {
  const link = new SimulatedLink(bytesPerSecond, bufferBytes);
  link.transport = transport;
  let reason = '';
  const totals: WriterTotals = { droppedMessages: 0, slowDisconnects: 0, degradations: 0 };
  const writer = new ConnectionWriter(link, { softLimitBytes: 4 << 20, hardLimitBytes: 16 << 20 }, (r) => (reason = r), undefined, totals);
  link.writer = writer;
  return { link, writer, totals, reason: () => reason };
}

describe('a viewer whose link is slower than the stream', () => {
  test.each([
    ['socket', 256 * 1024],
    ['buffering', 256 * 1024],
    // kernel buffers the writer cannot see: ~15 s of this link fill before it is ever blocked,
    // so each try of full video (after maxHoldMs) costs that much lag again: flat, not growing
    ['socket', 2 * 1024 * 1024],
  ] as const)('at half the bitrate it is degraded, not cut off: audio and keyframes go on, its lag stops growing (%s transport, %d-byte buffer)', (transport, bufferBytes) => {
    // At worst a try of full video fills the buffer, then waits degradeAfterMs to degrade.
    const maxLateMs = (bufferBytes / (STREAM_BYTES_PER_SECOND / 2)) * 1000 + DEFAULT_LAG_LIMITS.degradeAfterMs + 1000;
    const { link, writer, totals, reason } = setUp(STREAM_BYTES_PER_SECOND / 2, transport, bufferBytes);
    const seconds = 120;
    const sent = run(link, writer, seconds, () => STREAM_BYTES_PER_SECOND / 2);
    expect(reason()).toBe('');
    expect(writer.isClosed).toBe(false);
    expect(writer.stats.degradations).toBeGreaterThan(0);
    expect(totals.degradations).toBe(writer.stats.degradations); // the engine-wide metric
    expect(totals.slowDisconnects).toBe(0);
    const audio = link.received.filter((r) => r.kind === 'audio');
    const keyframes = link.received.filter((r) => r.kind === 'video' && r.key);
    // Everything but what may still be in flight at the end arrived: audio continuous, every keyframe.
    const settledMs = (seconds - 20) * 1000;
    expect(audio.filter((r) => r.timestampMs < settledMs).length).toBe(settledMs / 20);
    expect(keyframes.filter((r) => r.timestampMs < settledMs).length).toBe(settledMs / 1000);
    expect(sent.audio).toBe(seconds * 50);
    for (let i = 1; i < audio.length; i++) expect(audio[i]!.timestampMs - audio[i - 1]!.timestampMs).toBe(20);
    // Inter frames were dropped (most of the bitrate), so it stays near live.
    expect(link.received.filter((r) => r.kind === 'video' && !r.key).length).toBeLessThan(seconds * 29 * 0.5);
    const third = (seconds * 1000) / 3;
    const early = lagOver(link, 0, third);
    const late = lagOver(link, 2 * third, seconds * 1000 - 5000);
    expect(late).toBeLessThanOrEqual(early);
    expect(late).toBeLessThan(maxLateMs);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const lagsIn = (from: number, to: number) => link.received.filter((r) => r.timestampMs >= from && r.timestampMs < to).map((r) => r.lagMs);
    expect(median(lagsIn(2 * third, seconds * 1000 - 5000))).toBeLessThanOrEqual(median(lagsIn(0, third)) * 1.25);
  });

  test('once the link carries the stream again it gets full video and rejoins the shared path', () => {
    const { link, writer } = setUp(STREAM_BYTES_PER_SECOND / 2);
    run(link, writer, 150, (s) => (s < 20 ? STREAM_BYTES_PER_SECOND / 2 : STREAM_BYTES_PER_SECOND * 3));
    expect(writer.stats.degradations).toBeGreaterThan(0);
    expect(writer.isDegraded).toBe(false);
    const sharedBefore = writer.stats.sharedWrites;
    writer.writeBatch(joinBatch([entry('audio', 150_000, false, 400)]));
    expect(writer.stats.sharedWrites).toBe(sharedBefore + 1);
    // The last seconds: every inter frame again, lag near zero.
    const tail = link.received.filter((r) => r.timestampMs >= 140_000 && r.timestampMs < 149_000);
    expect(tail.filter((r) => r.kind === 'video' && !r.key).length).toBe(9 * 29);
    expect(lagOver(link, 140_000, 149_000)).toBeLessThan(500);
  });

  test('a link that cannot take even audio and keyframes is cut off', () => {
    const { link, writer, reason } = setUp(20_000);
    run(link, writer, 120, () => 20_000);
    expect(writer.isClosed).toBe(true);
    expect(reason()).toContain('cannot take even audio and keyframes');
    expect(link.aborted).toBe(true);
  });

  test('a link with room to spare is never degraded and stays on the shared path', () => {
    const { link, writer } = setUp(STREAM_BYTES_PER_SECOND * 2);
    run(link, writer, 30, () => STREAM_BYTES_PER_SECOND * 2);
    expect(writer.stats.degradations).toBe(0);
    expect(writer.stats.droppedMessages).toBe(0);
    expect(writer.stats.privateBatches).toBe(0);
    expect(writer.stats.sharedWrites).toBe(600);
  });
});
