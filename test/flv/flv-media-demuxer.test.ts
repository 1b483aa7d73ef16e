import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvMediaDemuxer } from '../../src/flv/flv-media-demuxer.ts';
import { MEDIA_TIMESCALE } from '../../src/media/clock.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';

const fixture = readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'));

describe('FlvMediaDemuxer', () => {
  test('an ffmpeg FLV becomes two tracks and 90 kHz frames with composition offsets', () => {
    const demuxer = new FlvMediaDemuxer();
    const events = new FlvReader().push(fixture).flatMap((tag) => demuxer.push(tag.tagType, tag.timestampMs, tag.body));
    const tracks = events.filter((e) => e.type === 'track');
    expect(tracks.map((e) => (e.type === 'track' ? `${e.track.kind}:${e.track.codec}` : ''))).toEqual(['video:h264', 'audio:aac']);
    const frames = events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
    const video = frames.filter((f) => f.trackId === 1);
    expect(video[0]!.keyframe).toBe(true);
    expect(video.some((f) => f.pts > f.dts)).toBe(true);
    expect(video.every((f) => f.dts % 90 === 0)).toBe(true); // ms * 90
    expect(tracks[0]!.type === 'track' && tracks[0]!.track.timescale).toBe(MEDIA_TIMESCALE);
  });

  test('a repeated identical sequence header is not a new track; a different one is', () => {
    const demuxer = new FlvMediaDemuxer();
    const header = (b: number) => new Uint8Array([0x17, 0, 0, 0, 0, 1, 0x64, 0, b]);
    expect(demuxer.push(9, 0, header(0x1f)).length).toBe(1);
    expect(demuxer.push(9, 40, header(0x1f)).length).toBe(0);
    expect(demuxer.push(9, 80, header(0x28)).length).toBe(1);
  });

  test('MP3 needs no sequence header; frames before a header are dropped for AAC', () => {
    const demuxer = new FlvMediaDemuxer();
    const mp3 = demuxer.push(8, 0, new Uint8Array([0x2f, 0xff, 0xfb]));
    expect(mp3.map((e) => e.type)).toEqual(['track', 'frame']);
    const aac = new FlvMediaDemuxer();
    expect(aac.push(8, 0, new Uint8Array([0xaf, 1, 9, 9]))).toEqual([]);
  });
});
