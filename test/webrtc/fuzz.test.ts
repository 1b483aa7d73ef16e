// Hostile input to the WebRTC parsers: random bytes and mutations of real messages (the RFC 5769 STUN request, an
// openssl DTLS ClientHello and second flight, a Chromium-like SDP offer, RTCP feedback) either give a value or throw
// the typed ProtocolError: never another exception, never a hang.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'bun:test';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { createDtlsCertificate } from '../../src/webrtc/certificate.ts';
import { DtlsServer } from '../../src/webrtc/dtls-server.ts';
import { answerBinding } from '../../src/webrtc/ice-lite.ts';
import { parseRtcpFeedback } from '../../src/webrtc/rtcp-feedback.ts';
import { parseWebRtcOffer } from '../../src/webrtc/sdp-offer.ts';
import { SrtcpReceiver } from '../../src/webrtc/srtp.ts';
import { parseStunMessage } from '../../src/webrtc/stun.ts';
import { prng } from '../seeded-random.ts';
import { CHROME_OFFER } from './chrome-offer.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dir, '..', 'fixtures', 'webrtc', name)));
const STUN_REQUEST = Uint8Array.from(
  Buffer.from(
    '000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf',
    'hex',
  ),
);
const CLIENT_HELLO = fixture('openssl-flight-1.bin');
const CLIENT_FLIGHT = fixture('openssl-flight-2.bin');
const certificate = createDtlsCertificate();

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const out = input.slice();
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * out.length);
    const kind = random();
    if (kind < 0.6) out[at] = Math.floor(random() * 256);
    else if (kind < 0.8) out[at] = random() < 0.5 ? 0 : 0xff;
    else return out.subarray(0, at); // truncation
  }
  return out;
}

/** 'value' or 'protocol-error'; anything else is thrown with the input that caused it */
function outcome(input: Uint8Array | string, run: () => unknown): string {
  try {
    run();
    return 'value';
  } catch (err) {
    if (isProtocolError(err)) return 'protocol-error';
    throw new Error(`${String(err)} on input ${typeof input === 'string' ? JSON.stringify(input.slice(0, 200)) : Buffer.from(input).toString('hex')}`);
  }
}

const ROUNDS = 3000;

describe('fuzz', () => {
  test('STUN: random and mutated messages parse or throw ProtocolError; checks never throw anything else', () => {
    const random = prng(16);
    const seen = new Set<string>();
    for (let i = 0; i < ROUNDS; i++) {
      const input = i % 3 === 0 ? Uint8Array.from({ length: Math.floor(random() * 120) }, () => Math.floor(random() * 256)) : mutate(STUN_REQUEST, random);
      seen.add(
        outcome(input, () => {
          const m = parseStunMessage(input);
          answerBinding(m, { localUfrag: 'evtj', localPwd: 'VOkJxbRl1RmTxUk/WvJxBt', remoteUfrag: 'h6vY' }, { family: 'IPv4', address: '127.0.0.1', port: 1 });
        }),
      );
    }
    expect([...seen].sort()).toEqual(['protocol-error', 'value']);
  });

  test('DTLS: random datagrams, mutated ClientHellos and mutated second flights give output or ProtocolError', () => {
    const random = prng(61);
    const seen = new Set<string>();
    const server = () =>
      new DtlsServer({ certificateDer: certificate.der, privateKey: certificate.privateKey, peerFingerprint: '00:'.repeat(31) + '00', random: (n) => new Uint8Array(n) });
    for (let i = 0; i < ROUNDS; i++) {
      const s = server();
      const which = i % 3;
      if (which === 0) {
        const input = Uint8Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256));
        input[0] = 20 + Math.floor(random() * 4); // past the demultiplexer's first-byte test
        seen.add(outcome(input, () => s.handle(input)));
      } else if (which === 1) {
        const input = mutate(CLIENT_HELLO, random);
        seen.add(outcome(input, () => s.handle(input)));
      } else {
        s.handle(CLIENT_HELLO);
        const input = mutate(CLIENT_FLIGHT, random);
        seen.add(outcome(input, () => s.handle(input)));
      }
    }
    expect(seen.has('protocol-error')).toBe(true);
    expect(seen.has('value')).toBe(true);
  });

  test('SDP offers, RTCP feedback and SRTCP: mutated input gives a value or ProtocolError', () => {
    const random = prng(8829);
    const offer = new TextEncoder().encode(CHROME_OFFER);
    const srtcp = new SrtcpReceiver(new Uint8Array(16), new Uint8Array(14));
    const rtcp = Uint8Array.from(Buffer.from('81c90007deadbeef0000000100000002000000030000000400000005000000068dcd0003deadbeef0000000100050003' + '81ce0002deadbeef00000001', 'hex'));
    const seen = new Set<string>();
    for (let i = 0; i < ROUNDS / 3; i++) {
      const text = new TextDecoder().decode(mutate(offer, random));
      seen.add(outcome(text, () => parseWebRtcOffer(text)));
      const fb = mutate(rtcp, random);
      seen.add(outcome(fb, () => parseRtcpFeedback(fb)));
      seen.add(outcome(fb, () => srtcp.unprotect(fb)));
    }
    expect([...seen].sort()).toEqual(['protocol-error', 'value']);
  });
});
