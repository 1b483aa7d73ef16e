// One RTSP viewer's send side: its own RTP headers on the shared payloads, `$` framing on its TCP channels, a sender
// report before each track's first frame and every 5 s, with NTP times that keep the tracks' media clocks aligned.
import { expect, test } from 'bun:test';
import { ConnectionWriter } from '../../src/server/connection-writer.ts';
import { newPlayTrack, RtspViewer } from '../../src/server/rtsp/rtsp-viewer.ts';
import type { RtpFrameOut } from '../../src/outputs/rtp-output.ts';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';
import { parseRtcpCompound, type SenderReport } from '../../src/rtsp/rtcp.ts';
import { parseRtpPacket, isRtcp } from '../../src/rtsp/rtp-packet.ts';

function setup() {
  const written: Uint8Array[] = [];
  const writer = new ConnectionWriter({ write: (b) => (written.push(b.slice()), b.length), end() {}, abort() {} }, { softLimitBytes: 1 << 20, hardLimitBytes: 1 << 22 }, () => {});
  let n = 0;
  const random = () => [0x11111111, 65530, 0x80000000, 0x22222222, 100, 5][n++ % 6]!;
  const video = newPlayTrack({ kind: 'video', codec: 'h264', control: 'trackID=0', payloadType: 96, clockRate: 90000, transport: { kind: 'tcp', rtpChannel: 0, rtcpChannel: 1 } }, random);
  const audio = newPlayTrack({ kind: 'audio', codec: 'aac', control: 'trackID=1', payloadType: 97, clockRate: 48000, transport: { kind: 'tcp', rtpChannel: 2, rtcpChannel: 3 } }, random);
  let nowMs = 1_700_000_000_000;
  const viewer = new RtspViewer([video, audio], writer, () => nowMs, () => {});
  const frames = async () => {
    await Bun.sleep(1); // the writer merges a tick's writes
    const parser = new RtspParser();
    return written.flatMap((b) => parser.push(b)).flatMap((m) => (m.kind === 'interleaved' ? [m] : []));
  };
  return { viewer, frames, advance: (ms: number) => (nowMs += ms) };
}

const frame = (kind: 'video' | 'audio', rtpTime: number, chunks: number): RtpFrameOut => ({
  kind,
  codec: kind === 'video' ? 'h264' : 'aac',
  randomAccess: kind === 'video',
  packetized: { rtpTime, keyframe: kind === 'video', chunks: Array.from({ length: chunks }, (_, i) => ({ payload: new Uint8Array([i]), marker: i === chunks - 1, timestampDelta: 0 })) },
});

test('stamps its own headers, frames RTP and RTCP on the set-up channels, and lines tracks up in its sender reports', async () => {
  const s = setup();
  s.viewer.onFrame(frame('video', 90_000, 3)); // media time 1 s
  s.viewer.onFrame(frame('audio', 48_000 * 1.5, 1)); // media time 1.5 s
  s.viewer.onFrame(frame('video', 90_000 + 3600, 1));
  s.viewer.onFrame({ ...frame('video', 95_000, 1), codec: 'h265' }); // another codec than described: left out
  const out = await s.frames();
  expect(out.map((f) => [f.channel, isRtcp(f.payload) ? 'rtcp' : 'rtp'])).toEqual([
    [1, 'rtcp'], [0, 'rtp'], [0, 'rtp'], [0, 'rtp'], [3, 'rtcp'], [2, 'rtp'], [0, 'rtp'],
  ]);
  const rtp = out.filter((f) => !isRtcp(f.payload)).map((f) => parseRtpPacket(f.payload));
  expect(rtp.filter((p) => p.payloadType === 96).map((p) => p.sequenceNumber)).toEqual([65530, 65531, 65532, 65533]);
  expect(rtp[0]!.ssrc).toBe(0x11111111);
  expect(rtp[0]!.timestamp).toBe((0x80000000 + 90_000) >>> 0);
  expect(rtp.map((p) => p.marker)).toEqual([false, false, true, true, true]);
  const srs = out.filter((f) => isRtcp(f.payload)).map((f) => parseRtcpCompound(f.payload)[0] as SenderReport);
  const wallMs = (sr: SenderReport) => (sr.ntpSeconds - 2_208_988_800) * 1000 + (sr.ntpFraction / 2 ** 32) * 1000;
  // the audio frame is 0.5 s of media after the video frame: its report says 500 ms later on the wallclock
  expect(Math.round(wallMs(srs[1]!) - wallMs(srs[0]!))).toBe(500);
  expect(srs[0]!.rtpTimestamp).toBe(rtp[0]!.timestamp);
});

test('a sender report again after 5 s, not before', async () => {
  const s = setup();
  s.viewer.onFrame(frame('video', 0, 1));
  s.advance(4000);
  s.viewer.onFrame(frame('video', 3600, 1));
  s.advance(1000);
  s.viewer.onFrame(frame('video', 7200, 1));
  const out = await s.frames();
  expect(out.map((f) => f.channel)).toEqual([1, 0, 0, 1, 0]);
});
