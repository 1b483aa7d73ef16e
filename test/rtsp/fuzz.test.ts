// Seeded, bounded fuzzing of every parser of the RTSP slice: mutated valid inputs give values or ProtocolError,
// never another exception or a hang, and depacketized frames are always well-formed AVCC.
import { describe, expect, test } from 'bun:test';
import { encodeAvcDecoderConfig } from '../../src/flv/encode-avc.ts';
import { encodeHevcDecoderConfig } from '../../src/flv/encode-hevc.ts';
import { h264ReorderDepth, h265ReorderDepth } from '../../src/media/reorder-depth.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { splitLengthPrefixed } from '../../src/media/nal-units.ts';
import { RtpPacketizer } from '../../src/rtsp/packetize.ts';
import { encodeReceiverReport, encodeSenderReport, parseRtcpCompound } from '../../src/rtsp/rtcp.ts';
import { parseChallenge } from '../../src/rtsp/rtsp-auth.ts';
import { verifyDigest } from '../../src/rtsp/rtsp-auth-verify.ts';
import { encodeInterleaved, encodeRequest, encodeResponse } from '../../src/rtsp/rtsp-encode.ts';
import { parseRange, parseRtpInfo, parseSession } from '../../src/rtsp/rtsp-headers.ts';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';
import { parseTransport } from '../../src/rtsp/rtsp-transport.ts';
import { encodeRtpPacket, parseRtpPacket, type RtpPacketInit } from '../../src/rtsp/rtp-packet.ts';
import { RtpStamper } from '../../src/rtsp/rtp-stamper.ts';
import { RtpTrackReceiver } from '../../src/rtsp/rtp-track-receiver.ts';
import { parseSdp } from '../../src/rtsp/sdp.ts';
import { describeTracks } from '../../src/rtsp/sdp-tracks.ts';
import type { RtpTrackDescription } from '../../src/rtsp/sdp-tracks.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { ascii } from '../flv/hex.ts';
import { H264_PPS, H264_SPS, H265_PPS, H265_SPS, H265_VPS, aacDescription, h264Description, h264Idr, h264P, h265Description, h265Idr, h265P, lengthPrefix } from './media-fixtures.ts';
import { prng } from '../seeded-random.ts';

const int = (rand: () => number, n: number) => Math.floor(rand() * n);

function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  let out: Uint8Array = input.slice();
  const edits = 1 + int(rand, 4);
  for (let e = 0; e < edits; e++) {
    const op = int(rand, 6);
    if (op === 0 && out.length > 0) out[int(rand, out.length)] = int(rand, 256);
    else if (op === 1 && out.length > 0) out[int(rand, out.length)]! ^= 1 << int(rand, 8);
    else if (op === 2) out = out.slice(0, int(rand, out.length + 1));
    else if (op === 3 && out.length > 0) {
      const at = int(rand, out.length);
      out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + int(rand, 8))]);
    } else if (op === 4) {
      const at = int(rand, out.length + 1);
      const junk = Uint8Array.from({ length: 1 + int(rand, 8) }, () => int(rand, 256));
      out = Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
    } else if (out.length > 4) {
      // interesting values at a random offset: zero, 0xff, '$', ':', ';', ','
      out[int(rand, out.length)] = [0, 0xff, 0x24, 0x3a, 0x3b, 0x2c, 0x3d][int(rand, 7)]!;
    }
  }
  return out;
}

/** Runs fn; anything thrown must be a ProtocolError. Returns whether it threw. */
function onlyProtocolErrors(fn: () => void, context: () => string): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    if (!isProtocolError(err)) throw new Error(`${context()}: ${String(err)}\n${(err as Error).stack}`);
    return true;
  }
}

const ROUNDS = 2000;
const latin1 = new TextDecoder('latin1');

