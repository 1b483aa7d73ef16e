// SDP offer parsing on a real Chromium offer, codec choice, and the answer an ICE-lite DTLS server gives.
import { describe, expect, test } from 'bun:test';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { buildAnswer } from '../../src/webrtc/sdp-answer.ts';
import { chooseH264, chooseOpus, parseWebRtcOffer } from '../../src/webrtc/sdp-offer.ts';
import { CHROME_OFFER } from './chrome-offer.ts';

describe('WebRTC SDP offer', () => {
  const offer = parseWebRtcOffer(CHROME_OFFER);

  test('ICE credentials, fingerprint, setup and the two recvonly sections of a Chromium offer', () => {
    expect(offer.iceUfrag.length).toBeGreaterThanOrEqual(4);
    expect(offer.icePwd.length).toBeGreaterThanOrEqual(22);
    expect(offer.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(offer.setup).toBe('actpass');
    expect(offer.media.map((m) => [m.kind, m.mid, m.direction, m.rtcpMux])).toEqual([
      ['video', '0', 'recvonly', true],
      ['audio', '1', 'recvonly', true],
    ]);
  });

  test('H.264 is chosen with packetization-mode 1, the stream profile when offered, else baseline', () => {
    const video = offer.media[0]!;
    const main = chooseH264(video, 0x4d)!;
    expect(main.fmtp.get('packetization-mode')).toBe('1');
    expect(main.fmtp.get('profile-level-id')!.slice(0, 2)).toBe('4d');
    expect(main.feedback).toContain('nack');
    expect(main.feedback).toContain('nack pli');
    const high = chooseH264(video, 0x64)!; // this Chromium offers no High profile: baseline is decodable by it
    expect(high.fmtp.get('packetization-mode')).toBe('1');
    expect(high.fmtp.get('profile-level-id')!.slice(0, 2)).toBe('42');
    expect(chooseOpus(offer.media[1]!)?.clockRate).toBe(48_000);
    expect(chooseOpus(offer.media[0]!)).toBeUndefined();
  });

  test('offers an ICE-lite server cannot answer are refused with the reason', () => {
    const refuse = (sdp: string) => {
      try {
        parseWebRtcOffer(sdp);
        return 'accepted';
      } catch (err) {
        return isProtocolError(err) ? err.message : String(err);
      }
    };
    expect(refuse(CHROME_OFFER.replace(/a=fingerprint:[^\r\n]*\r?\n/g, ''))).toContain('fingerprint');
    expect(refuse(CHROME_OFFER.replace(/a=ice-pwd:[^\r\n]*\r?\n/g, ''))).toContain('ice-pwd');
    expect(refuse(CHROME_OFFER.replaceAll('a=setup:actpass', 'a=setup:passive'))).toContain('DTLS client');
    expect(refuse(CHROME_OFFER.replace(/a=mid:1/, 'a=mid:0'))).toContain('duplicate');
    expect(refuse('not sdp')).toContain('SDP');
  });
});

describe('WebRTC SDP answer', () => {
  const offer = parseWebRtcOffer(CHROME_OFFER);
  const video = offer.media[0]!;
  const audio = offer.media[1]!;
  const h264 = chooseH264(video, 0x42)!;
  const answer = buildAnswer({
    sessionId: '123',
    iceUfrag: 'abcd',
    icePwd: 'p'.repeat(24),
    fingerprint: 'AA:'.repeat(31) + 'AA',
    candidates: [{ address: '127.0.0.1', port: 8189 }, { address: '203.0.113.7', port: 8189 }],
    media: [
      { media: video, accept: true, codec: h264, direction: 'sendonly', ssrc: 42, feedback: ['nack', 'nack pli'] },
      { media: audio, accept: false },
    ],
    streamId: 'weir',
    information: 'aac audio is not sent',
  });
  const lines = answer.trimEnd().split('\r\n');

  test('ICE-lite, passive DTLS, the chosen codec echoed with our SSRC, candidates on the one port', () => {
    expect(lines).toContain('a=ice-lite');
    expect(lines).toContain('a=group:BUNDLE 0');
    expect(lines).toContain('i=aac audio is not sent');
    expect(lines).toContain(`m=video 9 UDP/TLS/RTP/SAVPF ${h264.payloadType}`);
    expect(lines).toContain('a=setup:passive');
    expect(lines).toContain('a=sendonly');
    expect(lines).toContain(`a=rtpmap:${h264.payloadType} H264/90000`);
    expect(lines).toContain(`a=fmtp:${h264.payloadType} ${h264.fmtpLine}`);
    expect(lines).toContain(`a=rtcp-fb:${h264.payloadType} nack pli`);
    expect(lines).toContain('a=ssrc:42 cname:weir');
    expect(lines.filter((l) => l.startsWith('a=candidate:')).map((l) => l.split(' ').slice(4, 6).join(':'))).toEqual(['127.0.0.1:8189', '203.0.113.7:8189']);
  });

  test('a section we do not serve is rejected with port 0 and left out of BUNDLE', () => {
    expect(lines.some((l) => /^m=audio 0 UDP\/TLS\/RTP\/SAVPF \d+$/.test(l))).toBe(true);
    expect(lines.join('\n')).toContain('a=mid:1\na=inactive');
  });

  test('our answer parses as SDP with the same ICE credentials', () => {
    // the answer is an offer-shaped document too: parsing it checks its syntax and attributes
    const back = parseWebRtcOffer(answer.replace('a=setup:passive', 'a=setup:active'));
    expect(back.iceUfrag).toBe('abcd');
    expect(back.fingerprint).toBe('AA:'.repeat(31) + 'AA');
  });
});
