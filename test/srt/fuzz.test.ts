// Hostile input: random and mutated SRT packets (seeded, bounded) only ever decode to values or
// throw ProtocolError — through the codec and through every state machine that takes packets.
import { describe, expect, test } from 'bun:test';
import { SrtConnection } from '../../src/srt/connection.ts';
import { SrtCallerHandshake } from '../../src/srt/handshake-caller.ts';
import { SrtListenerHandshake } from '../../src/srt/handshake-listener.ts';
import { openKeys, sealKeys } from '../../src/srt/key-material.ts';
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';
import { SrtReceiver } from '../../src/srt/receiver.ts';
import { SrtSender } from '../../src/srt/sender.ts';
import { parseStreamId } from '../../src/srt/stream-id.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import fixture from './fixtures/libsrt-caller.json';
import { hex, prng, seededBytes } from './helpers.ts';

const ITERATIONS = 4000;

function onlyProtocolErrors(fn: () => void, input: Uint8Array | string): void {
  try {
    fn();
  } catch (err) {
    if (!isProtocolError(err)) throw new Error(`non-protocol error ${String(err)} for ${typeof input === 'string' ? JSON.stringify(input) : Buffer.from(input).toString('hex')}`);
  }
}

const rnd = seededBytes(99);
const samples: Uint8Array[] = [
  ...fixture.plain.map((h) => hex(h)),
  ...fixture.encrypted.slice(0, 2).map((h) => hex(h)),
  hex('80020000 00000007 01020304 0a0b0c0d 00000064 000186a0 0000c350 00001ffe 000003e8 00002710 00989680'),
  hex('80030000 00000000 01020304 0a0b0c0d 00000005 8000000a 0000000f 7fffffff'),
  hex('80070000 00000042 01020304 0a0b0c0d 00000010 00000014'),
  hex('ffff0003 00000000 01020304 0a0b0c0d') ,
  encodePacket({ type: 'user', subtype: 3, timestampUs: 0, destSocketId: 1, body: sealKeys('fuzz passphrase', { salt: rnd(16), keyLengthBytes: 16, even: rnd(16), odd: rnd(16) }) }),
];

function mutate(next: () => number, base: Uint8Array): Uint8Array {
  let out = base.slice();
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const kind = Math.floor(next() * 4);
    if (kind === 0 && out.length > 0) out[Math.floor(next() * out.length)] = Math.floor(next() * 256);
    else if (kind === 1) out = out.subarray(0, Math.floor(next() * (out.length + 1)));
    else if (kind === 2) out = Uint8Array.from([...out, ...Array.from({ length: Math.floor(next() * 16) }, () => Math.floor(next() * 256))]);
    else if (out.length > 0) {
      const i = Math.floor(next() * out.length);
      out[i] = (out[i] ?? 0) ^ (1 << Math.floor(next() * 8));
    }
  }
  return out;
}

/** Feeds a decoded packet to every consumer, as a transport would. */
function makeConsumers() {
  const listener = new SrtListenerHandshake({ cookieSecret: new Uint8Array(16) });
  const caller = new SrtCallerHandshake({ socketId: 1, initialSeq: 1, peerAddress: '127.0.0.1', randomBytes: seededBytes(5), passphrase: 'fuzz passphrase' });
  caller.start(0);
  const receiver = new SrtReceiver({ initialSeq: 0, latencyUs: 120_000, peerTimeBaseUs: 0, localStartUs: 0, peerSocketId: 1, bufferPackets: 256 });
  const sender = new SrtSender({ initialSeq: 0, peerSocketId: 1, localStartUs: 0, peerLatencyUs: 120_000, peerFlowWindow: 256, maxBufferPackets: 64 });
  const keys = { salt: rnd(16), keyLengthBytes: 16, even: rnd(16) };
  const connection = new SrtConnection({
    negotiated: { localSocketId: 1, peerSocketId: 2, initialSeq: 0, mtu: 1500, peerFlowWindow: 256, peerSrtVersion: 0x10500, peerFlags: 0, recvLatencyMs: 120, sendLatencyMs: 120, streamId: '', localStartUs: 0, peerTimeBaseUs: 0, keys },
    passphrase: 'fuzz passphrase',
    randomBytes: seededBytes(6),
    receiver: { bufferPackets: 256 },
    sender: { maxBufferPackets: 64 },
  }, 0);
  let now = 0;
  return (p: SrtPacket) => {
    now += 1000;
    const r = listener.receive(p, { address: '127.0.0.1', port: 9 }, now);
    if (r.request) listener.accept(r.request, { socketId: 2, nowUs: now, passphrase: 'fuzz passphrase' });
    caller.receive(p, now);
    if (p.type === 'data') receiver.receiveData(p, now);
    if (p.type === 'ackack') receiver.receiveAckAck(p.ackNumber, now);
    if (p.type === 'dropreq') receiver.receiveDropRequest(p.firstSeq, p.lastSeq);
    if (p.type === 'ack') sender.receiveAck(p.ackNumber, p.variant, p.ack, now);
    if (p.type === 'nak') sender.receiveNak(p.losses);
    if (p.type === 'user') openKeys('fuzz passphrase', p.body);
    connection.receive(p, now);
    connection.write(new Uint8Array(188), now);
    connection.poll(now);
    sender.push(new Uint8Array(188), now);
    sender.poll(now);
    receiver.poll(now);
    encodePacket(p);
  };
}

describe('fuzz', () => {
  test('random datagrams', () => {
    const next = prng(1);
    const consume = makeConsumers();
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(next() * 120) }, () => Math.floor(next() * 256));
      if (i % 2 === 0 && bytes.length > 0) bytes[0] = (bytes[0] ?? 0) | 0x80; // half of them control packets
      onlyProtocolErrors(() => consume(decodePacket(bytes)), bytes);
    }
  });

  test('mutated real packets (libsrt handshakes, ACK, NAK, drop request, key material)', () => {
    const next = prng(2);
    const consume = makeConsumers();
    let decoded = 0;
    for (let i = 0; i < ITERATIONS * 2; i++) {
      const bytes = mutate(next, samples[i % samples.length] as Uint8Array);
      onlyProtocolErrors(() => {
        consume(decodePacket(bytes));
        decoded++;
      }, bytes);
    }
    // the mutations must leave many packets decodable, or this tests only the first check
    expect(decoded).toBeGreaterThan(ITERATIONS / 2);
  });

  test('stream ids', () => {
    const next = prng(3);
    const alphabet = '#!:=,/?&rmu=ab.%\u0000é';
    for (let i = 0; i < ITERATIONS; i++) {
      const s = Array.from({ length: Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      onlyProtocolErrors(() => parseStreamId(s), s);
    }
  });
});
