// The console through app.handle on an in-memory database and a fake engine: login, escaping
// of hostile names, CSRF refusal, inline errors, the language switch, the embedded assets.
import { beforeEach, describe, expect, test } from 'bun:test';
import { html, escapeHtml } from '../../../src/control/console/html.ts';
import { isConsolePath } from '../../../src/control/console/routes.ts';
import { translator } from '../../../src/control/console/i18n.ts';
import { dashboardFragment } from '../../../src/control/console/views/streams.ts';
import type { LiveStreamState, RelayStatus } from '../../../src/shared/config-protocol.ts';
import { ADMIN_PASSWORD, BASE, makeHarness, type Harness } from '../api/helpers.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';

const liveStream = (app: string, stream: string): LiveStreamState => ({
  app,
  stream,
  publisherId: 'c1',
  publisherAddress: '127.0.0.1',
  startedAtMs: 1_699_999_990_000,
  tracks: [{ kind: 'video', codec: 'h264', width: 320, height: 240 }, { kind: 'audio', codec: 'aac', sampleRateHz: 44100, channels: 2 }],
  bitrateInBps: 464_000,
  bitrateOutBps: 0,
  viewers: { hls: 2, 'http-flv': 1 },
});

let h: Harness;
let cookie = '';
let csrf = '';

