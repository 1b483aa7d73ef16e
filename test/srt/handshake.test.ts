// HSv5 caller/listener state machines (draft-sharabayko-srt-01 §4.3) against each other, and
// our listener against libsrt's captured caller handshakes.
import { describe, expect, test } from 'bun:test';
import { HandshakeType, KmState, RejectReason, SRT_MAGIC_CODE, SrtFlag } from '../../src/srt/constants.ts';
import { SrtCallerHandshake, type CallerOptions } from '../../src/srt/handshake-caller.ts';
import { findExtension } from '../../src/srt/handshake-common.ts';
import { SrtListenerHandshake, type ListenerOptions } from '../../src/srt/handshake-listener.ts';
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';
import { isValidSynCookie, synCookie } from '../../src/srt/syn-cookie.ts';
import fixture from './fixtures/libsrt-caller.json';
import { hex, seededBytes } from './helpers.ts';

const SECRET = new Uint8Array(32).fill(9);
const PEER = { address: '127.0.0.1', port: 40000 };

/** Sends every packet through the real codec, as the wire would. */
function wire(p: SrtPacket): SrtPacket {
  return decodePacket(encodePacket(p));
}

function makeCaller(over: Partial<CallerOptions> = {}): SrtCallerHandshake {
  return new SrtCallerHandshake({ socketId: 0x1111, initialSeq: 5000, peerAddress: '127.0.0.1', randomBytes: seededBytes(4), streamId: '#!::r=live/cam,m=publish', ...over });
}

function connect(caller: SrtCallerHandshake, listenerOpts: Partial<ListenerOptions> = {}, passphrase?: string) {
  const listener = new SrtListenerHandshake({ cookieSecret: SECRET, ...listenerOpts });
  const [induction] = caller.start(1_000_000);
  const inductionReply = listener.receive(wire(induction!), PEER, 1_000_100);
  expect(inductionReply.send).toHaveLength(1);
  const toConclusion = caller.receive(wire(inductionReply.send[0]!), 1_000_200);
  expect(toConclusion.send).toHaveLength(1);
  const concluded = listener.receive(wire(toConclusion.send[0]!), PEER, 1_000_300);
  const request = concluded.request!;
  expect(request).toBeDefined();
  const accepted = listener.accept(request, { socketId: 0x2222, nowUs: 1_000_400, passphrase });
  const final = accepted.send[0] ? caller.receive(wire(accepted.send[0]), 1_000_500) : undefined;
  return { listener, request, accepted, final };
}

describe('caller and listener', () => {
  test('induction then conclusion: both sides agree on ids, sequence, latency and stream id', () => {
    const caller = makeCaller({ latencyMs: 200, peerLatencyMs: 80 });
    const { request, accepted, final } = connect(caller, { latencyMs: 120 });
    expect(request.streamId).toBe('#!::r=live/cam,m=publish');
    expect(request.encrypted).toBe(false);
    const l = accepted.done!;
    const c = final!.done!;
    expect(l.peerSocketId).toBe(0x1111);
    expect(c.peerSocketId).toBe(0x2222);
    expect(l.initialSeq).toBe(5000);
    expect(c.initialSeq).toBe(5000);
    // caller -> listener data: max(listener 120, caller asked 80) = 120; listener -> caller: max(120, caller 200) = 200
    expect(l.recvLatencyMs).toBe(120);
    expect(c.sendLatencyMs).toBe(120);
    expect(l.sendLatencyMs).toBe(200);
    expect(c.recvLatencyMs).toBe(200);
    expect(c.peerFlags & SrtFlag.TsbpdRcv).toBeTruthy();
    expect(caller.phase).toBe('done');
  });

  test('the induction reply carries the HSv5 magic and a cookie bound to the peer address', () => {
    const listener = new SrtListenerHandshake({ cookieSecret: SECRET });
    const [induction] = makeCaller().start(0);
    const reply = listener.receive(wire(induction!), PEER, 5_000_000).send[0]!;
    if (reply.type !== 'handshake') throw new Error('not a handshake');
    expect(reply.handshake.version).toBe(5);
    expect(reply.handshake.extensionField).toBe(SRT_MAGIC_CODE);
    expect(reply.destSocketId).toBe(0x1111);
    expect(reply.handshake.synCookie).toBe(synCookie(SECRET, '127.0.0.1', 40000, 5_000_000));
    expect(isValidSynCookie(SECRET, '127.0.0.1', 40001, 5_000_000, reply.handshake.synCookie)).toBe(false);
    // still valid in the next minute bucket, not two buckets later
    expect(isValidSynCookie(SECRET, '127.0.0.1', 40000, 65_000_000, reply.handshake.synCookie)).toBe(true);
    expect(isValidSynCookie(SECRET, '127.0.0.1', 40000, 125_000_000, reply.handshake.synCookie)).toBe(false);
  });

  test('a conclusion with a forged cookie gets no answer and no request', () => {
    const listener = new SrtListenerHandshake({ cookieSecret: SECRET });
    const caller = makeCaller();
    const [induction] = caller.start(0);
    const reply = listener.receive(wire(induction!), PEER, 0).send[0]!;
    if (reply.type !== 'handshake') throw new Error('not a handshake');
    const forged: SrtPacket = { ...reply, handshake: { ...reply.handshake, synCookie: (reply.handshake.synCookie + 1) >>> 0 } };
    const conclusion = caller.receive(wire(forged), 100).send[0]!;
    expect(listener.receive(wire(conclusion), PEER, 200)).toEqual({ send: [] });
  });

  test('the server can refuse a request with a reason the caller sees', () => {
    const caller = makeCaller();
    const listener = new SrtListenerHandshake({ cookieSecret: SECRET });
    const reply = listener.receive(wire(caller.start(0)[0]!), PEER, 0).send[0]!;
    const request = listener.receive(wire(caller.receive(wire(reply), 1).send[0]!), PEER, 2).request!;
    const [refusal] = listener.reject(request, 1403); // SRT_REJX_FORBIDDEN: handshake type 1000 + 1403
    expect(caller.receive(wire(refusal!), 3).rejected).toBe(1403);
    expect(caller.phase).toBe('rejected');
  });

  test('resends the last handshake after 250 ms of silence', () => {
    const caller = makeCaller();
    caller.start(0);
    expect(caller.poll(100_000)).toHaveLength(0);
    const again = caller.poll(250_000);
    expect(again).toHaveLength(1);
    expect(again[0]!.type === 'handshake' && again[0]!.handshake.handshakeType).toBe(HandshakeType.Induction);
  });
});

