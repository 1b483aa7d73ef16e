// MP4A-LATM (RFC 6416) as GStreamer's rtpmp4apay sends AAC: the SDP config (StreamMuxConfig) gives the
// AudioSpecificConfig, each packet carries PayloadLengthInfo + one raw AAC frame, a large frame spans packets.
import { describe, expect, test } from 'bun:test';
import { audioSpecificConfigOfStreamMuxConfig, LatmDepacketizer } from '../../src/rtsp/depacketize-latm.ts';
import type { RtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { describeTracks } from '../../src/rtsp/sdp-tracks.ts';
import { parseSdp } from '../../src/rtsp/sdp.ts';
import { expectProtocolError } from '../protocol-errors.ts';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const packet = (payload: Uint8Array, timestamp: number, marker = true, sequenceNumber = 0): RtpPacket =>
  ({ marker, payloadType: 96, sequenceNumber, timestamp, ssrc: 1, csrcs: [], payload, paddingBytes: 0 });
/** PayloadLengthInfo (255s then the rest) followed by the frame */
const element = (frame: Uint8Array) => {
  const prefix: number[] = [];
  let n = frame.length;
  for (; n >= 255; n -= 255) prefix.push(255);
  prefix.push(n);
  return new Uint8Array([...prefix, ...frame]);
};
const frameOf = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('StreamMuxConfig', () => {
  test("GStreamer's config for 44.1 kHz mono AAC-LC keeps its SBR signalling (sync extension 0x2b7, no SBR): 12 08 56 e5 00", () => {
    expect([...audioSpecificConfigOfStreamMuxConfig(hex('40002410adca00'))]).toEqual([0x12, 0x08, 0x56, 0xe5, 0x00]);
  });

  test('without the SBR signalling: the two-byte AudioSpecificConfig', () => {
    // 44.1 kHz mono LC, frameLengthType 0, latmBufferFullness 0xff
    expect([...audioSpecificConfigOfStreamMuxConfig(hex('40002410' + '1fe0'))]).toEqual([0x12, 0x08]);
  });

  test('48 kHz stereo (config 400023203fc0) gives 11 90', () => {
    expect([...audioSpecificConfigOfStreamMuxConfig(hex('400023203fc0'))]).toEqual([0x11, 0x90]);
  });

  test('forms we do not read are refused as unsupported, short ones as truncated', () => {
    for (const config of ['c0002410adca00', '41002410adca00', '40012410adca00', '4000a410adca00', '40002412adca00']) {
      expectProtocolError(() => audioSpecificConfigOfStreamMuxConfig(hex(config)));
    }
    expect(() => audioSpecificConfigOfStreamMuxConfig(hex('4000'))).toThrow(/Truncated|need/);
  });

  test('an SDP with MP4A-LATM cpresent=0 is an AAC track; cpresent=1 is skipped with the reason', () => {
    const sdp = (fmtp: string) => parseSdp(['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=x', 't=0 0', 'm=audio 0 RTP/AVP 96', 'a=rtpmap:96 MP4A-LATM/44100/1', `a=fmtp:96 ${fmtp}`, 'a=control:stream=1', ''].join('\r\n'));
    const { tracks } = describeTracks(sdp('cpresent=0;config=40002410adca00'), 'rtsp://h/live/cam');
    expect(tracks).toHaveLength(1);
    expect(tracks[0]!.kind).toBe('audio');
    expect(tracks[0]!.clockRate).toBe(44100);
    expect(tracks[0]!.params).toEqual({ codec: 'aac', config: new Uint8Array([0x12, 0x08, 0x56, 0xe5, 0x00]), latm: true });
    const inBand = describeTracks(sdp('cpresent=1;config=40002410adca00'), 'rtsp://h/live/cam');
    expect(inBand.tracks).toHaveLength(0);
    expect(inBand.skipped[0]!.reason).toContain('cpresent');
  });
});

describe('LatmDepacketizer', () => {
  test('one frame per packet, with lengths under and over 255', () => {
    const d = new LatmDepacketizer();
    const small = frameOf(200, 1);
    const big = frameOf(600, 2);
    expect(d.push(packet(element(small), 1000))).toEqual([{ timestamp: 1000, data: small }]);
    expect(d.push(packet(element(big), 2024))).toEqual([{ timestamp: 2024, data: big }]);
  });

  test('a frame split over packets (marker on the last) comes out whole', () => {
    const d = new LatmDepacketizer();
    const frame = frameOf(1500, 7);
    const whole = element(frame);
    expect(d.push(packet(whole.subarray(0, 700), 5000, false, 1))).toEqual([]);
    expect(d.push(packet(whole.subarray(700, 1400), 5000, false, 2))).toEqual([]);
    const out = d.push(packet(whole.subarray(1400), 5000, true, 3));
    expect(out).toHaveLength(1);
    expect(out[0]!.data).toEqual(frame);
    expect(d.droppedUnits).toBe(0);
  });

  test('two elements in one packet are two frames 1024 samples apart', () => {
    const d = new LatmDepacketizer();
    const a = frameOf(10, 1);
    const b = frameOf(20, 2);
    const out = d.push(packet(new Uint8Array([...element(a), ...element(b)]), 0xffffff00));
    expect(out.map((u) => [u.timestamp, u.data.length])).toEqual([[0xffffff00, 10], [(0xffffff00 + 1024) >>> 0, 20]]);
  });

  test('a loss inside a split frame drops that frame up to its marker, not the next one', () => {
    const d = new LatmDepacketizer();
    const whole = element(frameOf(1500, 3));
    d.push(packet(whole.subarray(0, 500), 100, false));
    // the middle is lost: the rest of the frame is dropped (it would parse as elements of 3s otherwise)
    expect(d.push(packet(whole.subarray(1000, 1200), 100, false), 1)).toEqual([]);
    expect(d.push(packet(whole.subarray(1200), 100, true))).toEqual([]);
    const next = frameOf(50, 4);
    expect(d.push(packet(element(next), 1124))).toEqual([{ timestamp: 1124, data: next }]);
    expect(d.droppedUnits).toBe(1);
  });

  test('lengths that do not add up are a typed error', () => {
    const d = new LatmDepacketizer();
    expect(() => d.push(packet(new Uint8Array([10, 1, 2]), 0))).toThrow(/LATM/);
    expect(() => d.push(packet(new Uint8Array([255]), 0))).toThrow(/LATM/);
  });
});
