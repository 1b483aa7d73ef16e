// The client-side pieces a WHEP player without a browser needs, checked against our server-side code: its offer
// parses as a browser's does and gets H.264 and Opus chosen; our answer reads back (credentials, fingerprint,
// candidates, SSRCs, rejected sections); its controlling ICE check is answered by our ICE-lite side and the answer
// verifies; and bad answers or responses are typed errors.
import { describe, expect, test } from 'bun:test';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { checkBindingSuccess, controllingBindingRequest } from '../../src/webrtc/ice-check.ts';
import { answerBinding } from '../../src/webrtc/ice-lite.ts';
import { buildAnswer } from '../../src/webrtc/sdp-answer.ts';
import { chooseH264, chooseOpus, parseWebRtcOffer } from '../../src/webrtc/sdp-offer.ts';
import { parseStunMessage } from '../../src/webrtc/stun.ts';
import { buildRecvOffer, parseWhepAnswer } from '../../src/webrtc/whep-client-sdp.ts';

const FP = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(':');
const offerText = buildRecvOffer({ iceUfrag: 'abcd1234', icePwd: 'p'.repeat(24), fingerprint: FP, sessionId: '42' });

function thrownCode(step: () => unknown): string {
  try {
    step();
  } catch (err) {
    if (isProtocolError(err)) return err.code;
    throw err;
  }
  return 'none';
}

describe('WHEP client SDP', () => {
  test('the offer reads as a recvonly H.264 + Opus BUNDLE offer, with our credentials and fingerprint', () => {
    const offer = parseWebRtcOffer(offerText);
    expect(offer).toMatchObject({ iceUfrag: 'abcd1234', icePwd: 'p'.repeat(24), fingerprint: FP, setup: 'actpass' });
    expect(offer.media.map((m) => [m.kind, m.direction, m.rtcpMux])).toEqual([['video', 'recvonly', true], ['audio', 'recvonly', true]]);
    expect(chooseH264(offer.media[0]!, 0x64)?.payloadType).toBe(108);
    expect(chooseH264(offer.media[0]!, 0x42)?.payloadType).toBe(102);
    expect(chooseOpus(offer.media[1]!)?.payloadType).toBe(111);
    expect(offerText).toContain('a=group:BUNDLE 0 1');
  });

  test('our answer reads back: credentials, fingerprint, candidates, accepted sections with their SSRC', () => {
    const offer = parseWebRtcOffer(offerText);
    const text = buildAnswer({
      sessionId: '1', iceUfrag: 'srvU', icePwd: 'q'.repeat(24), fingerprint: FP.toLowerCase(), streamId: 'weir',
      candidates: [{ address: '127.0.0.1', port: 5000 }, { address: '10.0.0.1', port: 5000 }],
      media: [
        { media: offer.media[0]!, accept: true, codec: chooseH264(offer.media[0]!, 0x64)!, direction: 'sendonly', ssrc: 0xdeadbeef, feedback: ['nack'] },
        { media: offer.media[1]!, accept: false },
      ],
    });
    const answer = parseWhepAnswer(text);
    expect(answer).toMatchObject({ iceUfrag: 'srvU', icePwd: 'q'.repeat(24), fingerprint: FP, iceLite: true });
    expect(answer.candidates).toEqual([{ address: '127.0.0.1', port: 5000 }, { address: '10.0.0.1', port: 5000 }]);
    expect(answer.media).toEqual([
      { kind: 'video', mid: '0', accepted: true, direction: 'sendonly', payloadType: 108, encoding: 'h264', clockRate: 90_000, ssrc: 0xdeadbeef },
      { kind: 'audio', mid: '1', accepted: false, direction: 'inactive' },
    ]);
  });

  test('answers without credentials, fingerprint or a candidate are refused', () => {
    const base = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n';
    expect(thrownCode(() => parseWhepAnswer(base))).toBe('malformed');
    expect(thrownCode(() => parseWhepAnswer(`${base}a=ice-ufrag:u\r\na=ice-pwd:p\r\n`))).toBe('malformed');
    expect(thrownCode(() => parseWhepAnswer(`${base}a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 ${FP}\r\n`))).toBe('malformed');
    expect(parseWhepAnswer(`${base}a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 ${FP}\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n`).candidates).toHaveLength(1);
    expect(thrownCode(() => parseWhepAnswer('hello'))).toBe('malformed');
  });
});

describe('controlling ICE check', () => {
  const creds = { localUfrag: 'srvU', localPwd: 'q'.repeat(24), remoteUfrag: 'abcd1234' };
  const transactionId = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
  const request = (pwd: string, useCandidate = true) =>
    controllingBindingRequest({ remoteUfrag: 'srvU', remotePwd: pwd, localUfrag: 'abcd1234', transactionId, tieBreaker: new Uint8Array(8), priority: 0x6e00ffff, useCandidate });

  test('our ICE-lite side answers it (nominated), and the answer verifies with the mapped address', () => {
    const answer = answerBinding(parseStunMessage(request(creds.localPwd)), creds, { family: 'IPv4', address: '127.0.0.1', port: 4321 });
    expect(answer.useCandidate).toBe(true);
    expect(answerBinding(parseStunMessage(request(creds.localPwd, false)), creds, { family: 'IPv4', address: '127.0.0.1', port: 4321 }).useCandidate).toBe(false);
    expect(checkBindingSuccess(parseStunMessage(answer.response), creds.localPwd, transactionId)).toEqual({ family: 'IPv4', address: '127.0.0.1', port: 4321 });
  });

  test('a request under the wrong password is refused; an answer under it, or to another transaction, too', () => {
    expect(thrownCode(() => answerBinding(parseStunMessage(request('x'.repeat(24))), creds, { family: 'IPv4', address: '127.0.0.1', port: 1 }))).toBe('malformed');
    const answer = answerBinding(parseStunMessage(request(creds.localPwd)), creds, { family: 'IPv4', address: '127.0.0.1', port: 1 });
    expect(thrownCode(() => checkBindingSuccess(parseStunMessage(answer.response), 'x'.repeat(24), transactionId))).toBe('malformed');
    expect(thrownCode(() => checkBindingSuccess(parseStunMessage(answer.response), creds.localPwd, new Uint8Array(12)))).toBe('malformed');
    // a request is not a response
    expect(thrownCode(() => checkBindingSuccess(parseStunMessage(request(creds.localPwd)), creds.localPwd, transactionId))).toBe('malformed');
  });
});
