// The HLS benchmark's readers against the engine's own muxers and playlist shapes: video DTS out
// of MPEG-TS and fMP4, the video track of an init segment wherever it is, playlists with parts and
// preload hints, and the send-time table keyed by RTMP timestamp across loops.
import { describe, expect, test } from 'bun:test';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { Fmp4Muxer } from '../../src/remux/fmp4-muxer.ts';
import { TsMuxer } from '../../src/remux/ts-muxer.ts';
import type { FlvFileTag } from './flv-file.ts';
import { parseMediaPlaylist } from './hls-m3u8.ts';
import { fmp4VideoDts, fmp4VideoTrack, tsVideoDts } from './hls-media-probe.ts';
import { TimestampSendTimes, withoutEndOfSequence } from './hls-send-times.ts';
import { tail32Of } from './media-probe.ts';

function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  return new Uint8Array(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}
// avcC written by ffmpeg / libx264 (the engine's own muxer tests use the same)
const AVCC = hex('0164000dffe100196764000dacd94141fb011000000300100000030320f142996001000668ebe3cb22c0fdf8f800');
const ASC = hex('1210');
const video: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: AVCC };
const audio: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 90000, config: ASC };

/** an AVCC sample: one 4-byte-length-prefixed IDR or non-IDR NAL */
function sample(n: number, key: boolean): Uint8Array {
  const nal = new Uint8Array(40 + n);
  nal[0] = key ? 0x65 : 0x41;
  for (let i = 1; i < nal.length; i++) nal[i] = (i * 7 + n) & 0xff || 1;
  const out = new Uint8Array(4 + nal.length);
  new DataView(out.buffer).setUint32(0, nal.length);
  out.set(nal, 4);
  return out;
}

const ms = [1000, 1033, 1067, 1100, 1133];
const videoFrames: MediaFrame[] = ms.map((t, i) => ({ trackId: 1, dts: t * 90, pts: t * 90 + (i % 2) * 3000, keyframe: i === 0, data: sample(i, i === 0) }));
const audioFrames: MediaFrame[] = ms.map((t) => ({ trackId: 2, dts: t * 90 + 10, pts: t * 90 + 10, keyframe: true, data: new Uint8Array(20).fill(0x21) }));

describe('tsVideoDts', () => {
  test('first and last video DTS of a segment, audio ignored, PTS-only PES included', () => {
    const muxer = new TsMuxer({ video, audio });
    const chunks = [muxer.writeTables()];
    for (let i = 0; i < ms.length; i++) chunks.push(muxer.writeFrame(audioFrames[i]!), muxer.writeFrame(videoFrames[i]!));
    const seg = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      seg.set(c, o);
      o += c.length;
    }
    expect(tsVideoDts(seg)).toEqual({ frames: 5, firstDts: 1000 * 90, lastDts: 1133 * 90, timescale: 90000 });
  });

  test('a segment without video gives undefined; garbage throws', () => {
    const muxer = new TsMuxer({ audio });
    expect(tsVideoDts(muxer.writeFrame(audioFrames[0]!))).toBeUndefined();
    expect(() => tsVideoDts(new Uint8Array(188).fill(1))).toThrow();
  });
});

describe('fmp4VideoTrack and fmp4VideoDts', () => {
  test('finds the video track by handler, wherever it is, and reads tfdt plus trun durations', () => {
    for (const tracks of [[video, audio], [audio, video]]) {
      const muxer = new Fmp4Muxer(tracks);
      const track = fmp4VideoTrack(muxer.initSegment());
      expect(track).toEqual({ trackId: tracks.indexOf(video) + 1, timescale: 90000 });
      const part = muxer.fragment(7, [
        { trackId: 2, frames: audioFrames, endDts: 1166 * 90 + 10 },
        { trackId: 1, frames: videoFrames, endDts: 1166 * 90 },
      ]);
      expect(fmp4VideoDts(part, track!)).toEqual({ frames: 5, firstDts: 1000 * 90, lastDts: 1133 * 90, timescale: 90000 });
    }
  });
});

