// Live-mode ARQ and TSBPD with a scripted clock (draft-sharabayko-srt-01 §4.5, §4.6, §4.8,
// §4.10): loss -> NAK -> retransmission -> in-order delivery on time; too-late drop; wraps.
import { describe, expect, test } from 'bun:test';
import { SrtReceiver } from '../../src/srt/receiver.ts';
import { SrtSender } from '../../src/srt/sender.ts';
import { indexOf, makeLink, payload } from './link.ts';

const MS = 1000;

/** Pushes one payload per ms for `count` ms, then runs on until `untilMs`. */
function drive(link: ReturnType<typeof makeLink>, count: number, untilMs: number): void {
  for (let ms = 0; ms <= untilMs; ms++) {
    const now = link.start + ms * MS;
    if (ms < count) link.sender.push(payload(ms), now);
    link.step(now);
  }
}

describe('ARQ', () => {
  test('lost packets are NAKed at once, retransmitted with R set, and delivered in order at ts + latency', () => {
    const lost = new Set([0x7ffffff0 + 5, 0x7ffffff0 + 6, 3]); // straddles the 31-bit wrap
    const link = makeLink({ initialSeq: 0x7ffffff0, dropData: (seq, n) => n === 1 && lost.has(seq) });
    drive(link, 100, 400);
    expect(link.delivered.map((d) => indexOf(d.payload))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // each is delivered at its send time + 5 ms path + 120 ms latency, to the ms
    for (const d of link.delivered) expect(d.atUs - link.start).toBe(indexOf(d.payload) * MS + 125 * MS);
    expect(link.controlSeen.some((p) => p.type === 'nak' && p.losses.some((r) => r.from === 0x7ffffff5 && r.to === 0x7ffffff6))).toBe(true);
    expect(link.sender.stats.packetsRetransmitted).toBe(3);
    expect(link.receiver.stats.packetsRetransmitted).toBe(3);
    expect(link.receiver.stats.packetsLost).toBe(3);
    expect(link.receiver.stats.packetsDropped).toBe(0);
    expect(link.sender.stats.bufferedPackets).toBe(0); // all acknowledged
  });

  test('a packet lost every time is dropped when the next one is due (TLPKTDROP), and a late copy is belated', () => {
    const link = makeLink({ initialSeq: 1000, dropData: (seq) => seq === 1010 });
    drive(link, 50, 300);
    const got = link.delivered.map((d) => indexOf(d.payload));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 10));
    expect(link.receiver.stats.packetsDropped).toBe(1);
    // packet 11 still went out on its own time, not late
    const eleven = link.delivered.find((d) => indexOf(d.payload) === 11)!;
    expect(eleven.atUs).toBe(11 * MS + 125 * MS);
    const late = link.receiver.receiveData({ type: 'data', seq: 1010, position: 3, inOrder: false, keyFlag: 0, retransmitted: true, messageNumber: 11, timestampUs: 10 * MS, destSocketId: 1, payload: payload(10) }, 301 * MS);
    expect(late).toEqual([]);
    expect(link.receiver.stats.packetsBelated).toBe(1);
  });

  test('without too-late drop the receiver waits for the missing packet', () => {
    const link = makeLink({ initialSeq: 1000, dropData: (seq) => seq === 1010, receiver: { tooLatePacketDrop: false } });
    drive(link, 50, 300);
    expect(link.delivered.map((d) => indexOf(d.payload))).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  test('32-bit timestamps wrap mid-stream and delivery stays on time', () => {
    const start = 7_000_000;
    const link = makeLink({ initialSeq: 5, startUs: start, tsOffsetUs: 2 ** 32 - 30 * MS, dropData: (seq, n) => seq === 40 && n === 1 });
    // the sender's timestamps wrap 30 ms in; packet 40 is lost after the wrap and recovered
    drive(link, 80, 300);
    expect(link.delivered.map((d) => indexOf(d.payload))).toEqual(Array.from({ length: 80 }, (_, i) => i));
    for (const d of link.delivered) expect(d.atUs - start).toBe(indexOf(d.payload) * MS + 125 * MS);
    expect(link.delivered.some((d) => d.timestampUs < 100 * MS) && link.delivered.some((d) => d.timestampUs > 0xf000_0000)).toBe(true);
  });

  test('ACK/ACKACK pairs measure the round trip (2 × 5 ms path, ms-stepped clock)', () => {
    const link = makeLink({ initialSeq: 0, oneWayDelayUs: 5 * MS });
    drive(link, 200, 300);
    expect(link.receiver.stats.rttUs).toBeGreaterThanOrEqual(10 * MS);
    expect(link.receiver.stats.rttUs).toBeLessThanOrEqual(11 * MS);
    // the sender learns the receiver's estimate from full ACKs
    expect(link.sender.stats.rttUs).toBeLessThanOrEqual(11 * MS);
    expect(link.controlSeen.filter((p) => p.type === 'ackack').length).toBeGreaterThan(5);
  });

  test('periodic NAK repeats a loss whose retransmission was lost too', () => {
    // the first copy and the first retransmission are lost: only a periodic NAK brings the third
    const link = makeLink({ initialSeq: 0, dropData: (seq, n) => seq === 20 && n <= 2, latencyUs: 200_000 });
    drive(link, 60, 400);
    expect(link.transmissions.get(20)).toBe(3);
    expect(link.delivered.map((d) => indexOf(d.payload))).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const naksFor20 = link.controlSeen.filter((p) => p.type === 'nak' && p.losses.some((r) => r.from <= 20 && r.to >= 20));
    expect(naksFor20).toHaveLength(2);
  });
});

test('a burst of 64 packets between full ACKs gets a light ACK', () => {
  const link = makeLink({ initialSeq: 0 });
  for (let i = 0; i < 70; i++) link.sender.push(payload(i), 0);
  link.step(0);
  link.step(10 * MS); // sent when the 64th packet lands at 5 ms, seen by the sender 5 ms later
  const light = link.controlSeen.filter((p) => p.type === 'ack' && p.variant === 'light');
  expect(light).toHaveLength(1);
  expect(light[0]).toMatchObject({ ack: { lastAckSeq: 64 } });
});

test('5% random loss both ways, 25 ms path with 10 ms jitter (reordering), 200 ms latency: in order, few drops, losses counted (seeded)', () => {
  for (const seed of [1, 2, 3]) {
    const link = makeLink({ initialSeq: 0x7fff_f000, oneWayDelayUs: 25 * MS, jitterUs: 10 * MS, randomLoss: 0.05, seed, latencyUs: 200 * MS });
    for (let ms = 0; ms <= 6000; ms++) {
      if (ms < 5000 && ms % 2 === 0) link.sender.push(payload(ms / 2), ms * MS);
      link.step(ms * MS);
    }
    const got = link.delivered.map((d) => indexOf(d.payload));
    expect(got.every((v, i) => i === 0 || v > (got[i - 1] as number))).toBe(true);
    // a loss needs two rounds only when its NAK or retransmission is lost too (~0.25% of packets)
    expect(got.length).toBeGreaterThanOrEqual(2490);
    expect(link.receiver.stats.packetsDropped).toBe(2500 - got.length);
    expect(link.sender.stats.packetsRetransmitted).toBeGreaterThan(100);
    expect(link.receiver.stats.rttUs).toBeGreaterThan(50 * MS);
  }
});

describe('TSBPD clock drift', () => {
  function latencyAfter(ppm: number, receiver: { driftSamples?: number }) {
    const link = makeLink({ initialSeq: 1, senderClockPpm: ppm, receiver });
    for (let ms = 0; ms <= 120_000; ms++) {
      if (ms % 10 === 0) link.push(payload(ms / 10), ms * MS);
      link.step(ms * MS);
      if (link.delivered.length > 100) link.delivered.splice(0, link.delivered.length - 100);
    }
    const last = link.delivered[link.delivered.length - 1]!;
    return { latencyUs: last.atUs - indexOf(last.payload) * 10 * MS, link };
  }
  test('a sender clock 300 ppm slow would eat 36 ms of a 125 ms budget in 2 minutes; ACKACK drift samples keep it', () => {
    const uncorrected = latencyAfter(-300, { driftSamples: Number.MAX_SAFE_INTEGER });
    expect(uncorrected.latencyUs).toBeLessThan(95 * MS);
    const corrected = latencyAfter(-300, {});
    expect(Math.abs(corrected.latencyUs - 125 * MS)).toBeLessThanOrEqual(9 * MS);
    expect(corrected.link.receiver.stats.driftCorrectionUs).toBeGreaterThan(25 * MS);
    expect(corrected.link.receiver.stats.packetsDropped).toBe(0);
  });
  test('and a fast clock does not grow the buffer without end', () => {
    const corrected = latencyAfter(300, {});
    expect(Math.abs(corrected.latencyUs - 125 * MS)).toBeLessThanOrEqual(9 * MS);
    expect(corrected.link.receiver.stats.driftCorrectionUs).toBeLessThan(-25 * MS);
  });
});

describe('sender limits', () => {
  test('the send buffer is bounded by packets and by bytes: the oldest go first', () => {
    const s = new SrtSender({ initialSeq: 0, peerSocketId: 1, localStartUs: 0, peerLatencyUs: 120_000, peerFlowWindow: 8192, maxBufferPackets: 10, maxBufferBytes: 188 * 8 });
    for (let i = 0; i < 15; i++) s.push(payload(i), i);
    expect(s.stats.bufferedPackets).toBe(8);
    expect(s.stats.packetsDropped).toBe(7);
    const sent = s.poll(20).filter((p) => p.type === 'data');
    expect(sent.map((p) => (p.type === 'data' ? p.seq : -1))).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
  });

  test('the flow window from the peer ACK caps packets in flight', () => {
    const s = new SrtSender({ initialSeq: 0, peerSocketId: 1, localStartUs: 0, peerLatencyUs: 120_000, peerFlowWindow: 8192 });
    s.receiveAck(1, 'full', { lastAckSeq: 0, rttUs: 1000, rttVarUs: 100, availableBufferPackets: 3 }, 0);
    for (let i = 0; i < 10; i++) s.push(payload(i), 1);
    expect(s.poll(2).length).toBe(3);
    expect(s.poll(3).length).toBe(0);
    expect(s.receiveAck(0, 'light', { lastAckSeq: 2 }, 4)).toEqual([]);
    expect(s.poll(5).length).toBe(2);
    expect(s.stats.flowWindow).toBe(3);
  });

  test('packets older than the drop threshold are given up with a drop request the receiver honours', () => {
    const link = makeLink({ initialSeq: 100, dropData: (seq) => seq >= 110 && seq <= 112, sender: { dropThresholdUs: 60 * MS }, latencyUs: 200_000, receiver: { tooLatePacketDrop: false } });
    drive(link, 40, 400);
    // each packet ages out on its own ms, so each gets its own drop request; packets after them
    // stay unacknowledged (the ACK waits at 110) until the receiver has honoured the requests, so
    // a few more age out too — harmless, the receiver already has those
    const dropped = link.controlSeen.flatMap((p) => (p.type === 'dropreq' ? [[p.firstSeq, p.lastSeq]] : []));
    expect(dropped.slice(0, 3)).toEqual([[110, 110], [111, 111], [112, 112]]);
    expect(link.sender.stats.packetsDropped).toBe(dropped.length);
    // even with TLPKTDROP off, the receiver stops waiting for what the sender gave up
    expect(link.delivered.map((d) => indexOf(d.payload))).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i < 10 || i > 12));
    expect(link.receiver.stats.packetsDropped).toBe(3);
  });

  test('a retransmission request for data already acknowledged or never sent is ignored', () => {
    const s = new SrtSender({ initialSeq: 0, peerSocketId: 1, localStartUs: 0, peerLatencyUs: 120_000, peerFlowWindow: 8192 });
    for (let i = 0; i < 5; i++) s.push(payload(i), 0);
    s.poll(0);
    s.receiveAck(1, 'full', { lastAckSeq: 3 }, 1);
    s.receiveNak([{ from: 0, to: 10 }]);
    const again = s.poll(2);
    expect(again.map((p) => (p.type === 'data' ? [p.seq, p.retransmitted] : p.type))).toEqual([[3, true], [4, true]]);
  });
});