describe('fuzz (seeded, bounded)', () => {
  test('RtspParser on mutated message streams, random splits', () => {
    const seed = Buffer.concat([
      encodeRequest({ method: 'SETUP', uri: 'rtsp://h/s/trackID=0', headers: [['CSeq', '3'], ['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1']] }),
      encodeResponse({ status: 200, headers: [['CSeq', '2'], ['Content-Type', 'application/sdp']], body: ascii('v=0\r\ns=x\r\n') }),
      encodeInterleaved(0, Uint8Array.of(0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x65)),
      encodeInterleaved(1, Uint8Array.of(0x81, 0xc9, 0, 1)),
    ]);
    const rand = prng(1);
    let errors = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const input = mutate(rand, seed);
      const p = new RtspParser({ maxHeaderBytes: 512, maxBodyBytes: 512 });
      errors += onlyProtocolErrors(() => {
        for (let at = 0; at < input.length; ) {
          const step = 1 + int(rand, 40);
          for (const m of p.push(input.subarray(at, at + step))) if (m.kind === 'interleaved') expect(m.payload.length).toBeLessThan(0x10000);
          at += step;
        }
      }, () => Buffer.from(input).toString('hex')) ? 1 : 0;
    }
    expect(errors).toBeGreaterThan(0);
  });

  test('SDP parse and track description on mutated camera SDPs', () => {
    const sdp = ascii(
      'v=0\r\no=- 1 1 IN IP4 h\r\ns=x\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n' +
        'a=fmtp:96 packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==\r\na=control:trackID=0\r\n' +
        'm=video 0 RTP/AVP 98\r\na=rtpmap:98 H265/90000\r\na=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ;sprop-max-don-diff=0\r\n' +
        'm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/44100/2\r\na=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1210\r\n' +
        'm=audio 0 RTP/AVP 0\r\nm=audio 0 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n' +
        'm=audio 0 RTP/AVP 100\r\na=rtpmap:100 MP4A-LATM/44100/1\r\na=fmtp:100 cpresent=0;config=40002410adca00\r\n',
    );
    const rand = prng(2);
    for (let i = 0; i < ROUNDS; i++) {
      const text = latin1.decode(mutate(rand, sdp));
      onlyProtocolErrors(() => {
        for (const t of describeTracks(parseSdp(text), 'rtsp://h/s').tracks) new RtpTrackReceiver(t, 1);
      }, () => JSON.stringify(text));
    }
  });

  test('RTP and RTCP parsers on mutated packets; encoders round-trip what parses', () => {
    const rtp = encodeRtpPacket({ marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [4], extension: { profile: 0xbede, data: new Uint8Array(4) }, payload: new Uint8Array(20), paddingBytes: 4 });
    const rtcp = Buffer.concat([
      encodeSenderReport({ ssrc: 1, ntpSeconds: 2, ntpFraction: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6, reports: [{ ssrc: 7, fractionLost: 1, cumulativeLost: 2, extendedHighestSeq: 3, jitter: 4, lastSr: 5, delaySinceLastSr: 6 }] }, 'cname'),
      encodeReceiverReport(9, [], 'x'),
      Uint8Array.of(0x81, 0xcb, 0, 2, 0, 0, 0, 1, 1, 0x61, 0, 0),
    ]);
    const rand = prng(3);
    for (let i = 0; i < ROUNDS; i++) {
      const a = mutate(rand, rtp);
      onlyProtocolErrors(() => {
        const p = parseRtpPacket(a);
        expect(parseRtpPacket(encodeRtpPacket(p))).toEqual(p);
      }, () => Buffer.from(a).toString('hex'));
      const b = mutate(rand, rtcp);
      onlyProtocolErrors(() => void parseRtcpCompound(b), () => Buffer.from(b).toString('hex'));
    }
  });

  test('header and auth parsers on mutated values', () => {
    const values = [
      'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record',
      'RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001;ssrc=0000ABCD',
      '12345678;timeout=60',
      'url=rtsp://h/s/trackID=0;seq=1;rtptime=2,url=rtsp://h/s/trackID=1;seq=3',
      'npt=0.000-12.5',
      'Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256, opaque="o"',
      'Digest username="u", realm="weir", nonce="n", uri="rtsp://h/s", response="00", qop=auth, nc=00000001, cnonce="c"',
    ];
    const rand = prng(4);
    for (let i = 0; i < ROUNDS; i++) {
      const v = latin1.decode(mutate(rand, ascii(values[i % values.length]!)));
      onlyProtocolErrors(() => void parseTransport(v), () => v);
      onlyProtocolErrors(() => void parseSession(v), () => v);
      onlyProtocolErrors(() => void parseRtpInfo(v), () => v);
      onlyProtocolErrors(() => void parseRange(v), () => v);
      onlyProtocolErrors(() => void parseChallenge(v), () => v);
      // the server verifier never throws: every bad header is a verdict
      const verdict = verifyDigest({ authorization: v, method: 'DESCRIBE', realm: 'weir', nonceValid: () => true, ha1For: () => '0'.repeat(32) });
      expect(typeof verdict.ok).toBe('boolean');
    }
  });

  test('SPS reorder-depth readers on mutated parameter sets', () => {
    const rand = prng(6);
    for (let i = 0; i < ROUNDS; i++) {
      const a = mutate(rand, H264_SPS);
      onlyProtocolErrors(() => void h264ReorderDepth(a), () => Buffer.from(a).toString('hex'));
      const b = mutate(rand, H265_SPS);
      onlyProtocolErrors(() => void h265ReorderDepth(b), () => Buffer.from(b).toString('hex'));
    }
  });

  function packetStream(track: Track, frames: MediaFrame[], clockRate: number, pt: number): Uint8Array[] {
    const packetizer = new RtpPacketizer(track, clockRate, [], 200);
    const stamper = new RtpStamper({ ssrc: 1, payloadType: pt, initialSequence: 0, timestampOffset: 0 });
    return frames.flatMap((f) => stamper.stamp(packetizer.packetize(f)));
  }

  const videoFrames = (idr: (n: number, s: number) => Uint8Array, p: (n: number, s: number) => Uint8Array, params: Uint8Array[]) =>
    Array.from({ length: 12 }, (_, i): MediaFrame => ({
      trackId: 1,
      dts: i * 3000,
      pts: i * 3000,
      keyframe: i % 4 === 0,
      data: lengthPrefix(i % 4 === 0 ? [...params, idr(700, i)] : [p(300, i)]),
    }));

  const cases: [string, RtpTrackDescription, Uint8Array[]][] = [
    ['h264', h264Description(), packetStream(
      { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: encodeAvcDecoderConfig([H264_SPS], [H264_PPS]) },
      videoFrames(h264Idr, h264P, [H264_SPS, H264_PPS]), 90000, 96)],
    ['h265', h265Description(), packetStream(
      { id: 1, kind: 'video', codec: 'h265', timescale: 90000, config: encodeHevcDecoderConfig([H265_VPS], [H265_SPS], [H265_PPS]) },
      videoFrames(h265Idr, h265P, [H265_VPS, H265_SPS, H265_PPS]), 90000, 97)],
    ['aac', aacDescription(), packetStream(
      { id: 1, kind: 'audio', codec: 'aac', timescale: 90000, config: Uint8Array.of(0x11, 0x90) },
      Array.from({ length: 12 }, (_, i) => ({ trackId: 1, dts: i * 1920, pts: i * 1920, keyframe: true, data: new Uint8Array(i === 3 ? 500 : 100).fill(i + 1) })), 48000, 98)],
    ['aac-latm', { ...aacDescription(), clockRate: 44100, params: { codec: 'aac', config: Uint8Array.of(0x12, 0x08), latm: true } }, latmPackets()],
  ];

  /** MP4A-LATM as GStreamer sends it: PayloadLengthInfo + frame, marker on the last packet of each; frame 3 spans 3 packets */
  function latmPackets(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let sequenceNumber = 0;
    const rtp = (payload: Uint8Array, timestamp: number, marker: boolean): Uint8Array =>
      encodeRtpPacket({ marker, payloadType: 98, sequenceNumber: sequenceNumber++, timestamp, ssrc: 1, payload } satisfies RtpPacketInit);
    for (let i = 0; i < 12; i++) {
      const frame = new Uint8Array(i === 3 ? 600 : 100).fill(i + 1);
      const lengths: number[] = [];
      for (let n = frame.length; ; n -= 255) {
        lengths.push(Math.min(n, 255));
        if (n < 255) break;
      }
      const element = Uint8Array.from([...lengths, ...frame]);
      if (i !== 3) out.push(rtp(element, i * 1024, true));
      else for (let at = 0; at < element.length; at += 250) out.push(rtp(element.subarray(at, at + 250), i * 1024, at + 250 >= element.length));
    }
    return out;
  }

  for (const [name, description, packets] of cases) {
    test(`${name} receiver on mutated RTP packet streams: frames are well-formed`, () => {
      const rand = prng(5 + name.length);
      let frames = 0;
      for (let round = 0; round < 300; round++) {
        const receiver = new RtpTrackReceiver(description, 1);
        for (const original of packets) {
          const r = rand();
          if (r < 0.05) continue; // dropped packet
          const bytes = r < 0.2 ? mutate(rand, original) : original;
          onlyProtocolErrors(() => {
            for (const e of receiver.push(parseRtpPacket(bytes))) {
              if (e.type !== 'frame') continue;
              frames++;
              if (description.kind === 'video') expect(splitLengthPrefixed(e.frame.data).length).toBeGreaterThan(0);
            }
          }, () => `${name} ${Buffer.from(bytes).toString('hex')}`);
        }
      }
      expect(frames).toBeGreaterThan(0);
    });
  }
});