describe('passphrase', () => {
  test('same passphrase: both sides hold the same keys', () => {
    const caller = makeCaller({ passphrase: 'correct horse battery', keyLengthBytes: 32 });
    const { request, accepted, final } = connect(caller, {}, 'correct horse battery');
    expect(request.encrypted).toBe(true);
    expect(accepted.done!.keys!.keyLengthBytes).toBe(32);
    expect(Buffer.from(accepted.done!.keys!.even!).equals(Buffer.from(final!.done!.keys!.even!))).toBe(true);
  });
  test('wrong passphrase: rejected BadSecret, with a KMRSP saying so', () => {
    const caller = makeCaller({ passphrase: 'correct horse battery' });
    const { accepted, final } = connect(caller, {}, 'wrong horse battery!');
    expect(accepted.rejected).toBe(RejectReason.BadSecret);
    const p = accepted.send[0]!;
    if (p.type !== 'handshake') throw new Error('not a handshake');
    expect(p.handshake.handshakeType).toBe(1000 + RejectReason.BadSecret);
    const kmrsp = findExtension(p.handshake, 'kmrsp')!;
    expect(new DataView(kmrsp.body.buffer, kmrsp.body.byteOffset).getUint32(0)).toBe(KmState.BadSecret);
    expect(final!.rejected).toBe(RejectReason.BadSecret);
  });
  test('passphrases follow libsrt: 10 to 79 characters', () => {
    expect(() => makeCaller({ passphrase: 'short' })).toThrow(/10 to 79/);
    expect(() => makeCaller({ passphrase: 'x'.repeat(80) })).toThrow(/10 to 79/);
    expect(() => connect(makeCaller({ passphrase: 'long enough' }), {}, 'tiny')).toThrow(/10 to 79/);
  });
  test('caller without passphrase to a listener with one, and the reverse: Unsecure', () => {
    expect(connect(makeCaller(), {}, 'listener secret').accepted.rejected).toBe(RejectReason.Unsecure);
    expect(connect(makeCaller({ passphrase: 'caller secret!' })).accepted.rejected).toBe(RejectReason.Unsecure);
  });
});

describe("libsrt's captured caller handshakes", () => {
  test('induction decodes as HSv4 UDT_DGRAM and our listener answers with the HSv5 magic', () => {
    const induction = decodePacket(hex(fixture.plain[0]!));
    if (induction.type !== 'handshake') throw new Error('not a handshake');
    expect(induction.handshake).toMatchObject({ version: 4, extensionField: 2, handshakeType: HandshakeType.Induction, synCookie: 0, mtu: 1500, flowWindow: 8192, peerIp: '127.0.0.1' });
    const reply = new SrtListenerHandshake({ cookieSecret: SECRET }).receive(induction, PEER, 0).send[0]!;
    expect(reply.type === 'handshake' && reply.handshake.extensionField).toBe(SRT_MAGIC_CODE);
  });
  test('conclusion decodes HSREQ (libsrt 1.5.x, TSBPD, 120 ms) and the word-swapped stream id', () => {
    const conclusion = decodePacket(hex(fixture.plain[1]!));
    if (conclusion.type !== 'handshake') throw new Error('not a handshake');
    expect(conclusion.handshake.version).toBe(5);
    expect(conclusion.handshake.handshakeType).toBe(HandshakeType.Conclusion);
    const hsreq = findExtension(conclusion.handshake, 'hsreq')!;
    expect(hsreq.srtVersion >= 0x10500).toBe(true);
    expect(hsreq.recvLatencyMs).toBe(120);
    expect(hsreq.flags & (SrtFlag.TsbpdSnd | SrtFlag.TlPktDrop)).toBe(SrtFlag.TsbpdSnd | SrtFlag.TlPktDrop);
    expect(findExtension(conclusion.handshake, 'sid')!.streamId).toBe('#!::r=live/abc,m=publish');
    // our encoder writes the same bytes back
    expect(Buffer.from(encodePacket(conclusion)).toString('hex')).toBe(fixture.plain[1]!);
  });
});
