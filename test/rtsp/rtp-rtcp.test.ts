import { describe, expect, test } from 'bun:test';
import { RtcpType, encodeReceiverReport, encodeSenderReport, parseRtcpCompound, unixMsToNtp } from '../../src/rtsp/rtcp.ts';
import { encodeRtpPacket, isRtcp, parseRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { RtpSequenceTracker } from '../../src/rtsp/rtp-sequence.ts';
import { RtpTimestampUnwrapper, SenderReportClock } from '../../src/rtsp/rtp-timestamp.ts';
import { JitterEstimator, receiverReportBlock } from '../../src/rtsp/rtcp-report-block.ts';
import { earliestStartUnixMs, wallclockOffsetTicks } from '../../src/rtsp/track-sync.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { hex } from '../flv/hex.ts';

describe('RTP header', () => {
  test('parses a hand-built packet with CSRCs, extension, padding and marker', () => {
    const bytes = hex(
      'b2 e0 12 34 00 01 e2 40 de ad be ef' + // V=2 P X CC=2, M PT=96, seq 0x1234, ts 123456, ssrc
        '00 00 00 01 00 00 00 02' + // CSRCs
        'be de 00 01 10 aa 00 00' + // one-byte header extension, 1 word
        '65 88 84' + // payload
        '00 00 03', // 3 bytes padding
    );
    const p = parseRtpPacket(bytes);
    expect(p).toMatchObject({ marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 123456, ssrc: 0xdeadbeef, csrcs: [1, 2], paddingBytes: 3 });
    expect([...p.payload]).toEqual([0x65, 0x88, 0x84]);
    expect(p.extension?.profile).toBe(0xbede);
    expect([...p.extension!.data]).toEqual([0x10, 0xaa, 0, 0]);
    expect(encodeRtpPacket(p)).toEqual(bytes);
    expect(isRtcp(bytes)).toBe(false);
  });

  test('truncations and bad fields are ProtocolError', () => {
    expect(() => parseRtpPacket(hex('80 60 00 01 00 00 00 01 00 00 00'))).toThrow(ProtocolError);
    expect(() => parseRtpPacket(hex('40 60 00 01 00 00 00 01 00 00 00 01'))).toThrow(ProtocolError); // version 1
    expect(() => parseRtpPacket(hex('81 60 00 01 00 00 00 01 00 00 00 01'))).toThrow(ProtocolError); // CSRC missing
    expect(() => parseRtpPacket(hex('90 60 00 01 00 00 00 01 00 00 00 01 be de 00 02 00 00 00 00'))).toThrow(ProtocolError);
    expect(() => parseRtpPacket(hex('a0 60 00 01 00 00 00 01 00 00 00 01 aa 05'))).toThrow(ProtocolError); // padding > payload
    expect(() => parseRtpPacket(hex('a0 60 00 01 00 00 00 01 00 00 00 01 aa 00'))).toThrow(ProtocolError); // padding 0
  });
});

describe('RTCP', () => {
  test('builds SR and RR compounds with CNAME and parses them back', () => {
    const block = { ssrc: 0x11223344, fractionLost: 25, cumulativeLost: -3, extendedHighestSeq: 0x1_0005, jitter: 7, lastSr: 0xaabbccdd, delaySinceLastSr: 65536 };
    const rr = encodeReceiverReport(0xcafe, [block], 'weir@host');
    expect(rr.length % 4).toBe(0);
    expect(isRtcp(rr)).toBe(true);
    expect(parseRtcpCompound(rr)).toEqual([
      { type: 'rr', ssrc: 0xcafe, reports: [block] },
      { type: 'sdes', chunks: [{ ssrc: 0xcafe, items: [{ type: 1, text: 'weir@host' }] }] },
    ]);
    const ntp = unixMsToNtp(1_700_000_000_500);
    expect(ntp.ntpSeconds).toBe(3_908_988_800);
    expect(ntp.ntpFraction).toBe(0x8000_0000);
    const sr = encodeSenderReport({ ssrc: 9, ...ntp, rtpTimestamp: 90000, packetCount: 10, octetCount: 12000, reports: [] }, 'c');
    const [parsed] = parseRtcpCompound(sr);
    expect(parsed).toEqual({ type: 'sr', ssrc: 9, ...ntp, rtpTimestamp: 90000, packetCount: 10, octetCount: 12000, reports: [] });
  });

  test('parses BYE with a reason, APP as other, and a padded last packet', () => {
    const bytes = hex(
      '81 cb 00 03 00 00 00 2a 04 62 79 65 21 00 00 00' + // BYE ssrc 42, reason "bye!"
        'a0 cc 00 03 00 00 00 01 61 62 63 64 00 00 00 04', // APP, padded by 4
    );
    expect(parseRtcpCompound(bytes)).toEqual([
      { type: 'bye', ssrcs: [42], reason: 'bye!' },
      { type: 'other', packetType: RtcpType.App, body: hex('00 00 00 01 61 62 63 64') },
    ]);
  });

  test('bad compounds are ProtocolError', () => {
    expect(() => parseRtcpCompound(hex('80 c8 00 06 00 00 00 01'))).toThrow(ProtocolError); // SR length past end
    expect(() => parseRtcpCompound(hex('40 c9 00 01 00 00 00 01'))).toThrow(ProtocolError); // version 1
    expect(() => parseRtcpCompound(hex('81 c9 00 01 00 00 00 01'))).toThrow(ProtocolError); // RR block missing
    expect(() => parseRtcpCompound(hex('81 ca 00 02 00 00 00 01 01 09 61 62'))).toThrow(ProtocolError); // SDES item past end
    expect(() => parseRtcpCompound(hex('80 c9 00'))).toThrow(ProtocolError);
  });
});

describe('RTP timing and sequence', () => {
  test('the unwrapper extends across the 32-bit wrap and goes back for reordered frames', () => {
    const u = new RtpTimestampUnwrapper();
    expect(u.unwrap(0xffff_f000)).toBe(0);
    expect(u.unwrap(0xffff_ff00)).toBe(0xf00);
    expect(u.unwrap(0x0000_0100)).toBe(0x1100);
    expect(u.unwrap(0x0000_0000)).toBe(0x1000); // B-frame: earlier pts
    let ts = 0x100;
    let last = 0;
    for (let i = 0; i < 200_000; i++) {
      ts = (ts + 90_000) >>> 0; // 200k seconds crosses the wrap four times
      last = u.unwrap(ts);
    }
    expect(last).toBe(0x1100 + 200_000 * 90_000);
  });

  test('the sender-report clock maps RTP time to the sender wallclock, across the wrap', () => {
    const c = new SenderReportClock(90000);
    expect(c.unixMsAt(0)).toBeUndefined();
    c.onSenderReport({ ...unixMsToNtp(1_000_000), rtpTimestamp: 0xffff_ff00 });
    expect(c.synced).toBe(true);
    expect(c.unixMsAt(0xffff_ff00)).toBeCloseTo(1_000_000, 3);
    expect(c.unixMsAt((0xffff_ff00 + 90_000) >>> 0)).toBeCloseTo(1_001_000, 3);
    expect(c.unixMsAt(0xffff_ff00 - 45_000)).toBeCloseTo(999_500, 3);
  });

  test('sequence tracking: next, gap with count, late and duplicate, wrap, restart, RR figures', () => {
    const s = new RtpSequenceTracker();
    expect(s.push(65533).kind).toBe('first');
    expect(s.push(65534).kind).toBe('next');
    expect(s.push(1)).toEqual({ kind: 'gap', lost: 2 }); // 65535 and 0 lost across the wrap
    expect(s.push(0).kind).toBe('late');
    expect(s.push(1).kind).toBe('late');
    expect(s.extendedHighest).toBe(65536 + 1);
    expect(s.cumulativeLost).toBe(2);
    expect(s.takeFractionLost()).toBe(Math.floor((2 * 256) / 5));
    expect(s.push(2).kind).toBe('next');
    expect(s.takeFractionLost()).toBe(0);
    expect(s.push(30000).kind).toBe('restart');
    expect(s.cumulativeLost).toBe(0);
  });
});

describe('receiver reports and track sync', () => {
  test('jitter is 0 for evenly paced packets and grows with uneven arrival (RFC 3550 A.8)', () => {
    const even = new JitterEstimator(90000);
    for (let i = 0; i < 50; i++) even.onPacket((0xffff_0000 + i * 3000) >>> 0, 1000 + (i * 100) / 3);
    expect(even.value).toBe(0);
    const uneven = new JitterEstimator(90000);
    for (let i = 0; i < 50; i++) uneven.onPacket(i * 3000, 1000 + (i * 100) / 3 + (i % 2) * 10);
    expect(uneven.value).toBeGreaterThan(400); // 10 ms swings are 900 ticks
    expect(uneven.value).toBeLessThan(900);
  });

  test('report block: LSR is the middle 32 bits of the SR NTP time, DLSR in 1/65536 s', () => {
    const s = new RtpSequenceTracker();
    for (const n of [10, 11, 13, 14]) s.push(n);
    const block = receiverReportBlock({ ssrc: 5, sequence: s, jitter: 42, lastSr: { ntpSeconds: 0x1234_5678, ntpFraction: 0x9abc_def0, receivedAtMs: 1000 }, nowMs: 1500 });
    expect(block).toEqual({ ssrc: 5, fractionLost: 51, cumulativeLost: 1, extendedHighestSeq: 14, jitter: 42, lastSr: 0x5678_9abc, delaySinceLastSr: 32768 });
    expect(receiverReportBlock({ ssrc: 5, sequence: s, jitter: 0, nowMs: 0 })).toMatchObject({ lastSr: 0, delaySinceLastSr: 0, fractionLost: 0 });
  });

  test('wallclock offsets line tracks up from their sender reports', () => {
    const video = new SenderReportClock(90000);
    const audio = new SenderReportClock(48000);
    video.onSenderReport({ ...unixMsToNtp(10_000), rtpTimestamp: 1_000_000 });
    audio.onSenderReport({ ...unixMsToNtp(10_000), rtpTimestamp: 500 });
    // video's first frame is at 10.000 s, audio's first at 10.250 s
    const tracks = [{ clock: video, firstRtpTimestamp: 1_000_000 }, { clock: audio, firstRtpTimestamp: 500 + 12_000 }];
    const ref = earliestStartUnixMs(tracks)!;
    expect(ref).toBeCloseTo(10_000, 3);
    expect(wallclockOffsetTicks(video, 1_000_000, ref, 90000)).toBe(0);
    expect(wallclockOffsetTicks(audio, 12_500, ref, 90000)).toBe(22_500);
    expect(wallclockOffsetTicks(new SenderReportClock(8000), 0, ref, 90000)).toBeUndefined();
  });
});
