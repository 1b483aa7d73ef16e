// HLS playlist parser: media and master playlists, relative URIs, discontinuities, EXT-X-MAP, bad input.
import { describe, expect, test } from 'bun:test';
import { parseAttributes, parseHlsPlaylist, pickVariant } from '../../src/remux/hls-playlist-parser.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';

const BASE = 'http://example.test/live/cam/index.m3u8?token=1';

describe('parseHlsPlaylist', () => {
  test('a live media playlist with a discontinuity', () => {
    const text = [
      '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:41', '#EXT-X-DISCONTINUITY-SEQUENCE:3',
      '#EXTINF:2.000,', 'seg41.ts', '#EXTINF:1.960,title', '/abs/seg42.ts', '#EXT-X-DISCONTINUITY', '#EXTINF:2.0,',
      'http://other.test/seg43.ts', '',
    ].join('\r\n');
    const p = parseHlsPlaylist(text, BASE);
    if (p.kind !== 'media') throw new Error('not media');
    expect(p.targetDurationSec).toBe(2);
    expect(p.mediaSequence).toBe(41);
    expect(p.endList).toBe(false);
    expect(p.segments).toEqual([
      { uri: 'http://example.test/live/cam/seg41.ts', sequence: 41, durationSec: 2, discontinuity: false, discontinuitySequence: 3 },
      { uri: 'http://example.test/abs/seg42.ts', sequence: 42, durationSec: 1.96, discontinuity: false, discontinuitySequence: 3 },
      { uri: 'http://other.test/seg43.ts', sequence: 43, durationSec: 2, discontinuity: true, discontinuitySequence: 4 },
    ]);
  });

  test('fMP4: EXT-X-MAP applies to the segments after it; BYTERANGE; ENDLIST', () => {
    const text = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"\n#EXTINF:4,\n#EXT-X-BYTERANGE:1000@720\nall.mp4\n#EXTINF:4,\n#EXT-X-BYTERANGE:500\nall.mp4\n#EXT-X-ENDLIST\n';
    const p = parseHlsPlaylist(text, BASE);
    if (p.kind !== 'media') throw new Error('not media');
    expect(p.endList).toBe(true);
    expect(p.segments[0]!.map).toEqual({ uri: 'http://example.test/live/cam/init.mp4', byteRange: { length: 720, offset: 0 } });
    expect(p.segments[0]!.byteRange).toEqual({ length: 1000, offset: 720 });
    expect(p.segments[1]!.byteRange).toEqual({ length: 500, offset: 1720 });
  });

  test('a master playlist: the highest-bandwidth variant, resolved', () => {
    const text = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"\nlow/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720\nhigh/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1200000\nmid.m3u8\n';
    const p = parseHlsPlaylist(text, BASE);
    if (p.kind !== 'master') throw new Error('not master');
    expect(p.variants.length).toBe(3);
    expect(p.variants[0]!.codecs).toBe('avc1.4d401e,mp4a.40.2');
    expect(pickVariant(p)).toEqual({ uri: 'http://example.test/live/cam/high/index.m3u8', bandwidth: 2500000, resolution: '1280x720' });
  });

  test('attribute lists keep commas inside quotes', () => {
    expect([...parseAttributes('BANDWIDTH=1,CODECS="a,b",NAME="x y"')]).toEqual([['BANDWIDTH', '1'], ['CODECS', 'a,b'], ['NAME', 'x y']]);
  });

  test('bad input is a ProtocolError', () => {
    expect(() => parseHlsPlaylist('<html>', BASE)).toThrow(ProtocolError);
    expect(() => parseHlsPlaylist('#EXTM3U\n#EXTINF:2,\na.ts\n', BASE)).toThrow(ProtocolError); // no TARGETDURATION
    expect(() => parseHlsPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:x\n', BASE)).toThrow(ProtocolError);
    expect(() => parseHlsPlaylist('#EXTM3U\n' + 'x'.repeat(5 * 1024 * 1024), BASE)).toThrow(ProtocolError);
  });
});