test('a NAK range far from the send window selects nothing (found by the fuzz test: it used to queue ~10^9 retransmissions)', () => {
  const s = new SrtSender({ initialSeq: 6000, peerSocketId: 1, localStartUs: 0, peerLatencyUs: 120_000, peerFlowWindow: 8192 });
  for (let i = 0; i < 5; i++) s.push(payload(i), 0);
  s.poll(0);
  s.receiveNak([{ from: 0x137a1884, to: 0x4c87b214 }, { from: 0x7fff_fff0, to: 6001 }]);
  expect(s.stats.lostReported).toBe(2);
  expect(s.poll(1).map((p) => (p.type === 'data' ? p.seq : -1))).toEqual([6000, 6001]);
});

describe('receiver limits', () => {
  test('packets beyond the advertised buffer are not kept', () => {
    const r = new SrtReceiver({ initialSeq: 0, latencyUs: 120_000, peerTimeBaseUs: 0, localStartUs: 0, peerSocketId: 1, bufferPackets: 16 });
    r.receiveData({ type: 'data', seq: 16, position: 3, inOrder: false, keyFlag: 0, retransmitted: false, messageNumber: 1, timestampUs: 0, destSocketId: 1, payload: payload(0) }, 0);
    expect(r.stats.bufferedPackets).toBe(0);
    expect(r.stats.packetsDropped).toBe(1);
  });
});
