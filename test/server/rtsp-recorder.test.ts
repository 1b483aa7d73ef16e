// An RTSP publish into the hub: RTP of each track becomes FLV tags; tracks are lined up by when their first frames
// arrived; audio whose config the SDP gave is in the hub before any packet.
import { expect, test } from 'bun:test';
import { LiveStream } from '../../src/hub/live-stream.ts';
import type { MediaPacket } from '../../src/hub/media-packet.ts';
import { encodeRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { encodeSenderReport } from '../../src/rtsp/rtcp.ts';
import { RtpTrackReceiver } from '../../src/rtsp/rtp-track-receiver.ts';
import { describeTracks } from '../../src/rtsp/sdp-tracks.ts';
import { parseSdp } from '../../src/rtsp/sdp.ts';
import { RtspRecorder } from '../../src/server/rtsp/rtsp-recorder.ts';

const SDP = [
  'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=x', 't=0 0',
  'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0IAHg==,aM4=', 'a=control:streamid=0',
  'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 MPEG4-GENERIC/44100/1',
  'a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1208', 'a=control:streamid=1',
].join('\r\n');

function setup() {
  const stream = new LiveStream('live', 'cam', { maxPackets: 100, maxBytes: 1 << 20 });
  stream.attachPublisher({ id: 'p', kick() {} }, 0);
  const packets: MediaPacket[] = [];
  stream.addReader({ onPacket: (p) => packets.push(p), onPublisherStart() {}, onPublisherStop() {}, onStreamEnd() {} });
  const { tracks } = describeTracks(parseSdp(SDP), 'rtsp://h/live/cam');
  const video = new RtpTrackReceiver(tracks[0]!, 1);
  const audio = new RtpTrackReceiver(tracks[1]!, 2);
  let nowMs = 1000;
  const recorder = new RtspRecorder(stream, () => nowMs);
  return { stream, packets, video, audio, recorder, at: (ms: number) => (nowMs = ms) };
}

const rtp = (pt: number, seq: number, timestamp: number, payload: number[]) =>
  encodeRtpPacket({ marker: true, payloadType: pt, sequenceNumber: seq, timestamp, ssrc: 1, payload: new Uint8Array(payload) });
const aac = (bytes: number[]) => [0x00, 0x10, bytes.length >> 5, (bytes.length & 0x1f) << 3, ...bytes];

test('AAC from the SDP is announced at once; tracks line up by first-frame arrival, then follow their RTP clocks', () => {
  const s = setup();
  s.recorder.announce(s.audio);
  expect(s.packets.map((p) => [p.type, p.header])).toEqual([[8, true]]);
  s.recorder.push(s.video, rtp(96, 100, 5_000_000, [0x65, 0x88, 0x84]));
  s.recorder.push(s.video, rtp(96, 101, 5_000_000 + 3600, [0x41, 0x9a]));
  s.at(3000); // audio starts arriving two seconds after the video did
  s.recorder.push(s.audio, rtp(97, 7, 123_456, aac([0x21, 0x10])));
  s.recorder.push(s.audio, rtp(97, 8, 123_456 + 1024, aac([0x21, 0x11])));
  const frames = s.packets.filter((p) => !p.header);
  // presentation times: video tags carry a composition offset (decode times start below zero, the stream is shifted)
  const presentedMs = (p: MediaPacket) => p.timestampMs + (p.type === 9 ? (p.body[2]! << 16) | (p.body[3]! << 8) | p.body[4]! : 0);
  const first = presentedMs(frames[0]!);
  expect(frames.map((p) => [p.type, presentedMs(p) - first])).toEqual([[9, 0], [9, 40], [8, 2000], [8, 2023]]);
  // the AAC header was not sent twice when the first audio packet announced the same config
  expect(s.packets.filter((p) => p.header && p.type === 8).length).toBe(1);
  expect(s.packets.find((p) => p.header && p.type === 9)).toBeDefined();
  expect(s.recorder.stats).toMatchObject({ packets: 4, badPackets: 0, framesIngested: 4 });
});

test('RTCP and broken packets do not reach the hub; broken ones are counted', () => {
  const s = setup();
  s.recorder.push(s.video, new Uint8Array([0x80, 200, 0, 6, 0, 0, 0, 1, ...new Array(20).fill(0)]));
  s.recorder.push(s.video, new Uint8Array([0x40, 0x60, 0, 1]));
  expect(s.packets.length).toBe(0);
  expect(s.recorder.stats.badPackets).toBe(1);
});

test('with sender reports from both tracks, their wallclock lines the tracks up, not the arrival times', () => {
  const s = setup();
  const ntp = (unixMs: number) => ({ ntpSeconds: Math.floor(unixMs / 1000) + 2_208_988_800, ntpFraction: Math.round(((unixMs % 1000) / 1000) * 2 ** 32) });
  s.recorder.push(s.video, encodeSenderReport({ ssrc: 1, ...ntp(1_700_000_000_000), rtpTimestamp: 5_000_000, packetCount: 0, octetCount: 0, reports: [] }, 'x'));
  s.recorder.push(s.audio, encodeSenderReport({ ssrc: 2, ...ntp(1_700_000_000_300), rtpTimestamp: 123_456, packetCount: 0, octetCount: 0, reports: [] }, 'x'));
  s.recorder.push(s.video, rtp(96, 100, 5_000_000, [0x65, 0x88, 0x84]));
  s.at(3000); // arrives 2 s later, but the sender says it was captured 300 ms after the video frame
  s.recorder.push(s.audio, rtp(97, 7, 123_456, aac([0x21, 0x10])));
  const frames = s.packets.filter((p) => !p.header);
  const presentedMs = (p: MediaPacket) => p.timestampMs + (p.type === 9 ? (p.body[2]! << 16) | (p.body[3]! << 8) | p.body[4]! : 0);
  expect(presentedMs(frames[1]!) - presentedMs(frames[0]!)).toBe(300);
  expect(s.recorder.stats.badPackets).toBe(0);
});
