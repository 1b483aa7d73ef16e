// Issue 10 item 7: upstream content cannot make the engine read local files or reach other schemes.
// Reproduction: an HLS playlist whose segment URIs were file:///... made the engine read those files
// (they went live as media). Here a real weir-engine process pulls playlists from a local Bun.serve
// that name a valid MPEG-TS file on disk by file:// (segment, EXT-X-MAP, EXT-X-KEY, master variant)
// and by data:; the file is real media, so reading it would make the pull go live. The control pull
// serves the same bytes over http:// and does go live. Plus unit tests of the resolver and the parser.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHlsPlaylist } from '../../src/remux/hls-playlist-parser.ts';
import { fillOriginTemplate, relaySchemeOf } from '../../src/relay/relay-url.ts';
import { createPullClient } from '../../src/relay/pull-clients.ts';
import { callSrsHook } from '../../src/control/services/srs-hook.ts';
import { ProtocolError, ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { checkFetchUrl, isFetchableUrl, resolveFetchUrl, UpstreamUrlError } from '../../src/shared/upstream-url.ts';
import type { RelayStatus } from '../../src/shared/config-protocol.ts';
import { killAll, run, tempDir } from '../e2e/harness.ts';
import { appSettings, makeSnapshot, startFakeConfigServer, type FakeConfigServer } from '../engine/fake-config-server.ts';
import { startEngineProcess, type EngineProcess } from './hls-upstream-harness.ts';

const BASE = 'https://cdn.example.test/live/cam/index.m3u8?token=abc';

describe('resolveFetchUrl / checkFetchUrl', () => {
  test('relative, root-relative and scheme-relative references resolve against the playlist', () => {
    expect(resolveFetchUrl('seg1.ts', BASE, 'segment')).toBe('https://cdn.example.test/live/cam/seg1.ts');
    expect(resolveFetchUrl('/other/seg1.ts?x=1', BASE, 'segment')).toBe('https://cdn.example.test/other/seg1.ts?x=1');
    expect(resolveFetchUrl('//mirror.example.test/a.ts', BASE, 'segment')).toBe('https://mirror.example.test/a.ts');
    expect(resolveFetchUrl('../x/../y.ts', BASE, 'segment')).toBe('https://cdn.example.test/live/y.ts');
    expect(resolveFetchUrl('HTTP://Upper.example.test/a.ts', BASE, 'segment')).toBe('http://upper.example.test/a.ts');
  });

  test.each([
    'file:///etc/passwd',
    'FILE:///etc/passwd',
    'file://localhost/etc/passwd',
    'data:video/mp2t;base64,Rw==',
    'blob:https://cdn.example.test/1234',
    's3://bucket/key.ts',
    'javascript:alert(1)',
    'ftp://ftp.example.test/a.ts',
    'gopher://x.example.test/',
    'ws://x.example.test/a',
  ])('%s is refused, naming the scheme', (reference) => {
    let error: unknown;
    try {
      resolveFetchUrl(reference, BASE, 'HLS segment');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpstreamUrlError);
    expect((error as UpstreamUrlError).reason).toBe('refused');
    expect((error as Error).message).toMatch(/^HLS segment URL ".*" refused: scheme [a-z0-9]+: is not allowed \(only http: and https:\)$/);
    expect(isFetchableUrl(reference)).toBe(false);
  });

  test('a relative reference under a file: base is refused too; invalid and host-less URLs are errors', () => {
    expect(() => resolveFetchUrl('seg.ts', 'file:///srv/hls/index.m3u8', 'segment')).toThrow(/scheme file: is not allowed/);
    expect(() => checkFetchUrl('http://', 'x')).toThrow(UpstreamUrlError);
    expect(() => checkFetchUrl('not a url', 'x')).toThrow(/is not a valid URL/);
  });

  test('the message holds no query, fragment or credentials of the refused URL', () => {
    expect(() => checkFetchUrl('s3://user:pw@bucket/key?sig=SECRET#f', 'pull')).toThrow(/^pull URL "s3:\/\/bucket\/key" refused/);
  });

  test('relay scheme detection refuses what the allow-list refuses', () => {
    expect(relaySchemeOf('file:///tmp/a.m3u8')).toBeNull();
    expect(relaySchemeOf('data:application/vnd.apple.mpegurl,#EXTM3U')).toBeNull();
    expect(relaySchemeOf('s3://bucket/a.flv')).toBeNull();
    expect(relaySchemeOf('rtmp:///app/stream')).toBeNull();
    expect(relaySchemeOf('https://cdn.example.test/a.m3u8')).toBe('hls');
    expect(relaySchemeOf('http://cdn.example.test/a.flv')).toBe('http-flv');
  });
});

describe('pull sources and edge origins of other schemes never reach a client', () => {
  test.each(['file:///etc/passwd', 'file:///srv/{app}/{stream}.m3u8', 'data:video/x-flv;base64,RkxW', 's3://bucket/{stream}.flv'])('%s', async (template) => {
    const url = fillOriginTemplate(template, 'live', 'cam');
    const reason = await new Promise<string | null>((resolve) => {
      const client = createPullClient(url, { onPacket: () => resolve('media!'), onConnected: () => resolve('connected!'), onBytes: () => resolve('bytes!'), onDisconnected: resolve }, () => undefined);
      client.start();
    });
    expect(reason).toMatch(/^unsupported pull URL scheme: (file|data|s3)$/);
  });
});

describe('parseHlsPlaylist refuses playlists that name other schemes', () => {
  const refused = (text: string): ProtocolError => {
    try {
      parseHlsPlaylist(text, BASE);
    } catch (error) {
      if (error instanceof ProtocolError) return error;
      throw error;
    }
    throw new Error('parsed without error');
  };

  test('segment, EXT-X-MAP, EXT-X-KEY and variant URIs', () => {
    const media = (lines: string[]) => ['#EXTM3U', '#EXT-X-TARGETDURATION:2', ...lines].join('\n');
    const cases: Array<[string, RegExp]> = [
      [media(['#EXTINF:2,', 'seg1.ts', '#EXTINF:2,', 'file:///etc/passwd']), /^HLS: segment URL "file:\/\/\/etc\/passwd" refused: scheme file:/],
      [media(['#EXT-X-MAP:URI="file:///etc/passwd"', '#EXTINF:2,', 'seg1.m4s']), /^HLS: EXT-X-MAP URL .* refused: scheme file:/],
      [media(['#EXT-X-KEY:METHOD=AES-128,URI="file:///engine-secret"', '#EXTINF:2,', 'seg1.ts']), /^HLS: EXT-X-KEY URL .* refused: scheme file:/],
      [media(['#EXTINF:2,', 'data:video/mp2t;base64,Rw==']), /^HLS: segment URL .* refused: scheme data:/],
      ['#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nfile:///tmp/media.m3u8\n', /^HLS: variant playlist URL .* refused: scheme file:/],
    ];
    for (const [text, message] of cases) {
      const error = refused(text);
      expect(error.code).toBe(ProtocolErrorCode.Unsupported);
      expect(error.message).toMatch(message);
    }
  });

  test('an EXT-X-KEY applies to the segments after it until METHOD=NONE', () => {
    const p = parseHlsPlaylist(
      '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=AES-128,URI="k1"\n#EXTINF:2,\na.ts\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:2,\nb.ts\n',
      BASE,
    );
    if (p.kind !== 'media') throw new Error('not media');
    expect(p.segments[0]!.key).toEqual({ method: 'AES-128', uri: 'https://cdn.example.test/live/cam/k1' });
    expect(p.segments[1]!.key).toBeUndefined();
  });
});

describe('the control plane calls admission hooks over http(s) only', () => {
  test('a file: hook URL is never fetched and denies', async () => {
    const seen: string[] = [];
    const verdict = await callSrsHook(
      async (url) => {
        seen.push(url);
        return new Response('0');
      },
      'file:///etc/passwd',
      { action: 'publish', protocol: 'rtmp', app: 'live', stream: 's', query: '', clientAddress: '127.0.0.1', clientId: 'c1' },
      1000,
    );
    expect(seen).toEqual([]);
    expect(verdict).toEqual({ allow: false, reason: 'authorization hook URL is not http(s)' });
  });
});

describe('a weir-engine process pulling hostile playlists', () => {
  const SECRET = 'upstream-urls-secret';
  let dir: { path: string; remove(): void };
  let fake: FakeConfigServer;
  let upstream: ReturnType<typeof Bun.serve>;
  let engine: EngineProcess | undefined;
  const requests: string[] = [];
  let segmentPath = '';
  let segmentBytes = new Uint8Array();
  let playlists: Record<string, string> = {};

  beforeAll(async () => {
    dir = tempDir();
    // real media: if the engine read this file the pull would go live
    segmentPath = join(dir.path, 'marker-segment.ts');
    const made = await run([
      'ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25',
      '-t', '2', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'mpegts', segmentPath,
    ]);
    expect(made.exitCode).toBe(0);
    segmentBytes = new Uint8Array(readFileSync(segmentPath));
    const fileUrl = `file://${segmentPath}`;
    // a media playlist on disk, for the master playlist that points at it by file:
    writeFileSync(join(dir.path, 'media.m3u8'), `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${fileUrl}\n`);
    const live = (lines: string[]): string => ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0', ...lines, ''].join('\n');
    playlists = {
      '/file-segments/index.m3u8': live(['#EXTINF:2,', fileUrl, '#EXTINF:2,', fileUrl, '#EXTINF:2,', fileUrl]),
      '/file-map/index.m3u8': live([`#EXT-X-MAP:URI="${fileUrl}"`, '#EXTINF:2,', '/media/seg.ts']),
      '/file-key/index.m3u8': live([`#EXT-X-KEY:METHOD=AES-128,URI="${fileUrl}"`, '#EXTINF:2,', '/media/seg.ts']),
      '/file-variant/index.m3u8': `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\nfile://${join(dir.path, 'media.m3u8')}\n`,
      '/data-segments/index.m3u8': live(['#EXTINF:2,', `data:video/mp2t;base64,${Buffer.from(segmentBytes).toString('base64')}`]),
      '/http-control/index.m3u8': live(['#EXTINF:2,', '/media/seg.ts', '#EXTINF:2,', '/media/seg.ts']),
    };
    upstream = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(req) {
        const path = new URL(req.url).pathname;
        requests.push(path);
        if (path === '/media/seg.ts') return new Response(segmentBytes, { headers: { 'content-type': 'video/mp2t' } });
        const playlist = playlists[path];
        return playlist ? new Response(playlist, { headers: { 'content-type': 'application/vnd.apple.mpegurl' } }) : new Response('not found', { status: 404 });
      },
    });
    const pull = (id: string) => ({ id, app: 'live', stream: id, url: `http://127.0.0.1:${upstream.port}/${id}/index.m3u8`, enabled: true });
    fake = startFakeConfigServer({
      secret: SECRET,
      snapshot: makeSnapshot({
        revision: 1,
        apps: [appSettings('live')],
        pulls: ['file-segments', 'file-map', 'file-key', 'file-variant', 'data-segments', 'http-control'].map(pull),
      }),
    });
    engine = await startEngineProcess({ configUrl: fake.url, secret: SECRET, dir: dir.path });
  });

  afterAll(async () => {
    await engine?.kill();
    await killAll();
    upstream?.stop(true);
    fake?.stop();
    dir?.remove();
  });

  test('no pull reads a local file or a data: URL; each reports why in its last error', async () => {
    const e = engine!;
    let relays: RelayStatus[] = [];
    const byId = (id: string) => relays.find((r) => r.id === id);
    const expected: Record<string, RegExp> = {
      'file-segments': /^HLS: segment URL "file:\/\/\/.*marker-segment\.ts" refused: scheme file: is not allowed \(only http: and https:\)$/,
      'file-map': /^HLS: EXT-X-MAP URL "file:\/\/\/.*" refused: scheme file:/,
      'file-key': /^HLS: EXT-X-KEY URL "file:\/\/\/.*" refused: scheme file:/,
      'file-variant': /^HLS: variant playlist URL "file:\/\/\/.*media\.m3u8" refused: scheme file:/,
      'data-segments': /^HLS: segment URL "data:video\/mp2t;base64,.*" refused: scheme data:/,
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
      relays = await e.relays();
      const done = Object.keys(expected).every((id) => byId(id)?.lastError !== null && byId(id)?.lastError !== undefined) && byId('http-control')?.state === 'live';
      if (done || Date.now() > deadline) break;
      await Bun.sleep(100);
    }
    // the control: the same bytes over http:// are real media and go live
    expect(byId('http-control')?.state).toBe('live');
    for (const [id, message] of Object.entries(expected)) {
      const status = byId(id)!;
      expect({ id, lastError: status.lastError }).toEqual({ id, lastError: expect.stringMatching(message) });
      expect({ id, state: status.state }).not.toEqual({ id, state: 'live' });
      expect(status.liveSinceMs).toBe(0);
      // every byte in was a playlist: each attempt (the first and one per retry) read its playlist and nothing else
      const playlistChars = playlists[`/${id}/index.m3u8`]!.length;
      expect(status.bytesIn % playlistChars).toBe(0);
      expect(status.bytesIn / playlistChars).toBeLessThanOrEqual(status.retries + 1);
    }
    // refused playlists made no further request: the upstream saw playlist requests and the control's segments only
    expect(requests.filter((p) => !p.endsWith('.m3u8') && p !== '/media/seg.ts')).toEqual([]);
    const controlSegments = requests.filter((p) => p === '/media/seg.ts').length;
    expect(controlSegments).toBeGreaterThan(0);
    // the refusal is logged with the stream it concerns
    expect(e.log.text).toMatch(/pull failed; retrying .*relay=pull id=file-segments .*refused: scheme file:/);
  }, 60_000);
});
