// The stream page's WebRTC (WHEP) preview option: shown when the engine's status says its WebRTC
// listener runs, carrying the page's play query (a signed app's expires/sign) for console-webrtc.js
// to send as a bearer token; hidden, with a note, when the engine says WebRTC is off; English and
// Chinese; names escaped.
import { beforeEach, expect, test } from 'bun:test';
import type { EngineListeners } from '../../../src/shared/config-protocol.ts';
import { adminToken, BASE, call, consoleLoginCookie, type Harness, makeHarness } from '../api/helpers.ts';

const ON: EngineListeners = { srt: { enabled: false, port: null, encrypted: false }, rtsp: { enabled: false, port: null }, webrtc: { enabled: true, port: 8189 } };
const OFF: EngineListeners = { ...ON, webrtc: { enabled: false, port: null } };
const VIEWER_PASSWORD = 'webrtc-preview-viewer-pw';

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
  const token = await adminToken(h);
  h.engine.status_ = { ...h.engine.status_, listeners: ON };
  for (const app of [{ name: 'open' }, { name: 'signed', playPolicy: 'signed-url' }]) {
    expect((await call(h.app, 'POST', '/api/v1/apps', { creds: { token }, body: app })).status).toBe(201);
  }
  expect((await call(h.app, 'POST', '/api/v1/users', { creds: { token }, body: { username: 'wang', password: VIEWER_PASSWORD, role: 'viewer', language: 'zh' } })).status).toBe(201);
});

async function page(path: string, username = 'admin', password = 'correct horse battery'): Promise<string> {
  const cookie = await consoleLoginCookie(h.app, username, password);
  const res = await h.app.handle(new Request(BASE + path, { headers: { cookie } }));
  expect(res.status).toBe(200);
  return res.text();
}

/** the preview button of a protocol, as its attributes (entities undone), or null */
function button(text: string, protocol: string): Record<string, string> | null {
  const m = new RegExp(`<button type="button" class="proto" data-protocol="${protocol}"([^>]*)>`).exec(text);
  if (!m) return null;
  const attrs: Record<string, string> = {};
  for (const [, name, value] of m[1]!.matchAll(/ ([a-z-]+)="([^"]*)"/g)) attrs[name!] = value!.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&lt;', '<');
  return attrs;
}

test('the WebRTC option beside HLS and FLV when the engine runs WebRTC, with its script and the WHEP URL to copy', async () => {
  const text = await page('/streams/open/cam');
  expect(button(text, 'webrtc')?.['data-url']).toBe('http://localhost:8080/open/cam/whep');
  expect(button(text, 'http-flv')).not.toBeNull();
  expect(text).toContain('/console/assets/console-webrtc.js');
  expect(text).toContain('data-testid="url-whep">http://localhost:8080/open/cam/whep</code>');
  expect(text).toContain('data-testid="webrtc-note"');
  expect(text).toContain('WebRTC latency: jitter buffer delay plus half the round trip');
  expect(text).not.toContain('data-testid="webrtc-off"');
});

test("a signed app's WHEP URL carries the page's signed play query (sent by the script as the bearer token)", async () => {
  const text = await page('/streams/signed/cam');
  const url = button(text, 'webrtc')?.['data-url'];
  expect(url).toMatch(/^http:\/\/localhost:8080\/signed\/cam\/whep\?expires=\d+&sign=[0-9a-f]{64}$/);
  // the same query the page's other players use
  expect(new URL(url!).search).toBe(new URL(button(text, 'hls')!['data-url']!).search);
});

test('no WebRTC option when the engine says WebRTC is off: a note says so; an engine that does not say gets neither', async () => {
  h.engine.status_ = { ...h.engine.status_, listeners: OFF };
  const off = await page('/streams/open/cam');
  expect(button(off, 'webrtc')).toBeNull();
  expect(off).not.toContain('/whep');
  expect(off).toContain('data-testid="webrtc-off"');
  expect(off).toContain('WebRTC (WHEP) is off on the engine (--webrtc-port 0)');
  expect(button(off, 'hls')).not.toBeNull();

  const { srt, rtsp } = ON;
  h.engine.status_ = { ...h.engine.status_, listeners: { srt, rtsp } };
  const older = await page('/streams/open/cam');
  expect(button(older, 'webrtc')).toBeNull();
  expect(older).not.toContain('data-testid="webrtc-off"');

  h.engine.up = false;
  const down = await page('/streams/open/cam');
  expect(button(down, 'webrtc')).toBeNull();
  expect(down).not.toContain('data-testid="webrtc-off"');
});

test('in Chinese: the notes the script shows and the WebRTC-off note', async () => {
  const zh = await page('/streams/open/cam', 'wang', VIEWER_PASSWORD);
  expect(button(zh, 'webrtc')?.['data-url']).toBe('http://localhost:8080/open/cam/whep');
  expect(zh).toContain('data-video-only="WebRTC 播放此流时没有声音："');
  expect(zh).toContain('WebRTC 延迟：浏览器 WebRTC 统计中的抖动缓冲延迟加上往返时间的一半。');
  h.engine.status_ = { ...h.engine.status_, listeners: OFF };
  expect(await page('/streams/open/cam', 'wang', VIEWER_PASSWORD)).toContain('引擎未开启 WebRTC（WHEP）（--webrtc-port 0）');
});

test('a hostile stream name is percent-encoded in the WHEP URL and escaped in the page', async () => {
  const name = `x"><img src=y onerror=alert(1)>&`;
  const text = await page(`/streams/open/${encodeURIComponent(name)}`);
  expect(button(text, 'webrtc')?.['data-url']).toBe(`http://localhost:8080/open/${encodeURIComponent(name)}/whep`);
  expect(text).not.toContain('<img src=y');
});
