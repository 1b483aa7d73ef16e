// Frames from depacketized RTP become FLV tag bodies that the engine's own FLV demuxer reads back unchanged.
import { expect, test } from 'bun:test';
import { encodeFrameTag, encodeTrackHeaderTag } from '../../src/flv/encode-frame-tags.ts';
import { encodeAvcDecoderConfig } from '../../src/flv/encode-avc.ts';
import { encodeHevcDecoderConfig } from '../../src/flv/encode-hevc.ts';
import { FlvMediaDemuxer } from '../../src/flv/flv-media-demuxer.ts';
import { MEDIA_TIMESCALE } from '../../src/media/clock.ts';
import { encodeOpusHead } from '../../src/media/opus-head.ts';
import { AudioCodec, VideoCodec, type MediaFrame, type Track } from '../../src/media/types.ts';

const lp = (...nals: number[][]) => {
  const out: number[] = [];
  for (const n of nals) out.push(0, 0, n.length >> 8, n.length & 0xff, ...n);
  return new Uint8Array(out);
};

const cases: Array<{ track: Track; frame: MediaFrame }> = [
  {
    track: { id: 1, kind: 'video', codec: VideoCodec.H264, timescale: MEDIA_TIMESCALE, config: encodeAvcDecoderConfig([new Uint8Array([0x67, 0x42, 0, 0x1e])], [new Uint8Array([0x68, 0xce])]) },
    frame: { trackId: 1, dts: 9000, pts: 12600, keyframe: true, data: lp([0x65, 1, 2, 3]) },
  },
  {
    track: {
      id: 1, kind: 'video', codec: VideoCodec.H265, timescale: MEDIA_TIMESCALE,
      config: encodeHevcDecoderConfig([new Uint8Array([0x40, 1, 0x0c])], [new Uint8Array([0x42, 1, 1, 1, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d])], [new Uint8Array([0x44, 1, 0xc0])]),
    },
    frame: { trackId: 1, dts: 90_000, pts: 90_000, keyframe: false, data: lp([0x02, 1, 9, 9]) },
  },
  { track: { id: 2, kind: 'audio', codec: AudioCodec.AAC, timescale: MEDIA_TIMESCALE, config: new Uint8Array([0x12, 0x10]) }, frame: { trackId: 2, dts: 1800, pts: 1800, keyframe: true, data: new Uint8Array([0x21, 0x1b, 0x80]) } },
  { track: { id: 2, kind: 'audio', codec: AudioCodec.Opus, timescale: MEDIA_TIMESCALE, config: encodeOpusHead(2) }, frame: { trackId: 2, dts: 1800, pts: 1800, keyframe: true, data: new Uint8Array([0xfc, 0xff, 0xfe]) } },
  { track: { id: 2, kind: 'audio', codec: AudioCodec.G711A, timescale: MEDIA_TIMESCALE, config: new Uint8Array(0) }, frame: { trackId: 2, dts: 900, pts: 900, keyframe: true, data: new Uint8Array(160).fill(0xd5) } },
  { track: { id: 2, kind: 'audio', codec: AudioCodec.G711U, timescale: MEDIA_TIMESCALE, config: new Uint8Array(0) }, frame: { trackId: 2, dts: 900, pts: 900, keyframe: true, data: new Uint8Array(160).fill(0xff) } },
];

for (const { track, frame } of cases) {
  test(`${track.codec}: header and frame tags demux back to the same track and frame (ms precision)`, () => {
    const demuxer = new FlvMediaDemuxer();
    const header = encodeTrackHeaderTag(track);
    const events = [];
    if (header) events.push(...demuxer.push(header.type, header.timestampMs, header.body));
    const tag = encodeFrameTag(track, frame);
    expect(tag.timestampMs).toBe(frame.dts / 90);
    events.push(...demuxer.push(tag.type, tag.timestampMs, tag.body));
    const announced = events.find((e) => e.type === 'track');
    expect(announced?.type === 'track' && { codec: announced.track.codec, config: [...announced.track.config] }).toEqual({ codec: track.codec, config: [...track.config] });
    const got = events.find((e) => e.type === 'frame');
    expect(got?.type === 'frame' && { ...got.frame, data: [...got.frame.data], trackId: 0 }).toEqual({ ...frame, data: [...frame.data], trackId: 0 });
  });
}

test('a codec FLV cannot carry from RTP is an error, not a silent tag', () => {
  const track: Track = { id: 1, kind: 'video', codec: VideoCodec.AV1, timescale: MEDIA_TIMESCALE, config: new Uint8Array(4) };
  expect(() => encodeTrackHeaderTag(track)).toThrow('no tag encoding');
});
