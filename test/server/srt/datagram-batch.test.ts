// DatagramBatcher: a poll's SRT packets go out in few sendMany calls, encoded into one reused
// scratch buffer, with what did not go counted; checked against a fake sendMany that keeps copies.
import { describe, expect, test } from 'bun:test';
import { DatagramBatcher, DEFAULT_BATCH_BYTES, type SendMany } from '../../../src/server/srt/datagram-batch.ts';
import { PacketPosition } from '../../../src/srt/constants.ts';
import { decodePacket, encodePacket } from '../../../src/srt/packet.ts';
import type { SrtPacket } from '../../../src/srt/packet-types.ts';

const dataPacket = (seq: number, length = 1316): SrtPacket => ({
  type: 'data',
  seq,
  position: PacketPosition.Solo,
  inOrder: false,
  keyFlag: 0,
  retransmitted: seq % 7 === 0,
  messageNumber: seq + 1,
  timestampUs: seq * 1000,
  destSocketId: 0x1234_5678,
  payload: Uint8Array.from({ length }, (_, i) => (seq * 13 + i) & 0xff),
});
const keepalive: SrtPacket = { type: 'keepalive', timestampUs: 5, destSocketId: 0x1234_5678 };

type Call = { datagrams: Uint8Array[]; views: Uint8Array[]; ports: number[]; addresses: string[] };

/** A sendMany that records a copy of each datagram (the batcher reuses its bytes) and takes `take(call)` of them. */
function fakeSendMany(take: (call: number, datagrams: number) => number = (_, n) => n) {
  const calls: Call[] = [];
  const sendMany: SendMany = (batch) => {
    const call: Call = { datagrams: [], views: [], ports: [], addresses: [] };
    for (let i = 0; i < batch.length; i += 3) {
      const view = batch[i] as Uint8Array;
      call.views.push(view);
      call.datagrams.push(view.slice());
      call.ports.push(batch[i + 1] as number);
      call.addresses.push(batch[i + 2] as string);
    }
    calls.push(call);
    return take(calls.length - 1, call.datagrams.length);
  };
  return { calls, sendMany };
}

describe('DatagramBatcher', () => {
  test('150 packets go out in 4 calls of at most 64 KiB, byte for byte what encodePacket makes, in order', () => {
    const packets = [keepalive, ...Array.from({ length: 150 }, (_, i) => dataPacket(i))];
    const { calls, sendMany } = fakeSendMany();
    const result = new DatagramBatcher().send(packets, '127.0.0.1', 4200, sendMany);
    expect(calls.length).toBe(Math.ceil(packets.length / Math.floor(DEFAULT_BATCH_BYTES / 1500)));
    const sent = calls.flatMap((c) => c.datagrams);
    expect(sent.length).toBe(packets.length);
    sent.forEach((datagram, i) => expect([...datagram]).toEqual([...encodePacket(packets[i]!)]));
    expect(decodePacket(sent[3]!)).toEqual(packets[3]!);
    for (const call of calls) {
      expect(call.datagrams.reduce((n, d) => n + d.byteLength, 0)).toBeLessThanOrEqual(DEFAULT_BATCH_BYTES);
      expect(new Set(call.ports)).toEqual(new Set([4200]));
      expect(new Set(call.addresses)).toEqual(new Set(['127.0.0.1']));
    }
    expect(result).toEqual({ bytes: sent.reduce((n, d) => n + d.byteLength, 0), failed: 0 });
  });

  test('data packets are views of one scratch buffer, reused from call to call', () => {
    const { calls, sendMany } = fakeSendMany();
    const batcher = new DatagramBatcher();
    batcher.send(Array.from({ length: 100 }, (_, i) => dataPacket(i)), '127.0.0.1', 1, sendMany);
    batcher.send([dataPacket(500)], '127.0.0.1', 1, sendMany);
    const buffers = new Set(calls.flatMap((c) => c.views.map((v) => v.buffer)));
    expect(buffers.size).toBe(1);
    // each call starts again at the front of the scratch
    for (const call of calls) expect(call.views[0]!.byteOffset).toBe(0);
  });

  test('datagrams the kernel did not take are counted, and only what went counts as bytes', () => {
    // 1016-byte datagrams: 64 fit the first call (room is kept for a full 1500-byte one), 36 go in the second
    const packets = Array.from({ length: 100 }, (_, i) => dataPacket(i, 1000));
    // the first call takes 10 of its datagrams, the second throws (an ICMP error)
    const { calls, sendMany } = fakeSendMany((call) => {
      if (call === 1) throw new Error('ECONNREFUSED');
      return 10;
    });
    const result = new DatagramBatcher().send(packets, '::1', 9, sendMany);
    expect(calls.length).toBe(2);
    expect(calls.map((c) => c.datagrams.length)).toEqual([64, 36]);
    expect(result).toEqual({ bytes: 10 * 1016, failed: 100 - 10 });
  });

  test('a scratch smaller than one datagram is refused', () => {
    expect(() => new DatagramBatcher(1000)).toThrow(RangeError);
    expect(() => new DatagramBatcher(1500)).not.toThrow();
  });
});
