import { describe, expect, test } from 'bun:test';
import { parseAvcDecoderConfig } from '../../src/media/h264.ts';
import { parseHevcDecoderConfig } from '../../src/media/h265.ts';
import { AacDepacketizer } from '../../src/rtsp/depacketize-aac.ts';
import { H264Depacketizer } from '../../src/rtsp/depacketize-h264.ts';
import { encodeRtpPacket, parseRtpPacket, type RtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { RtpTrackReceiver, type ReceiverEvent } from '../../src/rtsp/rtp-track-receiver.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import {
  H264_PPS,
  H264_SPS,
  H265_PPS,
  H265_SPS,
  H265_VPS,
  aacDescription,
  h264Description,
  h264Idr,
  h264P,
  h264PSecondSlice,
  h265Description,
  h265Idr,
  lengthPrefix,
} from './media-fixtures.ts';

let seq = 100;
function rtp(payload: Uint8Array, timestamp: number, marker: boolean, payloadType = 96, sequenceNumber = seq++): RtpPacket {
  return parseRtpPacket(encodeRtpPacket({ marker, payloadType, sequenceNumber, timestamp, ssrc: 1, payload }));
}

const cat = (...parts: (Uint8Array | number[])[]) => Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));
const stapA = (...nals: Uint8Array[]) => cat([24], ...nals.flatMap((n) => [[n.length >> 8, n.length & 0xff], n]));
/** FU-A fragments of `nal` in `parts` pieces */
function fuA(nal: Uint8Array, parts: number): Uint8Array[] {
  const body = nal.subarray(1);
  const step = Math.ceil(body.length / parts);
  const out: Uint8Array[] = [];
  for (let i = 0; i < parts; i++) {
    const header = (i === 0 ? 0x80 : 0) | (i === parts - 1 ? 0x40 : 0) | (nal[0]! & 0x1f);
    out.push(cat([(nal[0]! & 0xe0) | 28, header], body.subarray(i * step, (i + 1) * step)));
  }
  return out;
}

const frames = (events: ReceiverEvent[]) => events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
const tracks = (events: ReceiverEvent[]) => events.flatMap((e) => (e.type === 'track' ? [e.track] : []));

