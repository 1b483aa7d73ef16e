// A playlist hands its request's viewer query (a play token) on to every URI it lists.
import { expect, test } from 'bun:test';
import { appendQueryToUris, viewerQuery } from '../../src/server/http/hls-http.ts';

const LL_PLAYLIST = [
  '#EXTM3U',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-MAP:URI="init-abc-0.mp4"',
  '#EXT-X-PART:DURATION=0.33367,URI="ll-abc-4.0.m4s",INDEPENDENT=YES',
  '#EXTINF:2.000,',
  'll-abc-4.m4s',
  '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ll-abc-5.1.m4s"',
  '',
].join('\n');

test('every URI line and URI attribute gets the query; nothing else changes', () => {
  const out = appendQueryToUris(LL_PLAYLIST, 'token=a%22b&exp=1');
  expect(out.split('\n')).toEqual([
    '#EXTM3U',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-MAP:URI="init-abc-0.mp4?token=a%22b&exp=1"',
    '#EXT-X-PART:DURATION=0.33367,URI="ll-abc-4.0.m4s?token=a%22b&exp=1",INDEPENDENT=YES',
    '#EXTINF:2.000,',
    'll-abc-4.m4s?token=a%22b&exp=1',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ll-abc-5.1.m4s?token=a%22b&exp=1"',
    '',
  ]);
  expect(appendQueryToUris(LL_PLAYLIST, '')).toBe(LL_PLAYLIST);
});

test('the viewer query drops LL-HLS delivery directives and is safe inside a quoted attribute', () => {
  const search = new URLSearchParams('_HLS_msn=12&token=x"y z&_HLS_part=2&exp=99&_HLS_skip=YES');
  const query = viewerQuery(search);
  expect(query).toBe('token=x%22y+z&exp=99');
  expect(query).not.toMatch(/["\s]/);
});