async function req(method: string, path: string, options: { form?: Record<string, string>; headers?: Record<string, string>; anonymous?: boolean } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (!options.anonymous && cookie) headers.cookie = cookie;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const res = await h.app.handle(new Request(BASE + path, { method, headers, body, redirect: 'manual' }));
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function logIn(): Promise<void> {
  const res = await req('POST', '/login', { form: { username: 'admin', password: ADMIN_PASSWORD }, anonymous: true });
  expect(res.status).toBe(303);
  cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = await req('GET', '/');
  csrf = /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(page.text)?.[1] ?? '';
  expect(csrf).not.toBe('');
}

beforeEach(async () => {
  h = await makeHarness();
  cookie = '';
  await logIn();
});

describe('html template', () => {
  test('escapes every interpolation, keeps nested html', () => {
    const name = HOSTILE;
    const out = html`<td title="${name}">${name}${html`<b>${'"x"'}</b>`}${[html`<i>${"'"}</i>`, '&']}</td>`.value;
    expect(out).toBe('<td title="&lt;img src=x onerror=alert(1)&gt;">&lt;img src=x onerror=alert(1)&gt;<b>&quot;x&quot;</b><i>&#39;</i>&amp;</td>');
    expect(escapeHtml('`')).toBe('&#96;');
  });

  test('the dashboard view escapes a hostile stream name', () => {
    const ctx = { t: translator('en'), lang: 'en' as const, csrfToken: 'x', username: 'admin', admin: true, nowMs: 1_700_000_000_000 };
    const status = { version: '1', startedAtMs: 0, configRevision: 1, ready: true, streams: 1, clients: 0, bytesIn: 0, bytesOut: 0 };
    const out = dashboardFragment(ctx, { ok: true, status, streams: [liveStream('live', HOSTILE)] }).value;
    expect(out).not.toContain('<img');
    expect(out).toContain('live/&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('console routes', () => {
  test('pages need a session; login sets an HttpOnly SameSite=Strict cookie', async () => {
    const anon = await req('GET', '/', { anonymous: true });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/login');
    const login = await req('POST', '/login', { form: { username: 'admin', password: ADMIN_PASSWORD }, anonymous: true });
    expect(login.headers.get('set-cookie')).toMatch(/weir_session=.+; Path=\/; HttpOnly; SameSite=Strict/);
    const bad = await req('POST', '/login', { form: { username: 'admin', password: 'wrong password' }, anonymous: true });
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('Login failed');
    const cross = await req('POST', '/login', { form: { username: 'admin', password: ADMIN_PASSWORD }, anonymous: true, headers: { origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
  });

  test('pages carry a CSP that allows only our own scripts and the media origin', async () => {
    const page = await req('GET', '/');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain('connect-src \'self\' http://localhost:8080');
    expect(page.text).not.toMatch(/<script>(?!<\/script>)/);
    expect(page.text).not.toContain(' style=');
    expect(page.text).toContain('/console/assets/htmx.min.js');
    expect(page.text).toContain('hx-trigger="every 2s"');
  });

  test('a hostile stream name from the engine is escaped in every live view', async () => {
    h.engine.liveStreams = [liveStream('live', HOSTILE)];
    for (const path of ['/', '/fragments/dashboard', '/streams', '/fragments/streams']) {
      const res = await req('GET', path);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<img');
      expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
    const page = await req('GET', `/streams/live/${encodeURIComponent(HOSTILE)}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<img');
  });

  test('a state change without the CSRF token is refused and changes nothing', async () => {
    const refused = await req('POST', '/apps', { form: { name: 'nocsrf' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('hx-retarget')).toBe('#flash');
    expect(h.services.apps.list().some((a) => a.name === 'nocsrf')).toBe(false);
    const wrong = await req('POST', '/apps', { form: { name: 'nocsrf' }, headers: { 'x-csrf-token': 'wrong' } });
    expect(wrong.status).toBe(403);
    // same length, one character off (header and form field): a length check alone lets these through
    const sameLength = csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A');
    expect(sameLength.length).toBe(csrf.length);
    expect((await req('POST', '/apps', { form: { name: 'nocsrf' }, headers: { 'x-csrf-token': sameLength } })).status).toBe(403);
    expect((await req('POST', '/apps', { form: { name: 'nocsrf', _csrf: sameLength } })).status).toBe(403);
    const del = await req('DELETE', '/apps/live');
    expect(del.status).toBe(403);
    expect(h.services.apps.list().some((a) => a.name === 'live')).toBe(true);
    const ok = await req('POST', '/apps', { form: { name: 'withcsrf', hls: 'on' }, headers: { 'x-csrf-token': csrf } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('withcsrf');
    const app = h.services.apps.get('withcsrf');
    expect(app.hls).toBe(true);
    expect(app.llHls).toBe(false);
  });

  test('a service refusal comes back as an escaped error fragment for #flash', async () => {
    const res = await req('POST', '/apps', { form: { name: '<b>x</b>' }, headers: { 'x-csrf-token': csrf } });
    expect(res.status).toBe(400);
    expect(res.headers.get('hx-retarget')).toBe('#flash');
    expect(res.text).toContain('class="error"');
    expect(res.text).not.toContain('<b>x</b>');
    const dup = await req('POST', '/apps', { form: { name: 'live' }, headers: { 'x-csrf-token': csrf } });
    expect(dup.status).toBe(409);
    const missing = await req('GET', '/apps/nope');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('class="error"');
  });

  test('a stream key is shown once and only its prefix afterwards', async () => {
    const res = await req('POST', '/apps/live/keys', { form: { stream: 'cam', label: 'obs' }, headers: { 'x-csrf-token': csrf } });
    expect(res.status).toBe(200);
    const key = /data-testid="new-key">([^<]+)</.exec(res.text)?.[1] ?? '';
    expect(key).toMatch(/^wsk_/);
    const page = await req('GET', '/apps/live');
    expect(page.text).not.toContain(key);
  });

  test('the language switch is remembered for the user', async () => {
    const res = await req('POST', '/language', { form: { lang: 'zh', _csrf: csrf }, headers: { referer: `${BASE}/apps` } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/apps');
    expect(h.services.users.findByUsername('admin')?.language).toBe('zh');
    const page = await req('GET', '/');
    expect(page.text).toContain('仪表盘');
    expect(page.text).toContain('lang="zh-CN"');
  });

  test('engine down is shown, never a blank page', async () => {
    h.engine.up = false;
    const res = await req('GET', '/fragments/dashboard');
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-testid="engine-down"');
  });

  test('settings the engine could not apply are shown on the settings page, escaped, and go when it applies them', async () => {
    h.engine.up = true;
    h.engine.status_ = { ...h.engine.status_, configErrors: [{ setting: 'listen.http', value: '0.0.0.0:8080', reason: 'Failed to start server. Is port 8080 in use? <b>' }] };
    try {
      const page = await req('GET', '/settings');
      expect(page.status).toBe(200);
      expect(page.text).toContain('data-testid="settings-not-applied"');
      expect(page.text).toContain('<code>listen.http</code> 0.0.0.0:8080: Failed to start server. Is port 8080 in use? &lt;b&gt;');
      expect(page.text).toContain('hx-get="/fragments/engine-apply"');
    } finally {
      h.engine.status_ = { ...h.engine.status_, configErrors: [] };
    }
    const fragment = await req('GET', '/fragments/engine-apply');
    expect(fragment.status).toBe(200);
    expect(fragment.text).toContain('id="engine-apply"');
    expect(fragment.text).not.toContain('settings-not-applied');
  });

  test('assets are embedded and served with their types', async () => {
    for (const [name, type] of [['htmx.min.js', 'javascript'], ['hls.min.js', 'javascript'], ['mpegts.js', 'javascript'], ['console.css', 'css'], ['console-player.js', 'javascript'], ['console-webrtc.js', 'javascript']]) {
      const res = await req('GET', `/console/assets/${name}`, { anonymous: true });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type!);
      expect(res.text.length).toBeGreaterThan(100);
    }
  });

  test('the console owns its paths only; the API and unknown paths are untouched', async () => {
    expect(isConsolePath('/')).toBe(true);
    expect(isConsolePath('/apps/live/keys')).toBe(true);
    expect(isConsolePath('/api/v1/apps')).toBe(false);
    expect(isConsolePath('/healthz')).toBe(false);
    expect(isConsolePath('/metrics')).toBe(false);
    expect(isConsolePath('/appsx')).toBe(false);
    expect((await req('GET', '/api/v1/apps')).status).toBe(200);
    const missing = await req('GET', '/nothing-here');
    expect(missing.headers.get('content-type')).toContain('problem+json');
  });

  test('settings, forward targets, users and API tokens through their forms', async () => {
    const h2 = { 'x-csrf-token': csrf };
    const listen = {
      rtmpHost: '0.0.0.0', rtmpPort: '1936', httpHost: '0.0.0.0', httpPort: '8081',
      targetDurationMs: '2000', partTargetMs: '500', windowSegments: '6', alwaysRemux: 'on', muxerCloseAfterMs: '30000',
    };
    const saved = await req('POST', '/settings', { form: listen, headers: h2 });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('moves the engine listener');
    expect(saved.text).toContain('name="alwaysRemux" checked');
    expect(h.services.settings.get().listen.rtmpPort).toBe(1936);
    expect(h.services.settings.get().hls).toMatchObject({ alwaysRemux: true, muxerCloseAfterMs: 30_000 });
    // an unticked box is not sent: on demand again
    const { alwaysRemux: _ticked, ...unticked } = listen;
    expect((await req('POST', '/settings', { form: unticked, headers: h2 })).status).toBe(200);
    expect(h.services.settings.get().hls.alwaysRemux).toBe(false);
    const clash = await req('POST', '/settings', { form: { ...listen, httpPort: '1936' }, headers: h2 });
    expect(clash.status).toBe(400);
    expect(h.services.settings.get().listen.httpPort).toBe(8081);
    const notNumber = await req('POST', '/settings', { form: { ...listen, rtmpPort: 'x' }, headers: h2 });
    expect(notNumber.status).toBe(400);

    const fwd = await req('POST', '/forwards', { form: { app: 'live', stream: '', url: 'rtmp://example.com/live/x' }, headers: h2 });
    expect(fwd.status).toBe(200);
    expect(h.services.forwards.list()).toHaveLength(1);
    const badFwd = await req('POST', '/forwards', { form: { app: 'live', stream: '', url: 'http://example.com' }, headers: h2 });
    expect(badFwd.status).toBe(400);
    expect((await req('DELETE', `/forwards/${h.services.forwards.list()[0]!.id}`, { headers: h2 })).status).toBe(200);
    expect(h.services.forwards.list()).toHaveLength(0);

    expect((await req('POST', '/users', { form: { username: 'viewer1', password: 'long enough pw', role: 'viewer', language: 'zh' }, headers: h2 })).status).toBe(200);
    expect(h.services.users.findByUsername('viewer1')?.role).toBe('viewer');
    const token = await req('POST', '/tokens', { form: { name: 'ci' }, headers: h2 });
    const plain = /data-testid="new-token">([^<]+)</.exec(token.text)?.[1] ?? '';
    expect(plain).toMatch(/^weir_/);
    expect(h.services.auth.verifyToken(plain)).not.toBeNull();
    const id = h.services.auth.listTokens()[0]!.id;
    expect((await req('POST', `/tokens/${id}/revoke`, { headers: h2 })).status).toBe(200);
    expect(h.services.auth.verifyToken(plain)).toBeNull();
  });

  test('logout needs the CSRF field and ends the session', async () => {
    expect((await req('POST', '/logout', { form: {} })).status).toBe(403);
    const out = await req('POST', '/logout', { form: { _csrf: csrf } });
    expect(out.status).toBe(303);
    expect((await req('GET', '/')).status).toBe(303);
  });
});

const relay = (over: Partial<RelayStatus> & Pick<RelayStatus, 'id' | 'kind'>): RelayStatus => ({
  app: 'cams',
  stream: 'one',
  url: 'rtmp://origin.example/live/one',
  state: 'live',
  lastError: null,
  liveSinceMs: 1_699_999_000_000,
  nextRetryAtMs: 0,
  retries: 0,
  bytesIn: 0,
  bytesOut: 0,
  droppedMessages: 0,
  ...over,
});

/** the fake engine reports these relays at GET /v1/relays */
function engineRelays(relays: RelayStatus[]): void {
  Object.assign(h.engine, { relays: () => Promise.resolve(h.engine.up ? { ok: true, value: relays } : { ok: false, reason: 'engine unreachable' }) });
}

describe('fps, relay status and relay editing', () => {
  test('the measured fps is shown in the live streams table and on the stream page', async () => {
    const withFps: LiveStreamState = { ...liveStream('live', 'cam'), tracks: [{ kind: 'video', codec: 'h264', width: 1280, height: 720, fps: 29.97 }] };
    h.engine.liveStreams = [withFps, liveStream('live', 'nofps')];
    const list = await req('GET', '/fragments/streams');
    expect(list.text).toContain('<th>FPS</th>');
    expect(list.text).toContain('<td data-testid="fps">29.97</td>');
    expect(list.text).toContain('<td data-testid="fps">—</td>'); // not measured yet
    const page = await req('GET', '/fragments/streams/live/cam');
    expect(page.text).toContain('<dd data-testid="stream-fps">29.97</dd>');
    expect(translator('zh')('streams.fps')).toBe('帧率');
  });

  test("the stream page lists SRT connections with their link figures (the publisher's receive rate, a viewer's send rate)", async () => {
    h.engine.liveStreams = [liveStream('live', 'cam')];
    const base = { app: 'live', stream: 'cam', address: '203.0.113.5', connectedAtMs: Date.now() - 5_000, bytesIn: 0, bytesOut: 0 };
    h.engine.liveClients = [
      { ...base, id: 'c1', role: 'publisher', protocol: 'srt', link: { rttMs: 12.5, packetsLost: 40, packetsDropped: 1, packetsRetransmitted: 38, receiveRateBps: 2_400_000, sendRateBps: 9_000 } },
      { ...base, id: 'c2', role: 'viewer', protocol: 'srt', link: { rttMs: 3, packetsLost: 0, packetsDropped: 0, packetsRetransmitted: 7, receiveRateBps: 1_000, sendRateBps: 1_500_000 } },
      { ...base, id: 'c3', role: 'viewer', protocol: 'rtmp' },
    ];
    const page = await req('GET', '/fragments/streams/live/cam');
    expect(page.text).toContain('Link: RTT · lost · retransmitted · bitrate');
    const cells = [...page.text.matchAll(/<span data-testid="client-link">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(cells).toEqual(['12.5 ms · 40 · 38 · 2.40 Mb/s', '3 ms · 0 · 7 · 1.50 Mb/s']);
    expect(page.text).toContain('<td>rtmp (viewer)</td><td>203.0.113.5</td>');
    expect(translator('zh')('streams.link')).toBe('链路：RTT · 丢包 · 重传 · 码率');
  });

  test('each pull and forward shows its live status from the engine, polled every 2 s, escaped', async () => {
    h.services.apps.create({ name: 'cams', sourceType: 'pull' });
    const pull = h.services.pulls.create({ app: 'cams', stream: 'one', url: 'rtmp://origin.example/live/one' });
    const idle = h.services.pulls.create({ app: 'cams', stream: 'two', url: 'rtmp://origin.example/live/two' });
    const fwd = h.services.forwards.create({ app: 'live', stream: null, url: 'rtmp://cdn.example/live' });

    const unknown = await req('GET', '/relays'); // the fake engine cannot say
    expect(unknown.text).toContain('not reported by the engine');

    engineRelays([
      relay({ id: pull.id, kind: 'pull', state: 'live', bytesIn: 3 * 1024 * 1024 }),
      relay({ id: fwd.id, kind: 'forward', app: 'live', stream: 'a', state: 'retrying', retries: 3, lastError: HOSTILE }),
      relay({ id: fwd.id, kind: 'forward', app: 'live', stream: 'b', state: 'connecting' }),
    ]);
    const page = await req('GET', '/relays');
    expect(page.status).toBe(200);
    expect(page.text).toContain('hx-get="/fragments/pulls" hx-trigger="every 2s"');
    expect(page.text).toContain('hx-get="/fragments/forwards" hx-trigger="every 2s"');
    expect(page.text).not.toContain('<img');

    const pulls = await req('GET', '/fragments/pulls');
    expect(pulls.status).toBe(200);
    const pullCell = new RegExp(`data-testid="relay-status-pulls-${pull.id}">([\\s\\S]*?)</td>`).exec(pulls.text)?.[1] ?? '';
    expect(pullCell).toContain('data-state="live"');
    expect(pullCell).toContain('3.0 MiB / 0 B');
    const idleCell = new RegExp(`data-testid="relay-status-pulls-${idle.id}">([^<]*)</td>`).exec(pulls.text)?.[1];
    expect(idleCell).toBe('not running');

    const forwards = await req('GET', '/fragments/forwards');
    expect(forwards.text).toContain('data-state="retrying"');
    expect(forwards.text).toContain('data-state="connecting"');
    expect(forwards.text).toContain('retries 3');
    expect(forwards.text).toContain('last error: &lt;img src=x onerror=alert(1)&gt;');
    expect(forwards.text).not.toContain('<img');

    h.engine.up = false;
    expect((await req('GET', '/fragments/forwards')).text).toContain('not reported by the engine');

    // Chinese labels for the states
    await req('POST', '/language', { form: { lang: 'zh' }, headers: { 'x-csrf-token': csrf } });
    h.engine.up = true;
    const zh = await req('GET', '/fragments/pulls');
    expect(zh.text).toContain('直播中');
    expect(zh.text).toContain('未运行');
  });

  test('a pull source is edited through its form: URL, stream, enabled; CSRF and validation apply', async () => {
    h.services.apps.create({ name: 'cams', sourceType: 'pull' });
    const pull = h.services.pulls.create({ app: 'cams', stream: 'one', url: 'rtmp://origin.example/live/one?a=1&b="2"' });
    const form = await req('GET', `/pulls/${pull.id}/edit`);
    expect(form.status).toBe(200);
    expect(form.text).toContain(`hx-post="/pulls/${pull.id}"`);
    expect(form.text).toContain('value="rtmp://origin.example/live/one?a=1&amp;b=&quot;2&quot;"');
    expect(form.text).toContain('name="enabled" checked');

    const edit = { stream: 'renamed', url: 'https://origin.example/live/renamed.m3u8' };
    expect((await req('POST', `/pulls/${pull.id}`, { form: edit })).status).toBe(403); // no CSRF token
    expect(h.services.pulls.get(pull.id).stream).toBe('one');

    const saved = await req('POST', `/pulls/${pull.id}`, { form: edit, headers: { 'x-csrf-token': csrf } }); // enabled unchecked
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('id="pulls-list"');
    expect(saved.text).toContain('<div id="pulls-edit" hx-swap-oob="true"></div>');
    expect(h.services.pulls.get(pull.id)).toMatchObject({ app: 'cams', stream: 'renamed', url: edit.url, enabled: false });

    const bad = await req('POST', `/pulls/${pull.id}`, { form: { stream: 'renamed', url: 'ftp://x', enabled: 'on' }, headers: { 'x-csrf-token': csrf } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('hx-retarget')).toBe('#flash');
    expect(h.services.pulls.get(pull.id).url).toBe(edit.url);

    expect((await req('GET', '/pulls/nope/edit')).status).toBe(404);
    expect((await req('GET', '/pulls/edit/cancel')).text).toBe('');
  });

  test('a forward target is edited through its form; an empty stream means every stream', async () => {
    const fwd = h.services.forwards.create({ app: 'live', stream: 'one', url: 'rtmp://cdn.example/live/one', enabled: false });
    const form = await req('GET', `/forwards/${fwd.id}/edit`);
    expect(form.text).toContain(`hx-post="/forwards/${fwd.id}"`);
    expect(form.text).toContain('name="stream" maxlength="128" value="one"');
    expect(form.text).not.toContain('name="enabled" checked');

    const saved = await req('POST', `/forwards/${fwd.id}`, { form: { stream: '', url: 'rtmps://cdn.example/live', enabled: 'on' }, headers: { 'x-csrf-token': csrf } });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('<div id="forwards-edit" hx-swap-oob="true"></div>');
    expect(h.services.forwards.get(fwd.id)).toMatchObject({ stream: null, url: 'rtmps://cdn.example/live', enabled: true });
    expect((await req('POST', `/forwards/${fwd.id}`, { form: { url: 'rtmp://x/y' }, headers: { 'x-csrf-token': 'wrong' } })).status).toBe(403);
    const bad = await req('POST', `/forwards/${fwd.id}`, { form: { stream: '', url: 'http://cdn.example' }, headers: { 'x-csrf-token': csrf } });
    expect(bad.status).toBe(400);
    expect(h.services.forwards.get(fwd.id).url).toBe('rtmps://cdn.example/live');
  });
});
