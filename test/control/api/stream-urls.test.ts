// SRT and RTSP URLs beside the RTMP/FLV/HLS ones: in the REST API (signed URLs, stream keys,
// one live stream) and on the console's stream page, for admins and viewers, in English and
// Chinese. Their ports come from the engine's status (engine flags), so with the engine down
// or reporting a listener off there is no URL for it.
import { beforeEach, describe, expect, test } from 'bun:test';
import type { EngineListeners } from '../../../src/shared/config-protocol.ts';
import { adminToken, BASE, call, consoleLoginCookie, type Harness, makeHarness } from './helpers.ts';

const LISTENERS: EngineListeners = { srt: { enabled: true, port: 10080, encrypted: false }, rtsp: { enabled: true, port: 8554 }, webrtc: { enabled: true, port: 8189 } };
const VIEWER_PASSWORD = 'stream-urls-viewer-pw';

let h: Harness;
let token: string;
const api = (method: string, path: string, body?: unknown, creds: { token?: string; cookie?: string } = { token }) =>
  call(h.app, method, `/api/v1${path}`, { creds, body });

const live = (app: string, stream: string) => ({
  app, stream, publisherId: `pub-${stream}`, publisherAddress: '10.0.0.7:51000', startedAtMs: h.clock.now - 1000,
  tracks: [], bitrateInBps: 0, bitrateOutBps: 0, viewers: {},
});

beforeEach(async () => {
  h = await makeHarness();
  token = await adminToken(h);
  h.engine.status_ = { ...h.engine.status_, listeners: LISTENERS };
  for (const app of [
    { name: 'open' },
    { name: 'keyed', publishPolicy: 'stream-key' },
    { name: 'signed', publishPolicy: 'signed-url', playPolicy: 'signed-url' },
  ]) expect((await api('POST', '/apps', app)).status).toBe(201);
  expect((await api('POST', '/users', { username: 'vera', password: VIEWER_PASSWORD, role: 'viewer' })).status).toBe(201);
  expect((await api('POST', '/users', { username: 'wang', password: VIEWER_PASSWORD, role: 'viewer', language: 'zh' })).status).toBe(201);
});

async function consolePage(path: string, cookie: string): Promise<string> {
  const res = await h.app.handle(new Request(BASE + path, { headers: { cookie } }));
  expect(res.status).toBe(200);
  return res.text();
}

/** the text of the <code> a data-testid names, HTML entities undone */
const codeOf = (page: string, testId: string): string | null => {
  const m = new RegExp(`data-testid="${testId}">([^<]*)</code>`).exec(page);
  return m ? m[1]!.replaceAll('&amp;', '&').replaceAll('&#39;', "'").replaceAll('&quot;', '"') : null;
};

