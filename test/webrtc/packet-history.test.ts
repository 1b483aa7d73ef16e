// The NACK history: packets come back byte for byte while in the ring, never after it moved past them.
import { describe, expect, test } from 'bun:test';
import { encodeRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { PacketHistory } from '../../src/webrtc/packet-history.ts';

describe('PacketHistory', () => {
  test('recent packets are returned as sent; older ones and never-sent ones are not', () => {
    const history = new PacketHistory(8);
    const sent = new Map<number, Uint8Array>();
    for (let i = 0; i < 20; i++) {
      const seq = (65530 + i) & 0xffff;
      const payload = Uint8Array.of(i, i, i);
      const packet = encodeRtpPacket({ marker: i % 2 === 0, payloadType: 102, sequenceNumber: seq, timestamp: i * 3000, ssrc: 7, payload });
      history.add(packet, payload);
      sent.set(seq, packet);
    }
    for (let i = 12; i < 20; i++) {
      const seq = (65530 + i) & 0xffff;
      expect(history.get(seq)).toEqual(sent.get(seq)!);
    }
    expect(history.get(65530)).toBeUndefined(); // overwritten
    expect(history.get(500)).toBeUndefined();
  });
});
