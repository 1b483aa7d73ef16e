// SrtConnection: keepalive, peer idle timeout, shutdown, key refresh over KMREQ/KMRSP control
// packets, and the listener's answer to a repeated conclusion (draft-sharabayko-srt-01 §4.7,
// §4.9, §6.1.6), between two connections made by our own caller and listener handshakes.
import { describe, expect, test } from 'bun:test';
import { DataKeyFlag, ExtType, KmState } from '../../src/srt/constants.ts';
import { SrtConnection, type ConnectionOptions } from '../../src/srt/connection.ts';
import { SrtCallerHandshake } from '../../src/srt/handshake-caller.ts';
import { SrtListenerHandshake } from '../../src/srt/handshake-listener.ts';
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';
import { seededBytes } from './helpers.ts';
import { indexOf, payload } from './link.ts';

const wire = (p: SrtPacket) => decodePacket(encodePacket(p));

function pair(passphrase?: string, extra: Partial<ConnectionOptions> = {}) {
  const rnd = seededBytes(11);
  const caller = new SrtCallerHandshake({ socketId: 1, initialSeq: 100, peerAddress: '127.0.0.1', randomBytes: rnd, passphrase, streamId: 'live/x' });
  const listener = new SrtListenerHandshake({ cookieSecret: new Uint8Array(16) });
  const peer = { address: '127.0.0.1', port: 5000 };
  const reply = listener.receive(wire(caller.start(0)[0]!), peer, 0).send[0]!;
  const conclusion = caller.receive(wire(reply), 0).send[0]!;
  const request = listener.receive(wire(conclusion), peer, 0).request!;
  const accepted = listener.accept(request, { socketId: 2, nowUs: 0, passphrase });
  const done = caller.receive(wire(accepted.send[0]!), 0).done!;
  const a = new SrtConnection({ negotiated: done, passphrase, randomBytes: rnd, ...extra }, 0);
  const b = new SrtConnection({ negotiated: accepted.done!, passphrase, randomBytes: rnd, handshakeResponse: accepted.send, ...extra }, 0);
  return { a, b, conclusion };
}

/** Runs both ends for `ms` milliseconds over a 1 ms, lossless link; returns what b delivered. */
function run(a: SrtConnection, b: SrtConnection, fromMs: number, toMs: number, writeEveryMs = 0, seen: SrtPacket[] = []) {
  const delivered: Uint8Array[] = [];
  let n = 0;
  for (let ms = fromMs; ms < toMs; ms++) {
    const now = ms * 1000;
    if (writeEveryMs && ms % writeEveryMs === 0) a.write(payload(n++), now);
    for (const p of a.poll(now).send) {
      seen.push(p);
      const out = b.receive(wire(p), now);
      delivered.push(...out.deliver);
      for (const q of out.send) {
        seen.push(q);
        a.receive(wire(q), now);
      }
    }
    const out = b.poll(now);
    delivered.push(...out.deliver);
    for (const q of out.send) {
      seen.push(q);
      for (const r of a.receive(wire(q), now).send) b.receive(wire(r), now);
    }
  }
  return delivered;
}