describe('REST API', () => {
  test('a signed play URL in SRT (m=request, expires and sign in the stream id) and RTSP (in the query)', async () => {
    const res = await api('POST', '/apps/signed/signed-urls', { stream: 'show', expiresInSec: 600 });
    expect(res.status).toBe(200);
    const { expires, sign, query } = res.body;
    expect(res.body.urls.srt).toBe(`srt://localhost:10080?streamid=#!::r=signed/show,m=request,expires=${expires},sign=${sign}`);
    expect(res.body.urls.rtsp).toBe(`rtsp://localhost:8554/signed/show?${query}`);
    expect(res.body.urls.whep).toBe(`http://localhost:8080/signed/show/whep?${query}`);
    const publish = await api('POST', '/apps/signed/signed-urls', { stream: 'show', expiresInSec: 600, action: 'publish' });
    expect(publish.body.urls.srt).toBe(`srt://localhost:10080?streamid=#!::r=signed/show,m=publish,expires=${publish.body.expires},sign=${publish.body.sign}`);
    expect(publish.body.urls.rtsp).toBe(`rtsp://localhost:8554/signed/show?${publish.body.query}`);
    expect(publish.body.urls.hls).toBeNull();
    expect(publish.body.urls.whep).toBeNull();
  });

  test('a stream key comes back with its SRT and RTSP publish URLs', async () => {
    const res = await api('POST', '/apps/keyed/keys', { stream: 'studio' });
    expect(res.status).toBe(201);
    const key: string = res.body.key;
    expect(res.body.publishUrls).toEqual({
      rtmp: `rtmp://localhost/keyed/studio?key=${key}`,
      srt: `srt://localhost:10080?streamid=#!::r=keyed/studio,m=publish,key=${key}`,
      rtsp: `rtsp://localhost:8554/keyed/studio?key=${key}`,
    });
  });

  test('the host the API was reached at, an IPv6 one in brackets, and RTSP on 554 without a port', async () => {
    h.engine.status_ = { ...h.engine.status_, listeners: { srt: { enabled: true, port: 9000, encrypted: true }, rtsp: { enabled: true, port: 554 } } };
    const res = await call(h.app, 'POST', '/api/v1/apps/open/signed-urls', { creds: { token }, body: { stream: 's', expiresInSec: 60 }, base: 'http://[::1]:8088' });
    expect(res.body.urls.srt).toStartWith('srt://[::1]:9000?streamid=#!::r=open/s,m=request,expires=');
    expect(res.body.urls.rtsp).toStartWith('rtsp://[::1]/open/s?expires=');
  });

  test('a listener that is off, an engine that does not say, and an engine that is down: no SRT/RTSP URL', async () => {
    h.engine.status_ = { ...h.engine.status_, listeners: { srt: { enabled: false, port: null, encrypted: false }, rtsp: { enabled: true, port: 8554 } } };
    let urls = (await api('POST', '/apps/open/signed-urls', { stream: 's', expiresInSec: 60 })).body.urls;
    expect([urls.srt, urls.rtsp]).toEqual([null, expect.stringMatching(/^rtsp:\/\/localhost:8554\/open\/s\?/)]);
    const { listeners: _, ...older } = h.engine.status_;
    h.engine.status_ = older;
    urls = (await api('POST', '/apps/open/signed-urls', { stream: 's', expiresInSec: 60 })).body.urls;
    expect([urls.srt, urls.rtsp]).toEqual([null, null]);
    h.engine.status_ = { ...h.engine.status_, listeners: LISTENERS };
    h.engine.up = false;
    urls = (await api('POST', '/apps/open/signed-urls', { stream: 's', expiresInSec: 60 })).body.urls;
    expect([urls.srt, urls.rtsp, urls.rtmp]).toEqual([null, null, expect.stringMatching(/^rtmp:/)]);
  });

  test('one live stream: play URLs for everyone, publish URLs for admins of apps whose URL holds no secret', async () => {
    h.engine.liveStreams = [live('open', 'cam'), live('keyed', 'cam'), live('signed', 'cam')];
    const admin = (await api('GET', '/streams/open/cam')).body.urls;
    expect(admin.play).toEqual({
      rtmp: 'rtmp://localhost/open/cam',
      httpFlv: 'http://localhost:8080/open/cam.flv',
      wsFlv: 'ws://localhost:8080/open/cam.flv',
      hls: 'http://localhost:8080/open/cam/index.m3u8',
      llHls: 'http://localhost:8080/open/cam/ll.m3u8',
      srt: 'srt://localhost:10080?streamid=#!::r=open/cam,m=request',
      rtsp: 'rtsp://localhost:8554/open/cam',
      // WHEP is signalled on the HTTP port; the WebRTC UDP port is in the SDP answer
      whep: 'http://localhost:8080/open/cam/whep',
    });
    expect(admin.publish).toEqual({
      rtmp: 'rtmp://localhost/open/cam',
      srt: 'srt://localhost:10080?streamid=#!::r=open/cam,m=publish',
      rtsp: 'rtsp://localhost:8554/open/cam',
    });
    // a stream-key app's publish URL needs a key (its create answer has them); a signed app's play URLs need signing
    expect((await api('GET', '/streams/keyed/cam')).body.urls.publish).toBeNull();
    expect((await api('GET', '/streams/signed/cam')).body.urls).toEqual({ play: null, publish: null });

    const viewer = await consoleLoginCookie(h.app, 'vera', VIEWER_PASSWORD);
    const seen = await api('GET', '/streams/open/cam', undefined, { cookie: viewer });
    expect(seen.status).toBe(200);
    expect(seen.body.urls.publish).toBeNull();
    expect(seen.body.urls.play.srt).toBe('srt://localhost:10080?streamid=#!::r=open/cam,m=request');
    expect(seen.text).not.toContain('m=publish');
  });
});