describe('parseMediaPlaylist', () => {
  test('segments, parts of complete and open segments, map and preload hint', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-PART-INF:PART-TARGET=0.334',
      '#EXT-X-MEDIA-SEQUENCE:5',
      '#EXT-X-MAP:URI="init-a-0.mp4"',
      '#EXTINF:2.0,',
      'll-a-5.m4s',
      '#EXT-X-PART:DURATION=0.333,URI="ll-a-6.0.m4s",INDEPENDENT=YES',
      '#EXT-X-PART:DURATION=0.334,URI="ll-a-6.1.m4s"',
      '#EXTINF:0.667,',
      'll-a-6.m4s',
      '#EXT-X-PART:DURATION=0.333,URI="ll-a-7.0.m4s",INDEPENDENT=YES',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ll-a-7.1.m4s"',
      '',
    ].join('\n');
    const p = parseMediaPlaylist(text);
    expect(p.segments).toEqual([
      { msn: 5, uri: 'll-a-5.m4s', durationSec: 2 },
      { msn: 6, uri: 'll-a-6.m4s', durationSec: 0.667 },
    ]);
    expect(p.parts.map((x) => [x.msn, x.index, x.uri, x.independent])).toEqual([
      [6, 0, 'll-a-6.0.m4s', true],
      [6, 1, 'll-a-6.1.m4s', false],
      [7, 0, 'll-a-7.0.m4s', true],
    ]);
    expect(p.mapUri).toBe('init-a-0.mp4');
    expect(p.preloadHintUri).toBe('ll-a-7.1.m4s');
    expect(p.partTargetSec).toBe(0.334);
    expect(p.ended).toBe(false);
  });
});

describe('TimestampSendTimes', () => {
  const body = (b0: number, b1: number, n: number) => new Uint8Array([b0, b1, 0, 0, 0, n, n + 1, n + 2, n + 3]);
  const tags: FlvFileTag[] = [
    { type: 9, timestampMs: 0, body: body(0x17, 0, 0) }, // AVC sequence header
    { type: 8, timestampMs: 0, body: body(0xaf, 1, 1) },
    { type: 9, timestampMs: 10, body: body(0x17, 1, 2) },
    { type: 9, timestampMs: 43, body: body(0x27, 1, 3) },
    { type: 8, timestampMs: 50, body: body(0xaf, 1, 4) },
    { type: 9, timestampMs: 43, body: body(0x17, 2, 5) }, // AVC end of sequence
  ];

  test('end-of-sequence tags are dropped, everything else kept in order', () => {
    expect(withoutEndOfSequence(tags)).toEqual(tags.slice(0, 5));
  });

  test('follows the publisher order (header first, then frames, looping) to key send times by timestamp', () => {
    const table = new TimestampSendTimes(tags);
    // frames span 0..50 ms, plus the publisher's 33 ms gap between loops
    expect(table.loopLengthMs).toBe(83);
    const rec = (t: FlvFileTag, at: number) => table.recordSend(t.body.length, tail32Of(t.body), at);
    rec(tags[0]!, 1); // sequence header: not a frame
    rec(tags[2]!, 100);
    rec(tags[3]!, 133);
    rec(tags[2]!, 190);
    rec(tags[3]!, 223);
    expect(table.unexpected).toBe(1);
    expect(table.sendTimeOf(10)).toBe(100);
    expect(table.sendTimeOf(43)).toBe(133);
    expect(table.sendTimeOf(93)).toBe(190);
    expect(table.sendTimeOf(126)).toBe(223);
    expect(table.sendTimeOf(11)).toBeUndefined();
    // the load tool's key still works through the base class
    expect(table.lookup(tags[3]!.body.length, tail32Of(tags[3]!.body))).toBe(223);
  });
});
