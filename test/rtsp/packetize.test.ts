import { describe, expect, test } from 'bun:test';
import { encodeAvcDecoderConfig } from '../../src/flv/encode-avc.ts';
import { encodeHevcDecoderConfig } from '../../src/flv/encode-hevc.ts';
import { encodeOpusHead } from '../../src/media/opus-head.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { splitLengthPrefixed } from '../../src/media/nal-units.ts';
import { RtpPacketizer } from '../../src/rtsp/packetize.ts';
import { parseRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { RtpStamper } from '../../src/rtsp/rtp-stamper.ts';
import { RtpTrackReceiver, type ReceiverEvent } from '../../src/rtsp/rtp-track-receiver.ts';
import { encodeSdp, parseSdp } from '../../src/rtsp/sdp.ts';
import { buildSdp, planTrack } from '../../src/rtsp/sdp-build.ts';
import { describeTracks } from '../../src/rtsp/sdp-tracks.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { H264_PPS, H264_SPS, H265_PPS, H265_SPS, H265_VPS, h264Idr, h264P, h265Idr, h265P, lengthPrefix } from './media-fixtures.ts';

const MTU = 300;

/** Track -> SDP -> description -> packetize -> stamp -> RTP bytes -> receiver: the server and client halves meet. */
function roundTrip(track: Track, input: MediaFrame[], offset = 0xffff_f000) {
  const plan = planTrack(track, 0, 'trackID=0');
  const sdp = encodeSdp(buildSdp([plan], { sessionName: 's', sessionId: '1', originAddress: '127.0.0.1' }));
  const [description] = describeTracks(parseSdp(sdp), 'rtsp://h/s').tracks;
  const packetizer = new RtpPacketizer(track, plan.clockRate, plan.parameterSets, MTU);
  const stamper = new RtpStamper({ ssrc: 0x1234, payloadType: plan.payloadType, initialSequence: 0xfffe, timestampOffset: offset });
  const receiver = new RtpTrackReceiver(description!, 7);
  const events: ReceiverEvent[] = [];
  let maxPacket = 0;
  for (const f of input) {
    for (const bytes of stamper.stamp(packetizer.packetize(f))) {
      maxPacket = Math.max(maxPacket, bytes.length - 12);
      events.push(...receiver.push(parseRtpPacket(bytes)));
    }
  }
  const frames = events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
  const tracks = events.flatMap((e) => (e.type === 'track' ? [e.track] : []));
  return { frames, tracks, maxPacket, receiver };
}

const videoFrames = (idr: (n: number, s: number) => Uint8Array, p: (n: number, s: number) => Uint8Array): MediaFrame[] =>
  Array.from({ length: 30 }, (_, i) => {
    const key = i % 10 === 0;
    const data = lengthPrefix(key ? [idr(2000 + i, i)] : [p(100 + i * 37, i), p(40, i + 100)]);
    return { trackId: 1, dts: i * 3000, pts: i * 3000, keyframe: key, data };
  });

describe('packetize -> depacketize round trips (timestamps crossing the 32-bit wrap, sequence numbers too)', () => {
  test('H.264: FU-A at the MTU, parameter sets in-band before keyframes, identical frames back', () => {
    const track: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: encodeAvcDecoderConfig([H264_SPS], [H264_PPS]) };
    const input = videoFrames(h264Idr, h264P);
    const { frames, tracks, maxPacket, receiver } = roundTrip(track, input);
    expect(maxPacket).toBeLessThanOrEqual(MTU);
    expect(tracks.length).toBe(1);
    expect(tracks[0]!.config).toEqual(track.config);
    expect(frames.map((f) => [f.pts, f.keyframe, f.data.length])).toEqual(input.map((f) => [f.pts, f.keyframe, f.data.length]));
    expect(frames.map((f) => f.data)).toEqual(input.map((f) => f.data));
    expect(receiver.stats.packetsLost).toBe(0);
  });

  test('H.265: FU at the MTU, identical frames back', () => {
    const track: Track = { id: 1, kind: 'video', codec: 'h265', timescale: 90000, config: encodeHevcDecoderConfig([H265_VPS], [H265_SPS], [H265_PPS]) };
    const input = videoFrames(h265Idr, h265P);
    const { frames, tracks, maxPacket } = roundTrip(track, input);
    expect(maxPacket).toBeLessThanOrEqual(MTU);
    expect(tracks[0]!.config).toEqual(track.config);
    expect(frames.map((f) => f.data)).toEqual(input.map((f) => f.data));
    expect(frames.map((f) => f.pts)).toEqual(input.map((f) => f.pts));
  });

  test('AAC-hbr: small frames one per packet, a large frame fragmented', () => {
    const track: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 90000, config: Uint8Array.of(0x11, 0x90) }; // 48 kHz stereo
    const input: MediaFrame[] = Array.from({ length: 20 }, (_, i) => ({
      trackId: 2,
      dts: i * 1920,
      pts: i * 1920,
      keyframe: true,
      data: new Uint8Array(i === 5 ? 1000 : 150 + i).map((_, j) => (j * 13 + i) & 0xff),
    }));
    const { frames, maxPacket } = roundTrip(track, input);
    expect(maxPacket).toBeLessThanOrEqual(MTU);
    expect(frames.map((f) => f.data)).toEqual(input.map((f) => f.data));
    expect(frames.map((f) => f.pts)).toEqual(input.map((f) => f.pts));
  });

  test('G.711 split on sample boundaries keeps every sample and its time; Opus one packet per frame', () => {
    const pcma: Track = { id: 2, kind: 'audio', codec: 'g711a', timescale: 90000, config: new Uint8Array(0) };
    const input: MediaFrame[] = Array.from({ length: 5 }, (_, i) => ({ trackId: 2, dts: i * 11250, pts: i * 11250, keyframe: true, data: new Uint8Array(1000).fill(i + 1) }));
    const g = roundTrip(pcma, input);
    expect(g.maxPacket).toBeLessThanOrEqual(MTU);
    expect(Buffer.concat(g.frames.map((f) => f.data))).toEqual(Buffer.concat(input.map((f) => f.data)));
    expect(g.frames.slice(0, 4).map((f) => f.pts)).toEqual([0, 3375, 6750, 10125]); // 300 samples at 8 kHz = 3375 ticks
    const opus: Track = { id: 2, kind: 'audio', codec: 'opus', timescale: 90000, config: encodeOpusHead(2) };
    const o = roundTrip(opus, Array.from({ length: 10 }, (_, i) => ({ trackId: 2, dts: i * 1800, pts: i * 1800, keyframe: true, data: new Uint8Array(80).fill(i) })));
    expect(o.frames.map((f) => f.pts)).toEqual(Array.from({ length: 10 }, (_, i) => i * 1800));
    expect(o.tracks[0]!.config).toEqual(encodeOpusHead(2));
  });

  test('packetizing is stateless: the same frame gives the same payloads; stamping adds seq/ts/ssrc only', () => {
    const track: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: encodeAvcDecoderConfig([H264_SPS], [H264_PPS]) };
    const p = new RtpPacketizer(track, 90000, [], MTU);
    const frame: MediaFrame = { trackId: 1, dts: 900, pts: 900, keyframe: false, data: lengthPrefix([h264P(1000, 1)]) };
    const a = p.packetize(frame);
    expect(p.packetize(frame)).toEqual(a);
    expect(a.rtpTime).toBe(900);
    expect(a.chunks.map((c) => c.marker)).toEqual([false, false, false, true]);
    const s1 = new RtpStamper({ ssrc: 1, payloadType: 96, initialSequence: 10, timestampOffset: 5 });
    const s2 = new RtpStamper({ ssrc: 2, payloadType: 96, initialSequence: 500, timestampOffset: 7 });
    const v1 = s1.stamp(a).map(parseRtpPacket);
    const v2 = s2.stamp(a).map(parseRtpPacket);
    expect(v1.map((x) => [x.sequenceNumber, x.timestamp, x.ssrc])).toEqual([[10, 905, 1], [11, 905, 1], [12, 905, 1], [13, 905, 1]]);
    expect(v2.map((x) => [x.sequenceNumber, x.timestamp, x.ssrc])).toEqual([[500, 907, 2], [501, 907, 2], [502, 907, 2], [503, 907, 2]]);
    expect(v1.map((x) => x.payload)).toEqual(v2.map((x) => x.payload));
    expect(s1.packetCount).toBe(4);
  });

  test('bad AVCC data is ProtocolError', () => {
    expect(() => splitLengthPrefixed(Uint8Array.of(0, 0, 0, 9, 1))).toThrow(ProtocolError);
    expect(() => splitLengthPrefixed(Uint8Array.of(0, 0))).toThrow(ProtocolError);
  });
});
