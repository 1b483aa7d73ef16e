// RtspTagWriter and the RTSP URL/credential helpers, without sockets: RTP packets built by hand go in, FLV tags come out.
import { describe, expect, test } from 'bun:test';
import type { EncodedTag } from '../../src/flv/encode-tag.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import { RtspTagWriter } from '../../src/relay/rtsp-pull-media.ts';
import { parseRtspUrl } from '../../src/relay/rtsp-url.ts';
import { relaySchemeOf } from '../../src/relay/relay-url.ts';
import { encodeRtpPacket, parseRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { NTP_UNIX_OFFSET_SEC } from '../../src/rtsp/rtp-timestamp.ts';
import { hidePassword, keepStoredPassword } from '../../src/control/services/url-password.ts';
import { aacDescription, h264Description, h264Idr, h264P } from '../rtsp/media-fixtures.ts';

const VIDEO_BASE = 0xffff_f000; // wraps after the first frames
const AUDIO_BASE = 123_456;

function videoPacket(i: number, seq = i): ReturnType<typeof parseRtpPacket> {
  const payload = i % 25 === 0 ? h264Idr(60, i) : h264P(40, i);
  return parseRtpPacket(encodeRtpPacket({ marker: true, payloadType: 96, sequenceNumber: seq, timestamp: (VIDEO_BASE + i * 3600) >>> 0, ssrc: 1, payload }));
}

/** one AAC frame per packet (RFC 3640 AAC-hbr: AU-headers-length 16, 13-bit size, 3-bit index) */
function audioPacket(i: number): ReturnType<typeof parseRtpPacket> {
  const au = Uint8Array.from({ length: 20 }, (_, k) => (k + i) & 0xff);
  const payload = Uint8Array.of(0, 16, au.length >> 5, (au.length & 0x1f) << 3, ...au);
  return parseRtpPacket(encodeRtpPacket({ marker: true, payloadType: 98, sequenceNumber: i, timestamp: AUDIO_BASE + i * 1024, ssrc: 2, payload }));
}

const sr = (unixMs: number, rtpTimestamp: number) => ({
  ntpSeconds: Math.floor(unixMs / 1000) + NTP_UNIX_OFFSET_SEC,
  ntpFraction: Math.round(((unixMs % 1000) / 1000) * 2 ** 32),
  rtpTimestamp,
});

const kinds = (tags: EncodedTag[]) =>
  tags.map((t) => {
    if (t.type === 9) return parseVideoTag(t.body).kind === 'sequence-header' ? 'video-header' : 'video';
    return parseAudioTag(t.body).kind === 'sequence-header' ? 'audio-header' : 'audio';
  });

/** presentation time of a tag: the timestamp plus, for AVC video, the composition time (SI24 at bytes 2-4) */
function ptsMs(tag: EncodedTag): number {
  if (tag.type !== 9) return tag.timestampMs;
  const cts = ((tag.body[2]! << 16) | (tag.body[3]! << 8) | tag.body[4]!) << 8 >> 8;
  return tag.timestampMs + cts;
}

describe('RtspTagWriter', () => {
  test('holds the first tags until every track started: both sequence headers come before any frame', () => {
    const w = new RtspTagWriter([h264Description(), aacDescription()]);
    expect(w.onRtp(0, videoPacket(0), 0)).toEqual([]);
    expect(w.onRtp(0, videoPacket(1), 40)).toEqual([]);
    const released = w.onRtp(1, audioPacket(0), 50);
    expect(kinds(released)).toEqual(['video-header', 'audio-header', 'video', 'video', 'audio']);
    const times = released.slice(2).map((t) => t.timestampMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // afterwards every packet comes straight out, and the video timeline runs through the 32-bit wrap
    const next = w.onRtp(0, videoPacket(2), 80);
    expect(kinds(next)).toEqual(['video']);
    expect(ptsMs(next[0]!) - ptsMs(released[2]!)).toBe(80);
  });

  test('a track that never starts does not hold the others for more than 2 s', () => {
    const w = new RtspTagWriter([h264Description(), aacDescription()]);
    let out: EncodedTag[] = [];
    for (let i = 0; i < 60 && out.length === 0; i++) out = w.onRtp(0, videoPacket(i), i * 40);
    expect(kinds(out)[0]).toBe('video-header');
    expect(out.length).toBeGreaterThan(40);
  });

  test('tracks are placed by the sender clock when RTCP sender reports map both', () => {
    const w = new RtspTagWriter([h264Description(), aacDescription()]);
    const t0 = 1_800_000_000_000;
    w.onSenderReport(0, sr(t0, VIDEO_BASE));
    // the audio's first sample was captured 500 ms after the first video frame, though both arrive together
    w.onSenderReport(1, sr(t0 + 500, AUDIO_BASE));
    w.onRtp(0, videoPacket(0), 0);
    const out = w.onRtp(1, audioPacket(0), 0);
    const video = out.find((t) => t.type === 9 && kinds([t])[0] === 'video')!;
    const audio = out.find((t) => t.type === 8 && kinds([t])[0] === 'audio')!;
    expect(ptsMs(audio) - ptsMs(video)).toBe(500);
  });

  test('without sender reports, by arrival', () => {
    const w = new RtspTagWriter([h264Description(), aacDescription()]);
    w.onRtp(0, videoPacket(0), 1000);
    const out = w.onRtp(1, audioPacket(0), 1120);
    const video = out.find((t) => kinds([t])[0] === 'video')!;
    const audio = out.find((t) => kinds([t])[0] === 'audio')!;
    expect(ptsMs(audio) - ptsMs(video)).toBe(120);
  });

  test('G.711 A-law frames become FLV sound format 7 with no sequence header', () => {
    const pcma = { kind: 'audio', payloadType: 8, clockRate: 8000, channels: 1, control: 'rtsp://h/s/1', mediaIndex: 0, params: { codec: 'g711a' } } as const;
    const w = new RtspTagWriter([pcma]);
    const packet = parseRtpPacket(encodeRtpPacket({ marker: false, payloadType: 8, sequenceNumber: 1, timestamp: 5, ssrc: 3, payload: new Uint8Array(160).fill(0xd5) }));
    const out = w.onRtp(0, packet, 0);
    expect(out).toHaveLength(1);
    expect(out[0]!.body[0]! >> 4).toBe(7);
    expect(parseAudioTag(out[0]!.body)).toMatchObject({ kind: 'frame', codec: 'g711a' });
  });
});

test('Opus becomes Enhanced-FLV audio (OpusHead sequence start, then coded frames)', () => {
  const opus = { kind: 'audio', payloadType: 111, clockRate: 48000, channels: 2, control: 'rtsp://h/s/1', mediaIndex: 0, params: { codec: 'opus', channels: 2 } } as const;
  const w = new RtspTagWriter([opus]);
  const packet = parseRtpPacket(encodeRtpPacket({ marker: true, payloadType: 111, sequenceNumber: 1, timestamp: 960, ssrc: 4, payload: Uint8Array.of(0xfc, 1, 2, 3) }));
  const out = w.onRtp(0, packet, 0);
  expect(out.map((t) => parseAudioTag(t.body))).toMatchObject([
    { kind: 'sequence-header', codec: 'opus' },
    { kind: 'frame', codec: 'opus' },
  ]);
});

describe('RTSP URLs', () => {
  test('credentials are decoded and kept out of the request URL; transport=udp is Weir\'s and is taken out', () => {
    const e = parseRtspUrl('rtsp://ad%40min:p%3Ass@cam.local/Streaming/101?channel=1&transport=udp&subtype=0');
    expect(e).toMatchObject({ tls: false, host: 'cam.local', port: 554, transport: 'udp', credentials: { username: 'ad@min', password: 'p:ss' } });
    expect(e.requestUrl).toBe('rtsp://cam.local/Streaming/101?channel=1&subtype=0');
    expect(parseRtspUrl('rtsps://[::1]/x')).toMatchObject({ tls: true, host: '::1', port: 322, transport: 'tcp', credentials: undefined });
    expect(() => parseRtspUrl('rtsp://cam/x?transport=sctp')).toThrow(/tcp or udp/);
    expect(relaySchemeOf('rtsp://cam/x')).toBe('rtsp');
    expect(relaySchemeOf('rtsps://cam/x')).toBe('rtsp');
    expect(relaySchemeOf('rtsp:///x')).toBeNull();
  });

  test('the stored password is hidden and restored only for the same user and host', () => {
    expect(hidePassword('rtsp://u:secret@cam/x?a=1')).toBe('rtsp://u:***@cam/x?a=1');
    expect(hidePassword('rtsp://cam/x')).toBe('rtsp://cam/x');
    expect(hidePassword('rtsp://u@cam/x')).toBe('rtsp://u@cam/x');
    expect(keepStoredPassword('rtsp://u:***@cam/y', 'rtsp://u:secret@cam/x')).toBe('rtsp://u:secret@cam/y');
    expect(keepStoredPassword('rtsp://v:***@cam/y', 'rtsp://u:secret@cam/x')).toBe('rtsp://v:***@cam/y');
    expect(keepStoredPassword('rtsp://u:***@other/y', 'rtsp://u:secret@cam/x')).toBe('rtsp://u:***@other/y');
    expect(keepStoredPassword('rtsp://u:new@cam/y', 'rtsp://u:secret@cam/x')).toBe('rtsp://u:new@cam/y');
  });
});