describe('SrtConnection', () => {
  test('data flows caller -> listener with TSBPD; keepalives only when idle', () => {
    const { a, b } = pair();
    const seen: SrtPacket[] = [];
    const got = run(a, b, 0, 400, 2, seen);
    expect(got.map(indexOf)).toEqual(Array.from({ length: got.length }, (_, i) => i));
    expect(got.length).toBeGreaterThan(130);
    expect(seen.filter((p) => p.type === 'keepalive')).toHaveLength(0);
    const quiet: SrtPacket[] = [];
    run(a, b, 400, 2600, 0, quiet);
    // about one keepalive a second from the side that has nothing to say
    expect(quiet.filter((p) => p.type === 'keepalive').length).toBeGreaterThanOrEqual(2);
    expect(a.closed).toBeUndefined();
  });

  test('a silent peer times out after the idle timeout', () => {
    const { a } = pair(undefined, { idleTimeoutUs: 2_000_000 });
    expect(a.poll(1_900_000).closed).toBeUndefined();
    expect(a.poll(2_100_000).closed).toBe('idle-timeout');
  });

  test('shutdown closes and hands over what is still buffered', () => {
    const { a, b } = pair();
    run(a, b, 0, 50, 1); // 50 packets written, most still waiting for TSBPD (120 ms)
    const [bye] = a.close(50_000);
    const out = b.receive(wire(bye!), 50_000);
    expect(out.closed).toBe('shutdown');
    expect(b.stats.receive.packetsDelivered).toBe(50);
    expect(out.deliver.length).toBeGreaterThan(30);
  });

  test('plaintext data on an encrypted connection is dropped and counted', () => {
    const { b } = pair('refresh passphrase');
    const out = b.receive({ type: 'data', seq: 100, position: 3, inOrder: false, keyFlag: 0, retransmitted: false, messageNumber: 1, timestampUs: 0, destSocketId: 2, payload: payload(0) }, 1000);
    expect(out.send).toEqual([]);
    expect(b.stats.undecryptable).toBe(1);
    expect(b.stats.receive.packetsReceived).toBe(0);
  });

  test('the receive rate is reported per connection', () => {
    const { a, b } = pair();
    run(a, b, 0, 300, 1);
    // 188-byte payloads, one per ms
    expect(b.stats.receive.receiveRateBytesPerSecond).toBeGreaterThan(150_000);
    expect(b.stats.receive.receiveRateBytesPerSecond).toBeLessThan(230_000);
  });

  test('a repeated conclusion gets the cached listener reply', () => {
    const { b, conclusion } = pair();
    const out = b.receive(wire(conclusion), 1000);
    expect(out.send).toHaveLength(1);
    expect(out.send[0]!.type).toBe('handshake');
  });

  test('encrypted, with key refresh: KMREQ announced, answered with KMRSP, odd key then used and decrypted', () => {
    const { a, b } = pair('refresh passphrase', { refreshRatePackets: 40, preAnnouncePackets: 10 });
    const seen: SrtPacket[] = [];
    const got = run(a, b, 0, 400, 2, seen);
    expect(got.map(indexOf)).toEqual(Array.from({ length: got.length }, (_, i) => i));
    const kmreq = seen.filter((p) => p.type === 'user' && p.subtype === ExtType.KmReq);
    const kmrsp = seen.filter((p) => p.type === 'user' && p.subtype === ExtType.KmRsp);
    expect(kmreq.length).toBeGreaterThanOrEqual(2);
    expect(kmrsp.length).toBe(kmreq.length);
    expect(seen.some((p) => p.type === 'data' && p.keyFlag === DataKeyFlag.Odd)).toBe(true);
    expect(b.stats.undecryptable).toBe(0);
    expect(b.stats.keyRefreshesReceived).toBe(kmreq.length);
  });

  test('a key refresh under another passphrase is answered BadSecret and later packets are not decryptable', () => {
    const { b } = pair('refresh passphrase');
    const { a: other } = pair('other passphrase!!', { refreshRatePackets: 4, preAnnouncePackets: 2 });
    const packets: SrtPacket[] = [];
    for (let i = 0; i < 6; i++) {
      other.write(payload(i), i);
      packets.push(...other.poll(i).send);
    }
    const km = packets.find((p) => p.type === 'user')!;
    const [answer] = b.receive(wire(km), 10).send;
    expect(answer!.type === 'user' && new DataView(answer!.body.buffer, answer!.body.byteOffset).getUint32(0)).toBe(KmState.BadSecret);
    for (const p of packets) if (p.type === 'data') b.receive(wire(p), 10);
    expect(b.stats.undecryptable).toBeGreaterThan(0);
  });
});
