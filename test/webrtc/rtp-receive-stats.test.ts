// The light viewer's per-stream counts (bench/lib/rtp-receive-stats.ts): the one-block peek decrypts the same bytes
// a full SRTP decryption does (also past a sequence number wrap), keyframe starts are told from other frames, and
// loss is the gaps in sequence numbers.
import { describe, expect, test } from 'bun:test';
import { RtpReceiveStats, SrtpPayloadPeek, h264StartsKeyframe } from '../../bench/lib/rtp-receive-stats.ts';
import { encodeRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { SrtpReceiver, SrtpSender } from '../../src/webrtc/srtp.ts';

const key = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
const salt = Uint8Array.from({ length: 14 }, (_, i) => 100 + i);
const SSRC = 0x01020304;
const packet = (seq: number, timestamp: number, payload: Uint8Array) => encodeRtpPacket({ marker: false, payloadType: 102, sequenceNumber: seq & 0xffff, timestamp, ssrc: SSRC, payload });

describe('RTP receive stats', () => {
  test('the peek reads the first payload bytes as full decryption does, across a rollover', () => {
    const sender = new SrtpSender(key, salt);
    const receiver = new SrtpReceiver(key, salt);
    const peek = new SrtpPayloadPeek(key, salt);
    for (let i = 0; i < 6; i++) {
      const seq = 65533 + i;
      const payload = Uint8Array.from({ length: 40 }, (_, k) => (k * 11 + i) & 0xff);
      const sealed = sender.protectRtp(packet(seq, i * 3000, payload));
      const roc = seq > 0xffff ? 1 : 0;
      expect(peek.head(sealed, SSRC, roc * 65536 + (seq & 0xffff))).toEqual(payload.subarray(0, 16));
      expect(receiver.unprotectRtp(sealed).subarray(12, 28)).toEqual(payload.subarray(0, 16));
    }
  });

  test('keyframe starts: SPS or IDR first, alone, in a STAP-A or an FU-A start', () => {
    expect(h264StartsKeyframe(Uint8Array.of(0x67, 0x42))).toBe(true);
    expect(h264StartsKeyframe(Uint8Array.of(0x65))).toBe(true);
    expect(h264StartsKeyframe(Uint8Array.of(0x41))).toBe(false);
    expect(h264StartsKeyframe(Uint8Array.of(0x78, 0x00, 0x10, 0x67))).toBe(true);
    expect(h264StartsKeyframe(Uint8Array.of(0x7c, 0x85))).toBe(true);
    expect(h264StartsKeyframe(Uint8Array.of(0x7c, 0x05))).toBe(false); // a continuation, not a start
    expect(h264StartsKeyframe(Uint8Array.of(0x7c, 0x81))).toBe(false);
    expect(h264StartsKeyframe(new Uint8Array(0))).toBe(false);
  });

  test('packets, loss from gaps, keyframes once per frame', () => {
    const sender = new SrtpSender(key, salt);
    const stats = new RtpReceiveStats(SSRC, true);
    const peek = new SrtpPayloadPeek(key, salt);
    const sps = Uint8Array.of(0x67, 1, 2, 3);
    const delta = Uint8Array.of(0x41, 1, 2, 3);
    const frames: Array<[number, number, Uint8Array]> = [[100, 0, sps], [101, 0, Uint8Array.of(0x68, 1)], [102, 0, Uint8Array.of(0x65, 1)], [103, 3000, delta], [106, 6000, delta], [107, 9000, sps]];
    for (const [seq, ts, payload] of frames) stats.onPacket(sender.protectRtp(packet(seq, ts, payload)), peek);
    expect(stats.packets).toBe(6);
    expect(stats.lost).toBe(2);
    expect(stats.keyframes).toBe(2);
  });
});
