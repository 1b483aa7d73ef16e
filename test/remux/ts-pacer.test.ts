// TsPacer: MPEG-TS datagrams leave at the PCR clock, 7 packets each, with bounded hold and queue.
import { describe, expect, test } from 'bun:test';
import { readPcr90k, TsPacer } from '../../src/remux/ts-pacer.ts';

/** One TS packet on `pid`; with a PCR (90 kHz base) when given. */
function tsPacket(pid: number, pcr90k?: number, fill = 0): Uint8Array {
  const p = new Uint8Array(188).fill(fill);
  p[0] = 0x47;
  p[1] = (pid >> 8) & 0x1f;
  p[2] = pid & 0xff;
  if (pcr90k === undefined) {
    p[3] = 0x10;
    return p;
  }
  p[3] = 0x30;
  p[4] = 7;
  p[5] = 0x10;
  const base = pcr90k % 2 ** 33;
  p[6] = Math.floor(base / 2 ** 25) & 0xff;
  p[7] = Math.floor(base / 2 ** 17) & 0xff;
  p[8] = Math.floor(base / 2 ** 9) & 0xff;
  p[9] = Math.floor(base / 2) & 0xff;
  p[10] = ((base & 1) << 7) | 0x7e;
  p[11] = 0;
  return p;
}

/** `frames` frames of 40 ms, each a PCR packet and `perFrame - 1` payload packets. */
function stream(frames: number, perFrame: number, startPcr90k = 900_000): Uint8Array {
  const out = new Uint8Array(frames * perFrame * 188);
  let at = 0;
  for (let f = 0; f < frames; f++) {
    out.set(tsPacket(0x100, startPcr90k + f * 3600, f & 0xff), at);
    at += 188;
    for (let i = 1; i < perFrame; i++, at += 188) out.set(tsPacket(0x100, undefined, f & 0xff), at);
  }
  return out;
}

/** Runs the pacer on a 1 ms clock until it is empty or `untilUs`; returns [timeUs, datagram] pairs. */
function run(pacer: TsPacer, untilUs: number, fromUs = 0): [number, Uint8Array][] {
  const sent: [number, Uint8Array][] = [];
  for (let now = fromUs; now <= untilUs; now += 1000) for (const d of pacer.poll(now)) sent.push([now, d]);
  return sent;
}

describe('TsPacer', () => {
  test('reads the PCR base of an adaptation field', () => {
    expect(readPcr90k(tsPacket(0x100, 123_456_789))).toBe(123_456_789);
    expect(readPcr90k(tsPacket(0x100))).toBeNull();
  });

  test('a burst of 0.8 s of media (20 frames of 21 packets) leaves as 7-packet datagrams spread over 0.8 s, not at once', () => {
    const pacer = new TsPacer();
    pacer.push(stream(20, 21), 0);
    const sent = run(pacer, 3_000_000);
    const all = sent.flatMap(([, d]) => [...d]);
    // every byte leaves, in order (the last frame, which no PCR closes, after noPcrReleaseUs)
    expect(all.length).toBe(20 * 21 * 188);
    expect(sent.every(([, d]) => d.byteLength === 7 * 188)).toBe(true);
    // 3 datagrams per 40 ms frame: never more than 2 in any 10 ms (the unclosed last frame aside), and the span is the media's
    const times = sent.map(([t]) => t);
    const paced = times.slice(0, -3);
    const most = Math.max(...paced.map((t) => paced.filter((u) => u >= t && u < t + 10_000).length));
    expect(most).toBeLessThanOrEqual(2);
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(700_000);
    expect(times.at(-1)! - times[0]!).toBeLessThan(800_000);
    // the bytes come out in order
    expect([...new Uint8Array(all)]).toEqual([...stream(20, 21)]);
  });

  test('frames arriving live (one every 40 ms) leave spread over their interval, not back to back as they came', () => {
    const pacer = new TsPacer();
    const bytes = stream(50, 21);
    const frameBytes = 21 * 188;
    const sent: number[] = [];
    for (let now = 0; now <= 2_500_000; now += 1000) {
      if (now % 40_000 === 0 && now / 40_000 < 50) pacer.push(bytes.subarray((now / 40_000) * frameBytes, (now / 40_000 + 1) * frameBytes), now);
      for (const _ of pacer.poll(now)) sent.push(now);
    }
    expect(sent.length).toBe(150);
    const gaps = sent.slice(1, -3).map((t, i) => t - sent[i]!);
    // three datagrams per 40 ms frame: about 13 ms apart, never two in the same millisecond
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(12_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(15_000);
  });

  test('any split of the input gives the same datagrams at the same times', () => {
    const bytes = stream(6, 9);
    const whole = new TsPacer();
    whole.push(bytes, 0);
    const split = new TsPacer();
    for (let i = 0; i < bytes.length; i += 97) split.push(bytes.subarray(i, Math.min(bytes.length, i + 97)), 0);
    expect(run(split, 1_000_000)).toEqual(run(whole, 1_000_000));
  });

  test('never holds more than maxHoldUs: 5 s of media given at once is all sent within about a second', () => {
    const pacer = new TsPacer({ maxHoldUs: 1_000_000 });
    pacer.push(stream(125, 7), 0);
    const sent = run(pacer, 3_000_000);
    expect(sent.length).toBe(125);
    expect(sent.at(-1)![0]).toBeLessThanOrEqual(1_000_000 + 1000);
  });

  test('a PCR that jumps (a new publisher, a reset) re-anchors instead of waiting for it', () => {
    const pacer = new TsPacer();
    pacer.push(stream(5, 7, 900_000), 0);
    pacer.push(stream(5, 7, 90_000_000_000 % 2 ** 33), 0);
    const sent = run(pacer, 2_000_000);
    expect(pacer.stats.reanchors).toBe(1);
    expect(sent.length).toBe(10);
    // after the start delay (0.15 s), the second timeline follows the first (0.31 s to 0.47 s); its unclosed tail leaves last
    expect(sent.at(-1)![0]).toBeLessThanOrEqual(501_000);
    expect(sent.filter(([t]) => t <= 480_000).length).toBe(9);
    expect(sent[0]![0]).toBeGreaterThanOrEqual(150_000);
  });

  test('packets without a PCR leave after noPcrReleaseUs; the queue is bounded (oldest dropped)', () => {
    const pacer = new TsPacer({ noPcrReleaseUs: 200_000, maxPackets: 70 });
    const plain = new Uint8Array(100 * 188);
    for (let i = 0; i < 100; i++) plain.set(tsPacket(0x101), i * 188);
    pacer.push(plain, 0);
    expect(pacer.stats.packetsDropped).toBe(30);
    expect(pacer.poll(199_000)).toEqual([]);
    expect(pacer.nextDueUs()).toBe(200_000);
    const sent = pacer.poll(200_000);
    expect(sent.length).toBe(10);
  });

  test('bytes off the 188-byte grid are skipped to the next sync byte', () => {
    const pacer = new TsPacer();
    const bytes = stream(3, 7);
    pacer.push(new Uint8Array([1, 2, 3]), 0);
    pacer.push(bytes, 0);
    expect(pacer.stats.bytesSkipped).toBe(3);
    expect(run(pacer, 600_000).length).toBe(3);
  });
});
