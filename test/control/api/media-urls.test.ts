// The SRT URL the control plane builds is read back by the engine's stream id parser as the same app, stream, mode
// and admission query (the two sides share no code: control code imports nothing from the engine).
import { expect, test } from 'bun:test';
import { srtUrl } from '../../../src/control/api/media-urls.ts';
import { parseStreamId } from '../../../src/srt/stream-id.ts';

const streamIdOf = (url: string): string => {
  // as ffmpeg reads it: everything after "streamid=" up to the next '&', URL-decoded
  const raw = /[?&]streamid=([^&]*)/.exec(url)![1]!;
  return decodeURIComponent(raw);
};

test('publish with a stream key, play with a signature, and no query: the engine reads back what was meant', () => {
  const key = 'wsk_AbC-_09xyz';
  const publish = parseStreamId(streamIdOf(srtUrl('h', 10080, 'live', 'cam.1~x', 'publish', `key=${key}`)));
  expect(publish).toMatchObject({ app: 'live', stream: 'cam.1~x', mode: 'publish', modeExplicit: true });
  expect(new URLSearchParams(publish.query).get('key')).toBe(key);
  const sign = 'f'.repeat(64);
  const play = parseStreamId(streamIdOf(srtUrl('h', 10080, 'live', 'cam', 'request', `expires=1700000000&sign=${sign}`)));
  expect(play.mode).toBe('request');
  expect(Object.fromEntries(new URLSearchParams(play.query))).toEqual({ expires: '1700000000', sign });
  expect(parseStreamId(streamIdOf(srtUrl('h', 1, 'live', 'cam', 'request', '')))).toMatchObject({ app: 'live', stream: 'cam', query: '' });
});

test('the stream id is left as OBS needs it (it does not URL-decode); only characters outside names, keys and signatures are encoded', () => {
  expect(srtUrl('h', 10080, 'live', 'cam', 'publish', 'key=wsk_a-b_c')).toBe('srt://h:10080?streamid=#!::r=live/cam,m=publish,key=wsk_a-b_c');
  // a value with '&' or '%' (not one Weir makes) would otherwise end the streamid parameter for ffmpeg
  expect(srtUrl('h', 1, 'live', 'cam', 'request', 'token=a%26b%25c')).toBe('srt://h:1?streamid=#!::r=live/cam,m=request,token=a%26b%25c');
});