describe('console stream page', () => {
  test('an admin gets SRT and RTSP publish and play URLs; a stream-key app shows the key=KEY template in them', async () => {
    const cookie = await consoleLoginCookie(h.app, 'admin', 'correct horse battery');
    const page = await consolePage('/streams/keyed/cam', cookie);
    expect(codeOf(page, 'publish-srt')).toBe('srt://localhost:10080?streamid=#!::r=keyed/cam,m=publish,key=KEY');
    expect(codeOf(page, 'publish-rtsp')).toBe('rtsp://localhost:8554/keyed/cam?key=KEY');
    expect(codeOf(page, 'url-srt')).toBe('srt://localhost:10080?streamid=#!::r=keyed/cam,m=request');
    expect(codeOf(page, 'url-rtsp')).toBe('rtsp://localhost:8554/keyed/cam');
    expect(page).toContain('SRT (OBS: Server, key empty)');
    expect(page).not.toContain('data-testid="srt-passphrase"');

    const signed = await consolePage('/streams/signed/cam', cookie);
    expect(codeOf(signed, 'publish-srt')).toMatch(/^srt:\/\/localhost:10080\?streamid=#!::r=signed\/cam,m=publish,expires=\d+,sign=[0-9a-f]{64}$/);
    expect(codeOf(signed, 'url-rtsp')).toMatch(/^rtsp:\/\/localhost:8554\/signed\/cam\?expires=\d+&sign=[0-9a-f]{64}$/);
  });

  test('a viewer gets the SRT and RTSP play URLs but no publish URL, and none for an app that plays only signed URLs', async () => {
    const cookie = await consoleLoginCookie(h.app, 'vera', VIEWER_PASSWORD);
    const open = await consolePage('/streams/open/cam', cookie);
    expect(codeOf(open, 'url-srt')).toBe('srt://localhost:10080?streamid=#!::r=open/cam,m=request');
    expect(codeOf(open, 'url-rtsp')).toBe('rtsp://localhost:8554/open/cam');
    expect(open).not.toContain('m=publish');
    expect(open).not.toContain('data-testid="publish-srt"');
    expect(open).not.toContain('data-testid="publish-rtsp"');
    const signed = await consolePage('/streams/signed/cam', cookie);
    expect(signed).not.toContain('srt://');
    expect(signed).not.toContain('rtsp://');
    expect(signed).not.toContain('sign=');
  });

  test('in Chinese; the passphrase note when SRT is encrypted; a note instead of URLs when the engine is down', async () => {
    h.engine.status_ = { ...h.engine.status_, listeners: { ...LISTENERS, srt: { enabled: true, port: 10080, encrypted: true } } };
    const zh = await consoleLoginCookie(h.app, 'wang', VIEWER_PASSWORD);
    const page = await consolePage('/streams/open/cam', zh);
    expect(page).toContain('引擎的 SRT 监听已加密');
    expect(codeOf(page, 'url-srt')).toBe('srt://localhost:10080?streamid=#!::r=open/cam,m=request');
    const admin = await consoleLoginCookie(h.app, 'admin', 'correct horse battery');
    expect(await consolePage('/streams/open/cam', admin)).toContain('data-testid="srt-passphrase"');
    expect(await consolePage('/streams/open/cam', admin)).toContain('SRT (OBS: Server, key empty)');

    h.engine.up = false;
    const down = await consolePage('/streams/open/cam', zh);
    expect(down).not.toContain('srt://');
    expect(down).not.toContain('rtsp://');
    expect(down).toContain('无法向引擎查询 SRT 和 RTSP 端口');
    expect(codeOf(down, 'url-http-flv')).toBe('http://localhost:8080/open/cam.flv');
  });
});

describe('MPEG-TS over UDP on the stream page', () => {
  test('admins see where to send UDP (a wildcard listen address becomes the console host) and the udp:// forward targets; viewers see neither', async () => {
    expect((await api('POST', '/apps', { name: 'feed', sourceType: 'pull' })).status).toBe(201);
    expect((await api('POST', '/pulls', { app: 'feed', stream: 'cam', url: 'udp://0.0.0.0:5000' })).status).toBe(201);
    expect((await api('POST', '/pulls', { app: 'feed', stream: 'other', url: 'udp://0.0.0.0:5002' })).status).toBe(201);
    expect((await api('POST', '/forwards', { app: 'feed', stream: 'cam', url: 'udp://239.1.1.1:5004?ttl=1' })).status).toBe(201);
    expect((await api('POST', '/forwards', { app: 'feed', url: 'rtmp://example.net/live/cam' })).status).toBe(201);

    const admin = await consoleLoginCookie(h.app, 'admin', 'correct horse battery');
    const page = await consolePage('/streams/feed/cam', admin);
    expect(codeOf(page, 'publish-udp')).toBe('udp://localhost:5000');
    expect(page).not.toContain('udp://localhost:5002');
    expect(codeOf(page, 'url-udp-out')).toBe('udp://239.1.1.1:5004?ttl=1');
    expect(page).not.toContain('data-testid="udp-hint"');

    // a stream with no UDP relay gets the hint instead
    expect(await consolePage('/streams/open/cam', admin)).toContain('data-testid="udp-hint"');

    const viewer = await consoleLoginCookie(h.app, 'vera', VIEWER_PASSWORD);
    const seen = await consolePage('/streams/feed/cam', viewer);
    expect(seen).not.toContain('udp://');
    expect(seen).not.toContain('data-testid="udp-hint"');
  });

  test('in Chinese', async () => {
    expect((await api('POST', '/apps', { name: 'feed', sourceType: 'pull' })).status).toBe(201);
    expect((await api('POST', '/pulls', { app: 'feed', stream: 'cam', url: 'udp://239.2.2.2:6000?interface=127.0.0.1' })).status).toBe(201);
    expect((await api('POST', '/users', { username: 'li', password: VIEWER_PASSWORD, role: 'admin', language: 'zh' })).status).toBe(201);
    const page = await consolePage('/streams/feed/cam', await consoleLoginCookie(h.app, 'li', VIEWER_PASSWORD));
    expect(page).toContain('MPEG-TS over UDP（发送到）');
    expect(codeOf(page, 'publish-udp')).toBe('udp://239.2.2.2:6000');
  });
});