describe('H.264 (RFC 6184)', () => {
  test('STAP-A parameter sets + FU-A IDR, then single-NAL P frames: a track and AVCC frames', () => {
    const r = new RtpTrackReceiver(h264Description(), 1);
    const idr = h264Idr(3000);
    const p1 = h264P(500);
    const events = [
      ...r.push(rtp(stapA(H264_SPS, H264_PPS), 1000, false)),
      ...fuA(idr, 3).flatMap((f, i) => r.push(rtp(f, 1000, i === 2))),
      ...r.push(rtp(p1, 4000, true)),
    ];
    const [track] = tracks(events);
    expect(track).toMatchObject({ id: 1, kind: 'video', codec: 'h264', timescale: 90000 });
    const avcC = parseAvcDecoderConfig(track!.config);
    expect(avcC.sps[0]).toEqual(H264_SPS);
    expect(avcC.pps[0]).toEqual(H264_PPS);
    const out = frames(events);
    // this SPS does not state its reorder depth, so 4 frames are assumed: dts trails pts by a constant 4 frames
    expect(out.map((f) => [f.pts, f.dts, f.keyframe])).toEqual([[0, -12000, true], [3000, -9000, false]]);
    expect(out[0]!.data).toEqual(lengthPrefix([idr])); // parameter sets live in the track, not the frame
    expect(out[1]!.data).toEqual(lengthPrefix([p1]));
  });

  test('an access unit ends on a timestamp change when the marker is missing; multi-slice pictures stay whole', () => {
    const r = new RtpTrackReceiver(h264Description(), 1);
    const a = h264Idr(100);
    const b = h264PSecondSlice(80);
    const out = frames([...r.push(rtp(a, 0, false)), ...r.push(rtp(b, 0, false)), ...r.push(rtp(h264P(50), 3000, true))]);
    expect(out.map((f) => f.pts)).toEqual([0, 3000]);
    expect(out[0]!.data).toEqual(lengthPrefix([a, b]));
  });

  test('loss drops the damaged frame and everything until the next keyframe; no corrupt frame is emitted', () => {
    const r = new RtpTrackReceiver(h264Description(), 1);
    seq = 1;
    const keep = frames(r.push(rtp(h264Idr(200), 0, true)));
    expect(keep.length).toBe(1);
    const frag = fuA(h264P(3000, 2), 3);
    r.push(rtp(frag[0]!, 3000, false));
    seq++; // fragment 2 lost
    const lostOut = r.push(rtp(frag[2]!, 3000, true));
    expect(frames(lostOut)).toEqual([]);
    expect(frames(r.push(rtp(h264P(100, 3), 6000, true)))).toEqual([]); // refers to the lost frame
    const idr = h264Idr(300, 4);
    const back = frames(r.push(rtp(idr, 9000, true)));
    expect(back.map((f) => [f.pts, f.keyframe])).toEqual([[9000, true]]);
    expect(r.stats.packetsLost).toBe(1);
    expect(r.stats.framesDropped).toBe(2);
  });

  test('after a gap, a keyframe whose first slice may be the lost packet is not trusted', () => {
    const r = new RtpTrackReceiver(h264Description(), 1);
    seq = 50;
    r.push(rtp(h264Idr(100), 0, true));
    seq++; // lost: could be the IDR's first slice
    expect(frames(r.push(rtp(nal2ndIdrSlice(), 3000, true)))).toEqual([]);
    seq++; // lost again, but the next packet starts a picture (first_mb 0): accepted
    expect(frames(r.push(rtp(h264Idr(90, 5), 6000, true))).length).toBe(1);
    // a lost FU-A start taints its access unit
    seq++;
    const frag = fuA(h264Idr(3000, 6), 3);
    expect(frames([...r.push(rtp(frag[1]!, 9000, false)), ...r.push(rtp(frag[2]!, 9000, true))])).toEqual([]);
  });

  test('frames before the first keyframe are dropped; in-band parameter sets change the track', () => {
    const r = new RtpTrackReceiver(h264Description({ params: { codec: 'h264', sps: [], pps: [], packetizationMode: 1 } }), 1);
    expect(r.push(rtp(h264P(50), 0, true))).toEqual([]);
    expect(r.push(rtp(h264Idr(50), 3000, true))).toEqual([]); // no parameter sets yet
    const first = r.push(rtp(stapA(H264_SPS, H264_PPS, h264Idr(60)), 6000, true));
    expect(first.map((e) => e.type)).toEqual(['track', 'frame']);
    const sps2 = Uint8Array.from(H264_SPS);
    sps2[sps2.length - 1]! ^= 0x10;
    const again = r.push(rtp(stapA(H264_SPS, H264_PPS, h264Idr(60)), 9000, true));
    expect(again.map((e) => e.type)).toEqual(['frame']); // same parameter sets: no new track
    const changed = r.push(rtp(stapA(sps2, H264_PPS, h264Idr(60)), 12000, true));
    expect(changed.map((e) => e.type)).toEqual(['track', 'frame']);
    expect(parseAvcDecoderConfig(tracks(changed)[0]!.config).sps[0]).toEqual(sps2);
  });

  test('an in-band SPS too short for avcC is not learned (found by fuzzing: it threw a RangeError)', () => {
    const r = new RtpTrackReceiver(h264Description({ params: { codec: 'h264', sps: [Uint8Array.of(0x67)], pps: [H264_PPS], packetizationMode: 1 } }), 1);
    expect(r.push(rtp(stapA(Uint8Array.of(0x67, 0x42), H264_PPS, h264Idr(40)), 0, true))).toEqual([]);
    const ok = r.push(rtp(stapA(H264_SPS, Uint8Array.of(0x67, 0x42), H264_PPS, h264Idr(40)), 3000, true));
    expect(ok.map((e) => e.type)).toEqual(['track', 'frame']);
    expect(parseAvcDecoderConfig(tracks(ok)[0]!.config).sps[0]).toEqual(H264_SPS);
  });

  test('malformed payloads are ProtocolError; other payload types and duplicates are ignored', () => {
    const d = new H264Depacketizer();
    expect(() => d.push(rtp(Uint8Array.of(24, 0x00, 0x09, 0x67), 0, true))).toThrow(ProtocolError);
    expect(() => d.push(rtp(Uint8Array.of(28, 0xc5, 1), 0, true))).toThrow(ProtocolError);
    expect(() => d.push(rtp(Uint8Array.of(26, 1, 2), 0, true))).toThrow(ProtocolError); // MTAP: interleaved mode
    expect(() => d.push(rtp(new Uint8Array(0), 0, true))).toThrow(ProtocolError);
    const r = new RtpTrackReceiver(h264Description(), 1);
    expect(r.push(rtp(h264Idr(10), 0, true, 97))).toEqual([]);
    const dup = rtp(h264Idr(10), 0, true, 96, 7);
    expect(frames(r.push(dup)).length).toBe(1);
    expect(r.push(dup)).toEqual([]);
    expect(r.stats.packetsIgnored).toBe(2);
  });
});

function nal2ndIdrSlice(): Uint8Array {
  return Uint8Array.of(0x65, 0x02, 0x11, 0x22);
}

