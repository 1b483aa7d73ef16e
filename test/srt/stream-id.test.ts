import { describe, expect, test } from 'bun:test';
import { formatStreamId, parseStreamId } from '../../src/srt/stream-id.ts';
import { expectProtocolError } from '../protocol-errors.ts';

describe('stream id', () => {
  test('access-control form: r, m, u and any other keys become the admission query', () => {
    expect(parseStreamId('#!::r=live/cam1,m=publish,u=alice,key=s3cret')).toEqual({
      app: 'live', stream: 'cam1', mode: 'publish', modeExplicit: true, query: 'u=alice&key=s3cret', user: 'alice',
    });
    expect(parseStreamId('#!::m=request,r=live/cam1?expires=99&sig=ab')).toEqual({
      app: 'live', stream: 'cam1', mode: 'request', modeExplicit: true, query: 'expires=99&sig=ab',
    });
    expect(parseStreamId('#!::r=live/a/b')).toMatchObject({ app: 'live', stream: 'a/b', mode: 'request', modeExplicit: false });
  });
  test('plain app/stream[?query] form, and publish:/read: prefixes', () => {
    expect(parseStreamId('live/cam1?key=abc')).toEqual({ app: 'live', stream: 'cam1', mode: 'request', modeExplicit: false, query: 'key=abc' });
    expect(parseStreamId('publish:live/cam1')).toMatchObject({ mode: 'publish', modeExplicit: true, stream: 'cam1' });
    expect(parseStreamId('read:live/cam1')).toMatchObject({ mode: 'request', modeExplicit: true });
  });
  test("an app's own port implies the app: {stream} alone in every form; a path with a slash still names its app", () => {
    expect(parseStreamId('cam', 'cams')).toEqual({ app: 'cams', stream: 'cam', mode: 'request', modeExplicit: false, query: '' });
    expect(parseStreamId('#!::r=cam,m=publish,key=k', 'cams')).toEqual({ app: 'cams', stream: 'cam', mode: 'publish', modeExplicit: true, query: 'key=k' });
    expect(parseStreamId('publish:cam?key=k', 'cams')).toMatchObject({ app: 'cams', stream: 'cam', mode: 'publish', query: 'key=k' });
    expect(parseStreamId('#!::r=live/cam,m=publish', 'cams')).toMatchObject({ app: 'live', stream: 'cam' });
    // without an implied app, a lone name is still no resource
    expect(() => parseStreamId('cam')).toThrow();
    expect(() => parseStreamId('', 'cams')).toThrow();
    expect(() => parseStreamId('#!::r=?x=1', 'cams')).toThrow();
  });
  test('format gives back what parse reads', () => {
    const id = formatStreamId('live', 'cam1', 'publish', 'key=abc');
    expect(id).toBe('#!::r=live/cam1,m=publish,key=abc');
    expect(parseStreamId(id)).toMatchObject({ app: 'live', stream: 'cam1', mode: 'publish', query: 'key=abc' });
  });
  for (const bad of ['', 'live', 'live/', '/cam', '#!::m=publish', '#!::r=live/cam,m=both', '#!::r=live/cam,junk', 'live/\u0001', 'x/' + 'y'.repeat(600)]) {
    test(`refuses ${JSON.stringify(bad.slice(0, 30))}`, () => {
      expectProtocolError(() => parseStreamId(bad));
    });
  }
});
