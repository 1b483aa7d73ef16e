// One RTP packetization per stream: every RTSP viewer gets the same payload objects, a late joiner starts on the GOP.
import { expect, test } from 'bun:test';
import { encodeAvcDecoderConfig } from '../../src/flv/encode-avc.ts';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { planStreamTracks, RtpOutput, type RtpFrameOut, type RtpViewer } from '../../src/outputs/rtp-output.ts';

const avcC = encodeAvcDecoderConfig([new Uint8Array([0x67, 0x42, 0, 0x1e])], [new Uint8Array([0x68, 0xce])]);
const video = (key: boolean, size: number) => {
  const body = new Uint8Array(9 + size).fill(7);
  body.set([key ? 0x17 : 0x27, 1, 0, 0, 0, 0, 0, size >> 8, size & 0xff]);
  body[9] = key ? 0x65 : 0x41;
  return body;
};

function live(): LiveStream {
  const stream = new LiveStream('live', 'cam', { maxPackets: 1000, maxBytes: 1 << 24 });
  stream.attachPublisher({ id: 'p', kick() {} }, 0);
  stream.ingest({ type: 9, timestampMs: 0, body: new Uint8Array([0x17, 0, 0, 0, 0, ...avcC]), header: true, keyframe: true });
  stream.ingest({ type: 8, timestampMs: 0, body: new Uint8Array([0xaf, 0, 0x12, 0x10]), header: true, keyframe: false });
  return stream;
}

const collector = () => {
  const frames: RtpFrameOut[] = [];
  const viewer: RtpViewer = { onFrame: (f) => frames.push(f), onStreamEnd() {} };
  return { frames, viewer };
};

test('planStreamTracks describes video then audio with controls trackID=0 and trackID=1', () => {
  const plans = planStreamTracks(live());
  expect(plans.map((p) => [p.kind, p.control, p.plan.payloadType, p.plan.clockRate])).toEqual([
    ['video', 'trackID=0', 96, 90000],
    ['audio', 'trackID=1', 97, 44100],
  ]);
});

test('frames are packetized once for all viewers; a late joiner gets the GOP from its keyframe', () => {
  const stream = live();
  const output = new RtpOutput(stream, () => {});
  const a = collector();
  const b = collector();
  output.addViewer(a.viewer);
  output.addViewer(b.viewer);
  stream.ingest({ type: 9, timestampMs: 40, body: video(true, 3000), header: false, keyframe: true });
  stream.ingest({ type: 8, timestampMs: 50, body: new Uint8Array([0xaf, 1, 0x21, 0x1b]), header: false, keyframe: false });
  stream.ingest({ type: 9, timestampMs: 80, body: video(false, 500), header: false, keyframe: false });
  expect(a.frames.length).toBe(3);
  expect(b.frames.map((f) => f.packetized)).toEqual(a.frames.map((f) => f.packetized));
  for (let i = 0; i < 3; i++) expect(b.frames[i]!.packetized).toBe(a.frames[i]!.packetized); // the same object
  expect(output.framesPacketized).toBe(3);
  // the keyframe: SPS, PPS, then a 3000-byte IDR in FU-A fragments
  const key = a.frames[0]!.packetized;
  expect(key.keyframe).toBe(true);
  expect(key.rtpTime).toBe(40 * 90);
  expect(key.chunks.length).toBeGreaterThan(3);
  expect(a.frames[1]).toMatchObject({ kind: 'audio', codec: 'aac', randomAccess: false });
  expect(a.frames[1]!.packetized.rtpTime).toBe(Math.round((50 * 44100) / 1000));

  const late = collector();
  output.addViewer(late.viewer);
  expect(late.frames.map((f) => f.packetized)).toEqual(a.frames.map((f) => f.packetized));
  expect(output.framesPacketized).toBe(3); // the GOP replay reused the cached payloads
});

test('the last viewer leaving detaches the output from the stream', () => {
  const stream = live();
  let emptied = 0;
  const output = new RtpOutput(stream, () => emptied++);
  const a = collector();
  output.addViewer(a.viewer);
  expect(stream.readerCount).toBe(1);
  output.removeViewer(a.viewer);
  expect(stream.readerCount).toBe(0);
  expect(emptied).toBe(1);
});
