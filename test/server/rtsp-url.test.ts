import { expect, test } from 'bun:test';
import { controlIndex, parseRtspTarget } from '../../src/server/rtsp/rtsp-url.ts';

test('an RTSP URI names {app}/{stream} and carries the admission query', () => {
  expect(parseRtspTarget('rtsp://h:8554/live/cam?key=abc&e=1')).toEqual({ app: 'live', stream: 'cam', query: 'key=abc&e=1' });
  expect(parseRtspTarget('rtsp://h/live/cam/')).toEqual({ app: 'live', stream: 'cam', query: '' });
  expect(parseRtspTarget('rtsp://h/live')).toEqual({ error: 'request URI path is not /{app}/{stream}' });
  expect(parseRtspTarget('rtsp://h/a/b/c')).toEqual({ error: 'request URI path is not /{app}/{stream}' });
  expect(parseRtspTarget('http://h/live/cam')).toEqual({ error: 'request URI is not rtsp://' });
  expect(parseRtspTarget('*')).toEqual({ error: 'request URI is not a URL' });
});

test('a SETUP URI finds its track by the control appended to the Content-Base (with or without a query)', () => {
  const controls = ['rtsp://h/live/cam/trackID=0', 'rtsp://h/live/cam/trackID=1'];
  expect(controlIndex('rtsp://h/live/cam/trackID=1', controls)).toBe(1);
  expect(controlIndex('rtsp://h/live/cam?key=1/trackID=0', controls)).toBe(0);
  expect(controlIndex('rtsp://other:1/live/cam/trackID=1', controls)).toBe(1);
  expect(controlIndex('rtsp://h/live/cam/trackID=2', controls)).toBe(-1);
  expect(controlIndex('rtsp://h/live/cam', controls)).toBe(-1);
});
