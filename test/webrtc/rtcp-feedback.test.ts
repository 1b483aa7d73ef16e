// RTCP a WebRTC receiver sends: receiver report blocks, generic NACK with its bitmask, PLI, FIR, REMB.
import { describe, expect, test } from 'bun:test';
import { parseRtcpFeedback } from '../../src/webrtc/rtcp-feedback.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('RTCP feedback', () => {
  test('a compound of RR, NACK, PLI, FIR and REMB', () => {
    const compound = hex(`
      81c90007 00000001  0000002a 05000010 00000100 00000020 12345678 00010000
      81cd0003 00000001 0000002a 00640005
      81ce0002 00000001 0000002a
      84ce0004 00000001 00000000 0000002a 07000000
      8fce0005 00000001 00000000 52454d42 010a1234 0000002a`);
    expect(parseRtcpFeedback(compound)).toEqual([
      { type: 'report', ssrc: 42, fractionLost: 5 / 256, cumulativeLost: 16, jitter: 32, lastSrNtp: 0x12345678, delaySinceLastSr: 0x10000 },
      { type: 'nack', mediaSsrc: 42, sequenceNumbers: [100, 101, 103] },
      { type: 'pli', mediaSsrc: 42 },
      { type: 'fir', mediaSsrc: 42 },
      { type: 'remb', bitrateBps: ((0x02 << 16) | 0x1234) * 2 ** 2 },
    ]);
  });
});