describe('H.265 (RFC 7798)', () => {
  const ap = (nals: Uint8Array[], donl = false) =>
    cat([48 << 1, 1], ...nals.flatMap((n, i) => [donl ? (i === 0 ? [0, 5] : [1]) : [], [n.length >> 8, n.length & 0xff], n]));
  function fu(nal: Uint8Array, parts: number, donl = false): Uint8Array[] {
    const body = nal.subarray(2);
    const step = Math.ceil(body.length / parts);
    const type = (nal[0]! >> 1) & 0x3f;
    return Array.from({ length: parts }, (_, i) =>
      cat([(nal[0]! & 0x81) | (49 << 1), nal[1]!, (i === 0 ? 0x80 : 0) | (i === parts - 1 ? 0x40 : 0) | type], donl && i === 0 ? [0, 9] : [], body.subarray(i * step, (i + 1) * step)),
    );
  }

  for (const donl of [false, true]) {
    test(`AP parameter sets + FU IDR${donl ? ' with DONL' : ''}: hvcC track and HVCC frames`, () => {
      const r = new RtpTrackReceiver(h265Description(donl), 2);
      const idr = h265Idr(2500);
      const events = [
        ...r.push(rtp(ap([H265_VPS, H265_SPS, H265_PPS], donl), 500, false, 97)),
        ...fu(idr, 3, donl).flatMap((f, i) => r.push(rtp(f, 500, i === 2, 97))),
      ];
      const [track] = tracks(events);
      expect(track?.codec).toBe('h265');
      const hvcC = parseHevcDecoderConfig(track!.config);
      expect([hvcC.vps[0], hvcC.sps[0], hvcC.pps[0]]).toEqual([H265_VPS, H265_SPS, H265_PPS]);
      const out = frames(events);
      expect(out.map((f) => f.keyframe)).toEqual([true]);
      expect(out[0]!.data).toEqual(lengthPrefix([idr]));
    });
  }
});

describe('AAC-hbr (RFC 3640)', () => {
  const auHeaders = (sizes: number[]) => {
    const bits = sizes.length * 16;
    return cat([bits >> 8, bits & 0xff], ...sizes.map((s) => [s >> 5, (s & 0x1f) << 3]));
  };

  test('several AUs in one packet get consecutive timestamps (1024 samples each)', () => {
    const r = new RtpTrackReceiver(aacDescription(), 3);
    const a = new Uint8Array(100).fill(1);
    const b = new Uint8Array(120).fill(2);
    const c = new Uint8Array(90).fill(3);
    const events = r.push(rtp(cat(auHeaders([100, 120, 90]), a, b, c), 48000, true, 98));
    expect(tracks(events)[0]).toMatchObject({ codec: 'aac', config: Uint8Array.of(0x11, 0x90) });
    const out = frames(events);
    expect(out.map((f) => f.pts)).toEqual([0, 1920, 3840]); // 1024 samples at 48 kHz in 90 kHz ticks
    expect(out.map((f) => f.data)).toEqual([a, b, c]);
  });

  test('a fragmented AU is joined; a lost fragment drops only that AU', () => {
    const d = new AacDepacketizer({ sizeLength: 13, indexLength: 3, indexDeltaLength: 3 });
    const au = new Uint8Array(3000).map((_, i) => i & 0xff);
    expect(d.push(rtp(cat(auHeaders([3000]), au.subarray(0, 1400)), 10, false, 98))).toEqual([]);
    expect(d.push(rtp(cat(auHeaders([3000]), au.subarray(1400, 2800)), 10, false, 98))).toEqual([]);
    expect(d.push(rtp(cat(auHeaders([3000]), au.subarray(2800)), 10, true, 98))).toEqual([{ timestamp: 10, data: au }]);
    expect(d.push(rtp(cat(auHeaders([3000]), au.subarray(0, 1400)), 20, false, 98))).toEqual([]);
    expect(d.push(rtp(cat(auHeaders([3000]), au.subarray(2800)), 20, true, 98), 1)).toEqual([]);
    expect(d.droppedUnits).toBe(1);
    const next = d.push(rtp(cat(auHeaders([4]), Uint8Array.of(1, 2, 3, 4)), 30, true, 98));
    expect(next).toEqual([{ timestamp: 30, data: Uint8Array.of(1, 2, 3, 4) }]);
  });

  test('bad AU headers are ProtocolError', () => {
    const d = new AacDepacketizer({ sizeLength: 13, indexLength: 3, indexDeltaLength: 3 });
    expect(() => d.push(rtp(Uint8Array.of(0x00), 0, true, 98))).toThrow(ProtocolError);
    expect(() => d.push(rtp(Uint8Array.of(0x00, 0x20, 0x01), 0, true, 98))).toThrow(ProtocolError);
    expect(() => d.push(rtp(cat(auHeaders([10, 10]), new Uint8Array(12)), 0, true, 98))).toThrow(ProtocolError);
    expect(() => d.push(rtp(Uint8Array.of(0x00, 0x00), 0, true, 98))).toThrow(ProtocolError);
  });
});
